// An API Gateway stage's access log: its log group (the stage's retention and removal policy) and one JSON line
// per request, with the fields every API logs first and the API's own fields after them.
import { aws_apigatewayv2 as apigw } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { logRetentionOf, removalPolicyOf } from './handler-function.js';

export function stageAccessLog(scope: Construct, config: EnvironmentConfig, fields: Record<string, string>): { logGroup: logs.LogGroup; settings: apigw.IAccessLogSettings } {
  const logGroup = new logs.LogGroup(scope, 'AccessLogs', { retention: logRetentionOf(config), removalPolicy: removalPolicyOf(config) });
  const format = AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      routeKey: '$context.routeKey',
      ...fields,
    }),
  );
  return { logGroup, settings: { destination: new apigw.LogGroupLogDestination(logGroup), format } };
}
