// The HTTP API of architecture §5: every /v1 route goes to the orchestrator (payload format 2.0) behind the
// JWT authorizer, except GET /v1/health. The default stage is throttled per config and writes JSON access logs.
import { aws_apigatewayv2 as apigw, Duration } from 'aws-cdk-lib';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { claimMappingOf, type EnvironmentConfig } from '../config.js';
import { claimMappingToEnv } from '../../functions/core/http/index.js';
import { acknowledge } from './nag.js';
import { stageAccessLog } from './access-log.js';

export interface ApiRoute {
  readonly method: apigw.HttpMethod;
  readonly path: string;
  readonly authenticated: boolean;
}

/** The routes of architecture §5. */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: apigw.HttpMethod.POST, path: '/v1/sessions/{sessionId}/messages', authenticated: true },
  { method: apigw.HttpMethod.GET, path: '/v1/sessions/{sessionId}', authenticated: true },
  { method: apigw.HttpMethod.GET, path: '/v1/plans/{planId}', authenticated: true },
  { method: apigw.HttpMethod.GET, path: '/v1/approvals', authenticated: true },
  { method: apigw.HttpMethod.POST, path: '/v1/approvals/{approvalId}', authenticated: true },
  { method: apigw.HttpMethod.DELETE, path: '/v1/plans/{planId}', authenticated: true },
  { method: apigw.HttpMethod.GET, path: '/v1/plans/{planId}/events', authenticated: true },
  { method: apigw.HttpMethod.POST, path: '/v1/plans/{planId}/feedback', authenticated: true },
  { method: apigw.HttpMethod.GET, path: '/v1/sessions', authenticated: true },
  { method: apigw.HttpMethod.GET, path: '/v1/metrics', authenticated: true },
  { method: apigw.HttpMethod.GET, path: '/v1/health', authenticated: false },
];

export interface ApiProps {
  readonly config: EnvironmentConfig;
  /** The function behind every route; the API sets the claim mapping in its environment. */
  readonly orchestrator: lambda.Function;
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, { config, orchestrator }: ApiProps) {
    super(scope, id);
    // The authorizer checks issuer, audience and lifetime; which claims name the tenant, subject and roles is the
    // stage's mapping, handed to the function that reads them.
    const claims = claimMappingOf(config.jwt);
    for (const [name, value] of Object.entries(claimMappingToEnv(claims))) orchestrator.addEnvironment(name, value);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: `bc-agent ${config.stage}: chat front-end API`,
      createDefaultStage: false,
      corsPreflight:
        config.api.corsAllowOrigins.length > 0
          ? {
              allowOrigins: config.api.corsAllowOrigins,
              allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.DELETE],
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });

    const accessLog = stageAccessLog(this, config, {
      status: '$context.status',
      responseLength: '$context.responseLength',
      latency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      authorizerError: '$context.authorizer.error',
      sub: `$context.authorizer.claims.${claims.subject}`,
      tenant: `$context.authorizer.claims.${claims.tenant}`,
    });
    this.accessLogs = accessLog.logGroup;
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.api.throttle,
      accessLogSettings: accessLog.settings,
    });

    const authorizer = new HttpJwtAuthorizer('Jwt', config.jwt.issuer, {
      authorizerName: 'jwt',
      jwtAudience: config.jwt.audience,
    });
    const integration = new HttpLambdaIntegration('Orchestrator', orchestrator, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    for (const route of API_ROUTES) {
      const [added] = this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        authorizer: route.authenticated ? authorizer : new apigw.HttpNoneAuthorizer(),
      });
      if (!route.authenticated && added) {
        acknowledge(added, 'AwsSolutions-APIG4', 'GET /v1/health is the unauthenticated liveness probe (architecture §5).');
      }
    }
  }

  get url(): string {
    return this.stage.url;
  }
}
