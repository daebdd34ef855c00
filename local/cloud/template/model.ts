// What the local cloud runs, read from a resolved stack: functions, queues, tables, the bus and its rules,
// state machines, secrets, SQS event source mappings and the HTTP API's routes.
import { join } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { LocalStack } from './local-stack.js';
import { isRecord } from './types.js';

export interface FunctionDefinition {
  logicalId: string;
  name: string;
  arn: string;
  /** `file.export`, e.g. `index.handler`. */
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** ReservedConcurrentExecutions, when set. */
  reservedConcurrency?: number;
  environment: Record<string, string>;
  /** The bundled code's directory in the cloud assembly; undefined for inline or non-asset code. */
  codeDir?: string;
  /** The function's DeadLetterConfig target, used after failed asynchronous invocations. */
  deadLetterTargetArn?: string;
  /** Retries of a failed asynchronous invocation (EventInvokeConfig; Lambda's default 2). */
  asyncRetryAttempts: number;
  /** EventInvokeConfig's on-failure destination (an SQS queue ARN locally). */
  asyncOnFailureArn?: string;
}

export interface QueueDefinition {
  logicalId: string;
  name: string;
  arn: string;
  /** SQS attributes as the CreateQueue API takes them (strings; RedrivePolicy as JSON). */
  attributes: Record<string, string>;
}

export interface TableDefinition {
  logicalId: string;
  input: CreateTableCommandInput & { TableName: string; TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean } };
}

export interface BusDefinition {
  logicalId: string;
  name: string;
  arn: string;
}

export interface RuleTargetDefinition {
  id: string;
  arn: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
  deadLetterArn?: string;
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
  sqsParameters?: { messageGroupId?: string };
  roleArn?: string;
}

export interface RuleDefinition {
  logicalId: string;
  name: string;
  busName: string;
  eventPattern?: Record<string, unknown>;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  targets: RuleTargetDefinition[];
}

export interface StateMachineDefinition {
  logicalId: string;
  name: string;
  arn: string;
  /** The ASL document, as a JSON string. */
  definition: string;
}

export interface SecretDefinition {
  logicalId: string;
  name: string;
  arn: string;
  secretString?: string;
  generate?: { excludeCharacters?: string; passwordLength?: number; secretStringTemplate?: string; generateStringKey?: string };
}

export interface EventSourceMappingDefinition {
  logicalId: string;
  functionName: string;
  queueArn: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  maximumConcurrency?: number;
  enabled: boolean;
}

export interface RouteAuthorizer {
  issuer: string;
  audience: string[];
  /** Where the token is read from, e.g. `$request.header.Authorization`. */
  identitySource: string;
}

export interface RouteDefinition {
  /** `METHOD /path/{param}`, `ANY /path/{proxy+}` or `$default`. */
  routeKey: string;
  /** The integrated function's name; undefined for non-Lambda integrations. */
  functionName?: string;
  authorizer?: RouteAuthorizer;
  authorizationScopes: string[];
}

export interface HttpApiDefinition {
  logicalId: string;
  apiId: string;
  /** Stage name; `$default` serves at the root, any other at `/<stage>`. */
  stage: string;
  routes: RouteDefinition[];
  /** The stage's default route throttling (requests per second, burst). */
  throttle?: { rateLimit: number; burstLimit: number };
}

/** Queue attributes CreateQueue accepts (others, like encryption settings, mean nothing locally). */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout', 'RedrivePolicy', 'RedriveAllowPolicy', 'FifoQueue', 'ContentBasedDeduplication',
  'DeduplicationScope', 'FifoThroughputLimit',
] as const;

export function readQueues(stack: LocalStack): QueueDefinition[] {
  return stack.resourcesOfType('AWS::SQS::Queue').map(([logicalId, resource]) => {
    const props = (stack.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const name of QUEUE_ATTRIBUTES) {
      const value = props[name];
      if (value !== undefined) attributes[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    return {
      logicalId,
      name: stack.getAtt(logicalId, 'QueueName') as string,
      arn: stack.getAtt(logicalId, 'Arn') as string,
      attributes,
    };
  });
}

export function readTables(stack: LocalStack): TableDefinition[] {
  return stack.resourcesOfType('AWS::DynamoDB::Table').map(([logicalId, resource]) => {
    const props = (stack.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const billing = props.BillingMode === 'PAY_PER_REQUEST' || props.ProvisionedThroughput === undefined;
    const throughput = billing ? undefined : props.ProvisionedThroughput;
    const indexes = (list: unknown) =>
      Array.isArray(list) && list.length > 0
        ? list.map((index: Record<string, unknown>) => ({
            IndexName: index.IndexName,
            KeySchema: index.KeySchema,
            Projection: index.Projection,
            ...(throughput ? { ProvisionedThroughput: index.ProvisionedThroughput ?? throughput } : {}),
          }))
        : undefined;
    const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
    const input = {
      TableName: stack.ref(logicalId) as string,
      AttributeDefinitions: props.AttributeDefinitions,
      KeySchema: props.KeySchema,
      BillingMode: billing ? 'PAY_PER_REQUEST' : 'PROVISIONED',
      ...(throughput ? { ProvisionedThroughput: throughput } : {}),
      ...(indexes(props.GlobalSecondaryIndexes) ? { GlobalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes) } : {}),
      ...(indexes(props.LocalSecondaryIndexes) ? { LocalSecondaryIndexes: indexes(props.LocalSecondaryIndexes) } : {}),
      ...(stream?.StreamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } } : {}),
      ...(props.TimeToLiveSpecification ? { TimeToLiveSpecification: props.TimeToLiveSpecification } : {}),
    } as TableDefinition['input'];
    return { logicalId, input };
  });
}

