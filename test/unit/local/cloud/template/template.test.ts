import { describe, expect, it } from 'vitest';
import { IntrinsicError } from '../../../../../local/cloud/template/intrinsics.js';
import { LocalStack } from '../../../../../local/cloud/template/local-stack.js';
import { readEventSourceMappings, readFunctions, readHttpApi, readQueues, readRules, readStateMachines, readTables } from '../../../../../local/cloud/template/model.js';
import { parseTemplate, type CfnTemplate } from '../../../../../local/cloud/template/types.js';

const template: CfnTemplate = {
  Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/version' } },
  Conditions: {
    IsDev: { 'Fn::Equals': ['dev', 'dev'] },
    IsProd: { 'Fn::Not': [{ Condition: 'IsDev' }] },
  },
  Resources: {
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'bc-agent-dev' } },
    Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
    Queue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        VisibilityTimeout: 360,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 },
        KmsMasterKeyId: 'alias/aws/sqs',
      },
    },
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    },
    ProdOnly: { Type: 'AWS::SQS::Queue', Condition: 'IsProd', Properties: {} },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.abc' },
      Properties: {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Timeout: 29,
        MemorySize: 1024,
        Environment: {
          Variables: {
            QUEUE_URL: { Ref: 'Queue' },
            TABLE: { Ref: 'Table' },
            BUS: { Ref: 'Bus' },
            MCP_SERVER_URL: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Url', 'FunctionUrl'] }, 'mcp']] },
            SUBBED: { 'Fn::Sub': ['${AWS::Region}/${AWS::AccountId}/${Table.Arn}/${Extra}/${!Literal}', { Extra: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] } }] },
            CHOSEN: { 'Fn::If': ['IsDev', 'dev-value', 'prod-value'] },
            PARTITION: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::bucket.${AWS::URLSuffix}' },
            SAGA: { Ref: 'Saga' },
          },
        },
      },
    },
    Url: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
    Saga: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { DefinitionString: { 'Fn::Join': ['', ['{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '","End":true}}}']] } },
    },
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventBusName: { Ref: 'Bus' },
        EventPattern: { 'detail-type': ['task:created'], detail: { type: ['query'] } },
        State: 'ENABLED',
        Targets: [
          { Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Id: 'Target0', InputPath: '$.detail' },
          { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'Target1', DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['Dlq', 'Arn'] } }, RetryPolicy: { MaximumRetryAttempts: 4 } },
        ],
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        FunctionName: { Ref: 'Fn' },
        BatchSize: 5,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 3 },
      },
    },
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'api', ProtocolType: 'HTTP' } },
    Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Api' }, StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 } } },
    Integration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { ApiId: { Ref: 'Api' }, IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': ['Fn', 'Arn'] }, PayloadFormatVersion: '2.0' },
    },
    Authorizer: {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: {
        ApiId: { Ref: 'Api' },
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: 'https://issuer.example/', Audience: ['bc-agent'] },
        Name: 'jwt',
      },
    },
    Health: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'GET /v1/health', AuthorizationType: 'NONE', Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] } },
    },
    Messages: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'Api' },
        RouteKey: 'POST /v1/sessions/{sessionId}/messages',
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: 'Authorizer' },
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
      },
    },
  },
};

const stack = () =>
  new LocalStack(template, {
    stackName: 'BcAgent-dev',
    region: 'us-east-1',
    accountId: '000000000000',
    awsUrl: 'http://127.0.0.1:4566',
    apiUrl: 'http://127.0.0.1:3000',
    functionUrl: 'http://127.0.0.1:4590/',
  });

