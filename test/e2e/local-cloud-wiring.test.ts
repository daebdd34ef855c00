// The local cloud's wiring on a small template of its own (independent of the project's handlers):
// EventBridge → Lambda, EventBridge → Step Functions → Lambda task, SQS → Lambda mapping, the HTTP API, and
// the environment each function gets (local endpoint, BC sandbox, secrets, Claude settings passed through).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud/cloud.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/cloud/config.js';
import { DEV_STACK_NAME, PROJECT_ROOT } from '../../local/cloud/synth.js';
import type { CfnTemplate } from '../../local/cloud/template/types.js';
import { eventually } from '../support/local-cloud.js';

const RECORDER = `
export const handler = async (event, context) => {
  const env = Object.fromEntries(['BC_API_BASE_URL', 'BC_TENANT', 'BC_TOKEN_URL', 'BC_CREDENTIALS_SECRET_ARN', 'QUEUE_URL',
    'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME', 'ANTHROPIC_BASE_URL', 'OTHER_ONLY'].map((k) => [k, process.env[k] ?? null]));
  await fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify({ fn: context.functionName, event, env }) });
  if (event.requestContext) return { statusCode: 200, body: JSON.stringify({ sub: event.requestContext.authorizer.jwt.claims.sub }) };
  return { recorded: true };
};`;

const template: CfnTemplate = {
  Resources: {
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'wiring-bus' } },
    Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 } } },
    BcCredentials: { Type: 'AWS::SecretsManager::Secret', Properties: { GenerateSecretString: {} } },
    Recorder: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.recorder' },
      Properties: {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Timeout: 10,
        Environment: {
          Variables: {
            BC_API_BASE_URL: 'https://api.businesscentral.dynamics.com',
            BC_TENANT: 'common',
            BC_CREDENTIALS_SECRET_ARN: { Ref: 'BcCredentials' },
            QUEUE_URL: { Ref: 'Queue' },
          },
        },
      },
    },
    Other: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.recorder' },
      Properties: { Handler: 'index.handler', Runtime: 'nodejs24.x', Environment: { Variables: { OTHER_ONLY: 'other' } } },
    },
    Machine: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: {
          'Fn::Join': ['', ['{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"',
            { 'Fn::GetAtt': ['Recorder', 'Arn'] }, '","Payload.$":"$"},"OutputPath":"$.Payload","End":true}}}']],
        },
      },
    },
    ToLambda: {
      Type: 'AWS::Events::Rule',
      Properties: { EventBusName: { Ref: 'Bus' }, EventPattern: { 'detail-type': ['to-lambda'] }, Targets: [{ Id: 'L', Arn: { 'Fn::GetAtt': ['Recorder', 'Arn'] } }] },
    },
    ToMachine: {
      Type: 'AWS::Events::Rule',
      Properties: { EventBusName: { Ref: 'Bus' }, EventPattern: { 'detail-type': ['to-sfn'] }, Targets: [{ Id: 'S', Arn: { Ref: 'Machine' }, InputPath: '$.detail' }] },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { Ref: 'Recorder' }, BatchSize: 2, FunctionResponseTypes: ['ReportBatchItemFailures'] },
    },
    Sessions: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    },
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'api', ProtocolType: 'HTTP' } },
    Integration: { Type: 'AWS::ApiGatewayV2::Integration', Properties: { ApiId: { Ref: 'Api' }, IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': ['Recorder', 'Arn'] } } },
    Authorizer: {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: { ApiId: { Ref: 'Api' }, AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'], JwtConfiguration: { Issuer: 'https://wiring.test/', Audience: ['wiring'] } },
    },
    Route: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'GET /me', AuthorizationType: 'JWT', AuthorizerId: { Ref: 'Authorizer' }, Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] } },
    },
  },
};

interface Recorded {
  fn: string;
  event: Record<string, unknown> & { Records?: Array<{ body: string }> };
  env: Record<string, string | null>;
}

// Inside the project so the worker could resolve node_modules like a real bundle's siblings would.
const workDir = mkdtempSync(join(PROJECT_ROOT, '.local', 'wiring-'));
const assemblyDir = join(workDir, 'assembly');
const recorded: Recorded[] = [];
let sink: Server;
let cloud: LocalCloud;
const savedBaseUrl = process.env.ANTHROPIC_BASE_URL;