export function readFunctions(stack: LocalStack, assemblyDir: string): FunctionDefinition[] {
  return stack.resourcesOfType('AWS::Lambda::Function').map(([logicalId, resource]) => {
    const props = (resource.Properties ?? {}) as Record<string, unknown>;
    const variables = stack.resolve((props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {});
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(isRecord(variables) ? variables : {})) {
      environment[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    const reserved = props.ReservedConcurrentExecutions === undefined ? undefined : Number(stack.resolve(props.ReservedConcurrentExecutions));
    const deadLetter = stack.resolve(props.DeadLetterConfig) as { TargetArn?: string } | undefined;
    const codeDir = assetDirOf(stack, logicalId, assemblyDir);
    const name = stack.ref(logicalId) as string;
    const invokeConfig = asyncInvokeConfigOf(stack, name);
    return {
      logicalId,
      name,
      arn: stack.getAtt(logicalId, 'Arn') as string,
      handler: props.Handler === undefined ? 'index.handler' : stack.resolveString(props.Handler, `${logicalId}.Handler`),
      runtime: props.Runtime === undefined ? '' : stack.resolveString(props.Runtime, `${logicalId}.Runtime`),
      timeoutSeconds: props.Timeout === undefined ? 3 : Number(stack.resolve(props.Timeout)),
      memoryMb: props.MemorySize === undefined ? 128 : Number(stack.resolve(props.MemorySize)),
      ...(reserved === undefined ? {} : { reservedConcurrency: reserved }),
      environment,
      ...(codeDir ? { codeDir } : {}),
      ...(deadLetter?.TargetArn ? { deadLetterTargetArn: deadLetter.TargetArn } : {}),
      ...invokeConfig,
    };
  });
}

/** The AWS::Lambda::EventInvokeConfig of a function, if the stack has one. */
function asyncInvokeConfigOf(stack: LocalStack, functionName: string): Pick<FunctionDefinition, 'asyncRetryAttempts' | 'asyncOnFailureArn'> {
  for (const [, resource] of stack.resourcesOfType('AWS::Lambda::EventInvokeConfig')) {
    const props = stack.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const target = String(props.FunctionName ?? '');
    if (target !== functionName && functionNameInArn(target) !== functionName) continue;
    const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
    return {
      asyncRetryAttempts: props.MaximumRetryAttempts === undefined ? 2 : Number(props.MaximumRetryAttempts),
      ...(onFailure ? { asyncOnFailureArn: onFailure } : {}),
    };
  }
  return { asyncRetryAttempts: 2 };
}

/** The asset directory: `aws:asset:path` metadata, or the asset hash in the code's S3 key. */
function assetDirOf(stack: LocalStack, logicalId: string, assemblyDir: string): string | undefined {
  const resource = stack.resource(logicalId);
  const metadataPath = resource.Metadata?.['aws:asset:path'];
  if (typeof metadataPath === 'string') return join(assemblyDir, metadataPath);
  const code = (resource.Properties?.Code ?? {}) as { S3Key?: unknown };
  const key = typeof code.S3Key === 'string' ? code.S3Key : undefined;
  const hash = key?.match(/^([0-9a-f]{64})\.zip$/)?.[1];
  return hash ? join(assemblyDir, `asset.${hash}`) : undefined;
}

export function readBuses(stack: LocalStack): BusDefinition[] {
  return stack.resourcesOfType('AWS::Events::EventBus').map(([logicalId]) => ({
    logicalId,
    name: stack.getAtt(logicalId, 'Name') as string,
    arn: stack.getAtt(logicalId, 'Arn') as string,
  }));
}

export function readRules(stack: LocalStack): RuleDefinition[] {
  return stack.resourcesOfType('AWS::Events::Rule').map(([logicalId, resource]) => {
    const props = (stack.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const pattern = typeof props.EventPattern === 'string' ? (JSON.parse(props.EventPattern) as unknown) : props.EventPattern;
    const targets = ((props.Targets as Array<Record<string, unknown>> | undefined) ?? []).map((target) => {
      const transformer = target.InputTransformer as { InputPathsMap?: Record<string, string>; InputTemplate: string } | undefined;
      const deadLetter = target.DeadLetterConfig as { Arn?: string } | undefined;
      const retry = target.RetryPolicy as { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number } | undefined;
      const sqs = target.SqsParameters as { MessageGroupId?: string } | undefined;
      return {
        id: String(target.Id),
        arn: String(target.Arn),
        ...(typeof target.Input === 'string' ? { input: target.Input } : {}),
        ...(typeof target.InputPath === 'string' ? { inputPath: target.InputPath } : {}),
        ...(transformer
          ? { inputTransformer: { inputTemplate: transformer.InputTemplate, ...(transformer.InputPathsMap ? { inputPathsMap: transformer.InputPathsMap } : {}) } }
          : {}),
        ...(deadLetter?.Arn ? { deadLetterArn: deadLetter.Arn } : {}),
        ...(retry
          ? {
              retryPolicy: {
                ...(retry.MaximumRetryAttempts !== undefined ? { maximumRetryAttempts: Number(retry.MaximumRetryAttempts) } : {}),
                ...(retry.MaximumEventAgeInSeconds !== undefined ? { maximumEventAgeInSeconds: Number(retry.MaximumEventAgeInSeconds) } : {}),
              },
            }
          : {}),
        ...(sqs?.MessageGroupId ? { sqsParameters: { messageGroupId: sqs.MessageGroupId } } : {}),
        ...(typeof target.RoleArn === 'string' ? { roleArn: target.RoleArn } : {}),
      };
    });
    return {
      logicalId,
      name: stack.ref(logicalId) as string,
      busName: stack.busNameOf(resource.Properties?.EventBusName),
      ...(isRecord(pattern) ? { eventPattern: pattern } : {}),
      ...(typeof props.ScheduleExpression === 'string' ? { scheduleExpression: props.ScheduleExpression } : {}),
      state: props.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      targets,
    };
  });
}

export function readStateMachines(stack: LocalStack): StateMachineDefinition[] {
  return stack.resourcesOfType('AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    let definition: string;
    if (props.DefinitionString !== undefined) {
      definition = stack.resolveString(props.DefinitionString, `${logicalId}.DefinitionString`);
    } else if (props.Definition !== undefined) {
      definition = JSON.stringify(stack.resolve(props.Definition));
    } else {
      throw new Error(`state machine ${logicalId} has no inline definition (S3 definitions are not supported locally)`);
    }
    const substitutions = stack.resolve(props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(substitutions)) {
      definition = definition.split(`\${${key}}`).join(String(value));
    }
    return {
      logicalId,
      name: stack.getAtt(logicalId, 'Name') as string,
      arn: stack.getAtt(logicalId, 'Arn') as string,
      definition,
    };
  });
}

export function readSecrets(stack: LocalStack): SecretDefinition[] {
  return stack.resourcesOfType('AWS::SecretsManager::Secret').map(([logicalId, resource]) => {
    const props = (stack.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const arn = stack.ref(logicalId) as string;
    const generate = props.GenerateSecretString as Record<string, unknown> | undefined;
    return {
      logicalId,
      name: typeof props.Name === 'string' ? props.Name : stack.generatedName(logicalId, 256),
      arn,
      ...(typeof props.SecretString === 'string' ? { secretString: props.SecretString } : {}),
      ...(generate
        ? {
            generate: {
              ...(typeof generate.ExcludeCharacters === 'string' ? { excludeCharacters: generate.ExcludeCharacters } : {}),
              ...(typeof generate.PasswordLength === 'number' ? { passwordLength: generate.PasswordLength } : {}),
              ...(typeof generate.SecretStringTemplate === 'string' ? { secretStringTemplate: generate.SecretStringTemplate } : {}),
              ...(typeof generate.GenerateStringKey === 'string' ? { generateStringKey: generate.GenerateStringKey } : {}),
            },
          }
        : {}),
    };
  });
}

export function readEventSourceMappings(stack: LocalStack): EventSourceMappingDefinition[] {
  return stack
    .resourcesOfType('AWS::Lambda::EventSourceMapping')
    .map(([logicalId, resource]) => {
      const props = (stack.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
      const source = String(props.EventSourceArn ?? '');
      if (!source.startsWith('arn:aws:sqs:')) return undefined; // streams and Kafka are not run locally
      const functionRef = String(props.FunctionName);
      const scaling = props.ScalingConfig as { MaximumConcurrency?: number } | undefined;
      return {
        logicalId,
        // FunctionName may be a name, an ARN or a partial ARN (`name:alias`).
        functionName: functionRef.startsWith('arn:') ? functionRef.split(':')[6]! : functionRef.split(':')[0]!,
        queueArn: source,
        batchSize: props.BatchSize === undefined ? 10 : Number(props.BatchSize),
        maximumBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
        ...(scaling?.MaximumConcurrency ? { maximumConcurrency: Number(scaling.MaximumConcurrency) } : {}),
        enabled: props.Enabled !== false,
      };
    })
    .filter((mapping): mapping is EventSourceMappingDefinition => mapping !== undefined);
}

/** The stack's HTTP API (ProtocolType HTTP), its stage and routes; a stack has at most one. */
export function readHttpApi(stack: LocalStack): HttpApiDefinition | undefined {
  const apis = stack
    .resourcesOfType('AWS::ApiGatewayV2::Api')
    .filter(([, resource]) => resource.Properties?.ProtocolType === 'HTTP');
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new Error(`the local cloud serves one HTTP API, the stack has ${apis.length}`);
  const [apiLogicalId] = apis[0]!;
  const apiId = stack.ref(apiLogicalId);
  const belongsToApi = ([, resource]: [string, { Properties?: Record<string, unknown> }]) =>
    stack.resolve(resource.Properties?.ApiId) === apiId;

  const integrations = new Map<string, string | undefined>();
  for (const entry of stack.resourcesOfType('AWS::ApiGatewayV2::Integration').filter(belongsToApi)) {
    const [logicalId, resource] = entry;
    const uri = resource.Properties?.IntegrationUri === undefined ? '' : stack.resolveString(resource.Properties.IntegrationUri, `${logicalId}.IntegrationUri`);
    integrations.set(logicalId, functionNameInArn(uri));
  }
  const authorizers = new Map<string, RouteAuthorizer>();
  for (const [logicalId, resource] of stack.resourcesOfType('AWS::ApiGatewayV2::Authorizer').filter(belongsToApi)) {
    const props = stack.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    if (props.AuthorizerType !== 'JWT') throw new Error(`authorizer ${logicalId}: only JWT authorizers run locally`);
    const jwt = props.JwtConfiguration as { Issuer?: string; Audience?: string[] } | undefined;
    if (!jwt?.Issuer || !jwt.Audience?.length) throw new Error(`authorizer ${logicalId} has no issuer or audience`);
    authorizers.set(logicalId, {
      issuer: jwt.Issuer,
      audience: jwt.Audience,
      identitySource: ((props.IdentitySource as string[] | undefined) ?? ['$request.header.Authorization'])[0]!,
    });
  }
  const routes = stack.resourcesOfType('AWS::ApiGatewayV2::Route').filter(belongsToApi).map(([logicalId, resource]) => {
    const props = stack.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const target = typeof props.Target === 'string' ? props.Target : '';
    const integrationId = target.startsWith('integrations/') ? target.slice('integrations/'.length) : undefined;
    const authorizerId = typeof props.AuthorizerId === 'string' ? props.AuthorizerId : undefined;
    if (props.AuthorizationType === 'JWT' && (!authorizerId || !authorizers.has(authorizerId))) {
      throw new Error(`route ${logicalId} uses a JWT authorizer the stack does not define`);
    }
    const functionName = integrationId ? integrations.get(integrationId) : undefined;
    const authorizer = props.AuthorizationType === 'JWT' ? authorizers.get(authorizerId!) : undefined;
    return {
      routeKey: String(props.RouteKey),
      ...(functionName ? { functionName } : {}),
      ...(authorizer ? { authorizer } : {}),
      authorizationScopes: (props.AuthorizationScopes as string[] | undefined) ?? [],
    };
  });
  const stage = stack.resourcesOfType('AWS::ApiGatewayV2::Stage').filter(belongsToApi)[0];
  const stageName = stage ? stack.resolveString(stage[1].Properties?.StageName, `${stage[0]}.StageName`) : '$default';
  const settings = stage ? (stack.resolve(stage[1].Properties?.DefaultRouteSettings ?? {}) as { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number }) : {};
  const throttle =
    settings.ThrottlingRateLimit !== undefined && settings.ThrottlingBurstLimit !== undefined
      ? { rateLimit: Number(settings.ThrottlingRateLimit), burstLimit: Number(settings.ThrottlingBurstLimit) }
      : undefined;
  return { logicalId: apiLogicalId, apiId: String(apiId), stage: stageName, routes, ...(throttle ? { throttle } : {}) };
}

/** The function name in a Lambda ARN or an API Gateway Lambda integration URI. */
export function functionNameInArn(uri: string): string | undefined {
  return /arn:aws:lambda:[^:]*:[^:]*:function:([^:/]+)/.exec(uri)?.[1];
}