describe('intrinsic resolution to local names, ARNs and URLs', () => {
  it('resolves Ref, GetAtt, Join, Sub, Select, Split, If and pseudo parameters in function environments', () => {
    const [fn] = readFunctions(stack(), '/assembly');
    expect(fn).toMatchObject({
      logicalId: 'Fn',
      name: 'BcAgent-dev-Fn',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:BcAgent-dev-Fn',
      handler: 'index.handler',
      timeoutSeconds: 29,
      memoryMb: 1024,
      codeDir: '/assembly/asset.abc',
      asyncRetryAttempts: 2,
    });
    expect(fn!.environment).toEqual({
      QUEUE_URL: 'http://127.0.0.1:4566/000000000000/BcAgent-dev-Queue',
      TABLE: 'BcAgent-dev-Table',
      BUS: 'bc-agent-dev',
      MCP_SERVER_URL: 'http://127.0.0.1:4590/mcp',
      SUBBED: 'us-east-1/000000000000/arn:aws:dynamodb:us-east-1:000000000000:table/BcAgent-dev-Table/b/${Literal}',
      CHOSEN: 'dev-value',
      PARTITION: 'arn:aws:s3:::bucket.amazonaws.com',
      SAGA: 'arn:aws:states:us-east-1:000000000000:stateMachine:BcAgent-dev-Saga',
    });
  });

  it('uses the URL a created queue reports once overridden', () => {
    const s = stack();
    s.override('Queue', { ref: 'http://127.0.0.1:9999/000000000000/BcAgent-dev-Queue' });
    expect(readFunctions(s, '/a')[0]!.environment.QUEUE_URL).toBe('http://127.0.0.1:9999/000000000000/BcAgent-dev-Queue');
  });

  it('reads queues with their redrive policy and skips resources whose condition is false', () => {
    const queues = readQueues(stack());
    expect(queues.map((q) => q.name)).toEqual(['BcAgent-dev-Dlq', 'BcAgent-dev-Queue']);
    expect(queues[1]!.attributes).toEqual({
      VisibilityTimeout: '360',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:BcAgent-dev-Dlq', maxReceiveCount: 3 }),
    });
  });

  it('reads tables as CreateTable input', () => {
    expect(readTables(stack())[0]!.input).toEqual({
      TableName: 'BcAgent-dev-Table',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('reads rules with resolved targets, state machines with joined definitions, and SQS mappings', () => {
    const [rule] = readRules(stack());
    expect(rule).toMatchObject({
      name: 'BcAgent-dev-Rule',
      busName: 'bc-agent-dev',
      eventPattern: { 'detail-type': ['task:created'], detail: { type: ['query'] } },
      targets: [
        { id: 'Target0', arn: 'arn:aws:sqs:us-east-1:000000000000:BcAgent-dev-Queue', inputPath: '$.detail' },
        { id: 'Target1', arn: 'arn:aws:lambda:us-east-1:000000000000:function:BcAgent-dev-Fn', deadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:BcAgent-dev-Dlq', retryPolicy: { maximumRetryAttempts: 4 } },
      ],
    });
    const [saga] = readStateMachines(stack());
    expect(JSON.parse(saga!.definition).States.A.Resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:BcAgent-dev-Fn');
    expect(readEventSourceMappings(stack())).toEqual([
      {
        logicalId: 'Mapping',
        functionName: 'BcAgent-dev-Fn',
        queueArn: 'arn:aws:sqs:us-east-1:000000000000:BcAgent-dev-Queue',
        batchSize: 5,
        maximumBatchingWindowSeconds: 2,
        reportBatchItemFailures: true,
        maximumConcurrency: 3,
        enabled: true,
      },
    ]);
  });

  it('reads the HTTP API: routes → integration → function, and the JWT authorizer of protected routes', () => {
    const api = readHttpApi(stack());
    expect(api?.stage).toBe('$default');
    expect(api?.throttle).toEqual({ rateLimit: 25, burstLimit: 50 });
    expect(api?.routes).toEqual([
      { routeKey: 'GET /v1/health', functionName: 'BcAgent-dev-Fn', authorizationScopes: [] },
      {
        routeKey: 'POST /v1/sessions/{sessionId}/messages',
        functionName: 'BcAgent-dev-Fn',
        authorizer: { issuer: 'https://issuer.example/', audience: ['bc-agent'], identitySource: '$request.header.Authorization' },
        authorizationScopes: [],
      },
    ]);
  });

  it('fails with a clear message on an unknown resource, attribute or intrinsic', () => {
    const s = stack();
    expect(() => s.resolve({ Ref: 'Missing' })).toThrow(/no resource Missing/);
    expect(() => s.resolve({ 'Fn::GetAtt': ['Table', 'Nope'] })).toThrow(IntrinsicError);
    expect(() => s.resolve({ 'Fn::ImportValue': 'x' })).toThrow(/another stack/);
    expect(() => s.resolve({ 'Fn::Select': [5, ['a']] })).toThrow(/out of range/);
  });

  it('rejects a template without resources', () => {
    expect(() => parseTemplate('{"Outputs":{}}', 'x.json')).toThrow(/x.json has no Resources/);
    expect(() => parseTemplate('{', 'x.json')).toThrow(/not valid JSON/);
  });
});