beforeAll(async () => {
  mkdirSync(join(assemblyDir, 'asset.recorder'), { recursive: true });
  writeFileSync(join(assemblyDir, 'asset.recorder', 'index.mjs'), RECORDER);
  writeFileSync(join(assemblyDir, `${DEV_STACK_NAME}.template.json`), JSON.stringify(template));
  sink = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      recorded.push(JSON.parse(body) as Recorded);
      res.end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  process.env.ANTHROPIC_BASE_URL = 'http://127.0.0.1:1/claude';
  cloud = await startLocalCloud({
    stateDir: join(workDir, 'state'),
    synthDir: assemblyDir,
    ports: { api: 0, aws: 0, bc: 0, mcp: 0, websocket: 0 },
    env: { SINK_URL: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/` },
    onLog: () => undefined,
    onError: () => undefined,
  });
});

afterAll(async () => {
  if (savedBaseUrl === undefined) delete process.env.ANTHROPIC_BASE_URL;
  else process.env.ANTHROPIC_BASE_URL = savedBaseUrl;
  await cloud?.stop();
  await new Promise<void>((resolve) => sink?.close(() => resolve()));
  rmSync(workDir, { recursive: true, force: true });
});

const clientConfig = () => ({ endpoint: cloud.urls.aws, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
const find = (what: string, predicate: (r: Recorded) => boolean) =>
  eventually(what, async () => recorded.find(predicate), 15_000);

describe('local cloud wiring', () => {
  it('creates the tables with the TTL the template enables', async () => {
    const dynamodb = new DynamoDBClient(clientConfig());
    try {
      const { TableNames } = await dynamodb.send(new ListTablesCommand({}));
      const table = TableNames!.find((name) => name.includes('Sessions'))!;
      expect((await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription)
        .toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    } finally {
      dynamodb.destroy();
    }
  });

  it('delivers a matching event to a Lambda target', async () => {
    await new EventBridgeClient(clientConfig()).send(new PutEventsCommand({
      Entries: [{ EventBusName: 'wiring-bus', Source: 'wiring.test', DetailType: 'to-lambda', Detail: JSON.stringify({ n: 1 }) }],
    }));
    const hit = await find('the Lambda target', (r) => r.event['detail-type'] === 'to-lambda');
    expect(hit).toMatchObject({ fn: 'BcAgent-dev-Recorder', event: { source: 'wiring.test', detail: { n: 1 } } });
  });

  it('starts the state machine target, whose Lambda task invokes the function by ARN', async () => {
    await new EventBridgeClient(clientConfig()).send(new PutEventsCommand({
      Entries: [{ EventBusName: 'wiring-bus', Source: 'wiring.test', DetailType: 'to-sfn', Detail: JSON.stringify({ order: 'po-1' }) }],
    }));
    const hit = await find('the Step Functions task', (r) => r.event.order === 'po-1');
    expect(hit.fn).toBe('BcAgent-dev-Recorder');
    const machineArn = String(cloud.stack.ref('Machine'));
    const done = await eventually('a succeeded execution', async () =>
      cloud.aws.stepFunctions.listExecutions(machineArn).find((execution) => execution.status === 'SUCCEEDED'));
    expect(JSON.parse(done.output ?? 'null')).toEqual({ recorded: true });
  });

  it('feeds queue messages to the function through the event source mapping', async () => {
    const queueUrl = String(cloud.stack.ref('Queue'));
    await new SQSClient(clientConfig()).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'from-queue' }));
    const hit = await find('the SQS batch', (r) => r.event.Records?.some((record) => record.body === 'from-queue') ?? false);
    expect(hit.event.Records?.[0]).toMatchObject({ eventSource: 'aws:sqs', body: 'from-queue' });
    await eventually('the message deleted after success', async () => {
      const attributes = cloud.aws.sqs.getQueueAttributes(queueUrl, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
      return attributes.ApproximateNumberOfMessages === '0' && attributes.ApproximateNumberOfMessagesNotVisible === '0' ? true : undefined;
    });
  });

  it('serves the HTTP API route with the authorizer of the template', async () => {
    expect((await fetch(`${cloud.urls.api}/me`)).status).toBe(401);
    const token = await cloud.token({ sub: 'carol', tenant: 'local' });
    const response = await fetch(`${cloud.urls.api}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'carol' });
  });

  it('gives each function its own environment pointed at the local services, with the sandbox’s BC credentials', async () => {
    const hit = await find('an API invocation', (r) => 'requestContext' in r.event);
    expect(hit.env).toEqual({
      BC_API_BASE_URL: cloud.sandbox.url,
      BC_TENANT: 'local',
      BC_TOKEN_URL: cloud.sandbox.tokenUrl,
      BC_CREDENTIALS_SECRET_ARN: cloud.stack.ref('BcCredentials'),
      QUEUE_URL: cloud.stack.ref('Queue'),
      AWS_ENDPOINT_URL: cloud.urls.aws,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'BcAgent-dev-Recorder',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:1/claude',
      OTHER_ONLY: null,
    });
    await cloud.invoke('Other', { direct: true });
    const other = await find('the other function', (r) => r.fn === 'BcAgent-dev-Other');
    expect(other.env).toMatchObject({ OTHER_ONLY: 'other', QUEUE_URL: null, BC_API_BASE_URL: null });

    const secret = await new SecretsManagerClient(clientConfig()).send(new GetSecretValueCommand({ SecretId: String(cloud.stack.ref('BcCredentials')) }));
    expect(JSON.parse(secret.SecretString ?? '{}')).toEqual({ clientId: 'local-client', clientSecret: 'local-secret' });
  });
});
