// The local cloud: the synthesized dev stack run on this machine (architecture §10). It binds every port,
// creates each resource of the template in the local AWS endpoint, runs every function's bundle in its own
// workers, wires EventBridge targets, Step Functions tasks and SQS event source mappings to those functions,
// and serves the HTTP API, the BC sandbox and the MCP server's function URL.
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createServer, type RequestListener } from 'node:http';
import { join, resolve } from 'node:path';
import { concurrencyFromEnv, identitySettingsFromEnv, rateLimitFromEnv, startBcSandbox, type BcSandbox } from '../bc-sandbox/index.js';
import { LocalAws, type RuleTarget } from '../aws/index.js';
import { DEFAULT_PORTS, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION, type LocalPorts } from './config.js';
import { serveFunctionUrl, type FunctionUrlServer } from './function-url.js';
import { createHttpApiHandler, listen, serviceUnavailable, type RunningServer } from './http-api/server.js';
import { apiClaimMapping } from './http-api/claims.js';
import { bearerToken, loadOrCreateJwtKeys, signLocalToken, verifyJwt, type JwtIssuerConfig, type LocalJwtKeys, type LocalTokenRequest } from './jwt.js';
import type { FunctionLogSink } from './lambda/function-runner.js';
import { verifySigV4 } from './lambda/function-url-auth.js';
import { createWebConsoleHandler, type WebConsoleHandler } from './web-console.js';
import { LocalLambda } from './lambda/local-lambda.js';
import { SqsEventSource } from './lambda/sqs-event-source.js';
import { localJwks } from './websocket-api/jwks.js';
import { createLocalOidcProvider, DISCOVERY_PATH, LOCAL_CONSOLE_CLIENT_ID } from './oidc.js';
import { readWebSocketApi } from './websocket-api/model.js';
import { startWebSocketServer, type LocalWebSocketServer } from './websocket-api/server.js';
import { readAssembly, synthesizeDevStack } from './synth.js';
import { SAGA_RESERVATIONS_ENV } from '../../functions/core/saga/index.js';
import { LocalStack } from './template/local-stack.js';
import {
  readBuses, readEventSourceMappings, readFunctions, readHttpApi, readQueues, readRules, readSecrets,
  readStateMachines, readTables, type FunctionDefinition, type HttpApiDefinition, type SecretDefinition,
} from './template/model.js';

export interface LocalCloudOptions {
  /** Where state lives (`.local` for `npm start`, a temp dir in tests). */
  stateDir: string;
  /** Ports; 0 picks a free one. Defaults 3000 / 4566 / 4580 / 4590. */
  ports?: Partial<LocalPorts>;
  /** Extra environment for every function (wins over the template's values). */
  env?: Record<string, string>;
  /** An already synthesized cloud assembly; without it the dev stack is synthesized (cached) into `<stateDir>/cdk.out`. */
  synthDir?: string;
  /** Where function output goes (default: `[name] line` on stdout). */
  onLog?: FunctionLogSink;
  /** Where failures nobody else sees go: failed batches, async invocation errors (default: stderr). */
  onError?(message: string, error?: unknown): void;
  /** Parallel invocations of a function without reserved concurrency (default 10). */
  defaultConcurrency?: number;
  /** Waits between asynchronous invocation retries (default 1 s then 2 s). */
  asyncRetryDelaysMs?: readonly number[];
  /** Serves the built web console (web/build.ts) at `/` of the API's port, with `/config.json` and dev tokens. */
  webConsole?: { dir: string; wsUrl?: string };
}

export interface LocalCloudUrls {
  /** The HTTP API, e.g. `http://127.0.0.1:3000`. */
  api: string;
  /** The AWS endpoint, e.g. `http://127.0.0.1:4566`. */
  aws: string;
  /** The BC sandbox, e.g. `http://127.0.0.1:4580`. */
  bc: string;
  /** The MCP server's Streamable HTTP URL, e.g. `http://127.0.0.1:4590/mcp`. */
  mcp: string;
  /** The WebSocket API with its stage, e.g. `ws://127.0.0.1:3001/v1` (connect with `?token=<JWT>`). */
  websocket: string;
  /** The web console, when served (`webConsole`), e.g. `http://127.0.0.1:3000/`. */
  console?: string;
}

export interface LocalCloud {
  urls: LocalCloudUrls;
  aws: LocalAws;
  sandbox: BcSandbox;
  lambda: LocalLambda;
  stack: LocalStack;
  /** The issuer and audience the HTTP API's authorizer (and the local MCP URL) accept. */
  jwtConfig: JwtIssuerConfig;
  /** Signs a token the HTTP API and MCP URL accept, like `npm run token`. */
  token(request: LocalTokenRequest): Promise<string>;
  /** Invokes a function synchronously by logical id, name or ARN; rejects with a FunctionError. */
  invoke(functionRef: string, event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

const BC_CREDENTIALS_ENV = 'BC_CREDENTIALS_SECRET_ARN';
/** What a function URL with IAM auth tells its function about a caller signing with the local credentials. */
const LOCAL_IAM_IDENTITY = {
  accessKey: LOCAL_CREDENTIALS.accessKeyId,
  accountId: LOCAL_ACCOUNT_ID,
  callerId: `${LOCAL_CREDENTIALS.accessKeyId}:local-function`,
  userArn: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/local-function/local-function`,
  userId: `${LOCAL_CREDENTIALS.accessKeyId}:local-function`,
};
/** Claude settings that reach every function from the environment of `npm start` (§10). */
const PASSED_THROUGH_ENV = ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL', 'SAGA_DEFAULT_LOCATION_CODE', 'BC_GOVERNOR', 'BC_ACCESS'];

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const stateDir = resolve(options.stateDir);
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const onError = options.onError ?? defaultOnError;
  const onLog = options.onLog ?? ((name, _stream, line) => process.stdout.write(`[${name}] ${line}\n`));
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) await stop().catch((error: unknown) => onError('shutdown step failed', error));
  };

  try {
    // Bind every port first: function environments carry these URLs, and a busy port fails before synthesis.
    const aws = await LocalAws.start({ port: ports.aws, stateDir: join(stateDir, 'aws'), region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID });
    stoppers.push(() => aws.stop());
    // BC_SANDBOX_DIRECTORY_FILE may replace the sandbox's users and permission sets; its OBO trust is set below.
    const sandbox = await startBcSandbox({
      port: ports.bc,
      stateFile: join(stateDir, 'bc-sandbox.json'),
      directory: identitySettingsFromEnv().directory,
      // BC's limits as the sandbox enforces them; lower them to see the capacity governor (BC_GOVERNOR) at work.
      rateLimit: rateLimitFromEnv(process.env),
      concurrency: concurrencyFromEnv(process.env),
    });
    stoppers.push(() => sandbox.stop());

    let lambda: LocalLambda | undefined;
    let mcpFunctionName: string | undefined;
    let mcpUrlOpen = false;
    const jwtKeys = await loadOrCreateJwtKeys(stateDir);
    const jwtConfigRef: { current?: JwtIssuerConfig } = {};

    const mcpServer: FunctionUrlServer = await serveFunctionUrl({
      port: ports.mcp,
      invoke: async (event) => {
        if (!lambda || !mcpFunctionName) throw new Error('the local cloud is still starting');
        return (await lambda.invoke(mcpFunctionName, event)) as APIGatewayProxyStructuredResultV2;
      },
      // The identity the MCP function reads (requestContext.authorizer): IAM for the functions' SigV4, the
      // claims of an `npm run token` JWT; anything else reaches it unauthenticated and gets its 401 challenge.
      authorize: async (headers, method, url, body) => {
        if (mcpUrlOpen) return undefined;
        if ((await verifySigV4({ headers, method, url, body }, LOCAL_CREDENTIALS)).ok) return { iam: LOCAL_IAM_IDENTITY };
        const token = bearerToken(Array.isArray(headers.authorization) ? headers.authorization[0] : headers.authorization);
        if (token === undefined || jwtConfigRef.current === undefined) return undefined;
        const check = await verifyJwt(token, jwtKeys.publicKey, jwtConfigRef.current);
        return check.ok ? { jwt: { claims: check.claims as Record<string, unknown>, scopes: check.scopes } } : undefined;
      },
    });
    stoppers.push(() => mcpServer.stop());

    let apiHandler: RequestListener = (_req, res) => serviceUnavailable(res);
    let consoleHandler: WebConsoleHandler | undefined;
    const apiServer: RunningServer = await listen(
      createServer((req, res) => {
        if (!consoleHandler) return apiHandler(req, res);
        consoleHandler(req, res).then(
          (handled) => handled || apiHandler(req, res),
          (error: unknown) => {
            onError('web console request failed', error);
            if (!res.headersSent) serviceUnavailable(res);
          },
        );
      }),
      ports.api,
      '127.0.0.1',
    );
    stoppers.push(() => apiServer.stop());
    const websocketServer: LocalWebSocketServer = await startWebSocketServer(ports.websocket);
    stoppers.push(() => websocketServer.stop());
    websocketServer.setJwks(await localJwks(jwtKeys));

    const assembly = options.synthDir
      ? await readAssembly(resolve(options.synthDir))
      : await synthesizeDevStack({ outdir: join(stateDir, 'cdk.out') });
    const stack = new LocalStack(assembly.template, {
      stackName: assembly.stackName,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      awsUrl: aws.url,
      apiUrl: apiServer.url,
      functionUrl: `${mcpServer.url}/`,
    });

    await createResources(stack, aws, onError);

    const functions = readFunctions(stack, assembly.assemblyDir);
    // The sandbox has the reservations extension exactly when the stack's saga reserves (dev's saga.reservations).
    sandbox.setItemReservationsApi(functions.some((fn) => fn.environment[SAGA_RESERVATIONS_ENV] === 'true'));
    const websocketApi = readWebSocketApi(stack);
    const websocketEnv = {
      jwksUrl: `${websocketServer.url}/.well-known/jwks.json`,
      callbackUrl: `${websocketServer.url}/${websocketApi?.stage ?? ''}`,
    };
    const bcSecretArns = new Set(functions.map((fn) => fn.environment[BC_CREDENTIALS_ENV]).filter((arn): arn is string => Boolean(arn)));
    await putSecrets(readSecrets(stack), aws, bcSecretArns, sandbox);
    // The template's KMS keys (e.g. the one that seals delegated BC grants) exist under the ids their Refs resolve to.
    for (const [logicalId, resource] of stack.resourcesOfType('AWS::KMS::Key')) {
      aws.kms.createKey(String((resource.Properties as { Description?: unknown } | undefined)?.Description ?? logicalId), String(stack.getAtt(logicalId, 'Arn')));
    }

    lambda = new LocalLambda({
      functions,
      environmentOf: (fn) => functionEnvironment(fn, { aws, sandbox, websocket: websocketEnv, extra: options.env ?? {} }),
      defaultConcurrency: options.defaultConcurrency ?? 10,
      // As CloudWatch does with a function's log: EMF records on stdout become metrics (GetMetricData).
      onLog: (name, stream, line) => {
        if (stream === 'stdout') aws.cloudwatch.ingestLogLine(line);
        onLog(name, stream, line);
      },
      onError,
      sendToQueue: (queueArn, body) => void aws.sqs.sendMessage(queueArn, body),
      ...(options.asyncRetryDelaysMs ? { asyncRetryDelaysMs: options.asyncRetryDelaysMs } : {}),
    });
    const localLambda = lambda;
    stoppers.push(() => localLambda.stop()); // a second stop after the mappings' is a no-op

    // EventBridge reaches SQS itself; Lambda and Step Functions targets are delivered here.
    aws.events.setTargetDispatcher(async (target: RuleTarget, payload: string) => {
      // The delivery stays open (journaled) until the function has run, so a stop or a kill redelivers it.
      if (target.arn.startsWith('arn:aws:lambda:')) {
        if (!(await localLambda.invokeAsync(target.arn, parsePayload(payload)))) throw new Error('the local cloud stopped before the function ran');
      } else if (target.arn.startsWith('arn:aws:states:')) aws.stepFunctions.startExecution(target.arn, payload);
      else throw new Error(`the local cloud cannot deliver to target ${target.arn}`);
    });
    aws.stepFunctions.setTaskHandlers({ invokeLambda: (functionArn, input) => localLambda.invoke(functionArn, input) });

    const mappings = readEventSourceMappings(stack).map((mapping) => {
      const fn = localLambda.definition(mapping.functionName);
      const functionConcurrency = fn.reservedConcurrency ?? options.defaultConcurrency ?? 10;
      return new SqsEventSource({
        mapping,
        sqs: aws.sqs,
        region: LOCAL_REGION,
        invoke: (event) => localLambda.invoke(mapping.functionName, event),
        pollers: Math.min(mapping.maximumConcurrency ?? 5, functionConcurrency),
        onError,
      });
    });
    for (const mapping of mappings) mapping.start();
    stoppers.push(async () => {
      // Stop polling and let the runtime end in-flight invocations at the same time.
      await Promise.all([...mappings.map((m) => m.stop()), localLambda.stop()]);
    });
    // Executions and event deliveries stop before the functions they call: they stay in the journal and resume
    // at the next start, instead of failing because a function went away during shutdown.
    stoppers.push(async () => {
      aws.events.close();
      await aws.stepFunctions.stop();
    });

    const apiDefinition = readHttpApi(stack);
    const claims = apiClaimMapping(apiDefinition, functions, options.env);
    const jwtConfig: JwtIssuerConfig = { ...apiJwtConfig(apiDefinition), ...(claims ? { claims } : {}) };
    jwtConfigRef.current = jwtConfig;
    // The sandbox's on-behalf-of grant trusts the API's issuer: a caller's API token is the user assertion, the
    // user named by the same claim the API reads as the subject.
    sandbox.trustUserAssertions({
      issuer: jwtConfig.issuer,
      audience: jwtConfig.audience,
      publicKey: jwtKeys.publicKey,
      ...(jwtConfig.claims ? { userClaim: jwtConfig.claims.subject } : {}),
    });
    if (apiDefinition) {
      apiHandler = createHttpApiHandler({
        api: apiDefinition,
        invoke: (functionName, event) => localLambda.invoke(functionName, event),
        verifyToken: (token, authorizer, scopes) => verifyJwt(token, jwtKeys.publicKey, authorizer, scopes),
        onIntegrationError: (route, error) => onError(`HTTP API ${route}: integration failed`, error),
      });
    }
    if (websocketApi) {
      websocketServer.attach({
        api: websocketApi,
        invoke: (functionName, event) => localLambda.invoke(functionName, event),
        verifyRequest: async (request) => (await verifySigV4(request, LOCAL_CREDENTIALS)).ok,
        onError,
      });
    }
    if (options.webConsole) {
      // The console pushes through the stack's WebSocket API unless told otherwise.
      const { dir, wsUrl = websocketApi ? `${websocketServer.wsUrl}/${websocketApi.stage}` : undefined } = options.webConsole;
      consoleHandler = createWebConsoleHandler({
        dir,
        config: () => ({
          apiUrl: '',
          ...(wsUrl ? { wsUrl } : {}),
          issuer: jwtConfig.issuer,
          audience: jwtConfig.audience,
          devTokens: true,
          // The local issuer's discovery document is on this port, not at the issuer's (unserved) URL.
          oidc: { clientId: LOCAL_CONSOLE_CLIENT_ID, scope: 'openid', metadataUrl: DISCOVERY_PATH },
        }),
        signToken: (request) => signLocalToken(jwtKeys, jwtConfig, request),
        oidc: createLocalOidcProvider({ keys: jwtKeys, jwtConfig: () => jwtConfig }),
      });
    }
    const functionUrl = functionUrlOf(stack);
    mcpFunctionName = functionUrl?.functionArn;
    mcpUrlOpen = functionUrl?.authType === 'NONE';

    return {
      urls: { api: apiServer.url, aws: aws.url, bc: sandbox.url, mcp: `${mcpServer.url}/mcp`, websocket: `${websocketServer.wsUrl}/${websocketApi?.stage ?? ''}`, ...(options.webConsole ? { console: `${apiServer.url}/` } : {}) },
      aws,
      sandbox,
      lambda: localLambda,
      stack,
      jwtConfig,
      token: (request) => signLocalToken(jwtKeys, jwtConfig, request),
      invoke: (functionRef, event) => localLambda.invoke(functionRef, event),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Creates (or, after a restart, re-applies) the template's queues, tables, bus, archive, rules and state machines. */
async function createResources(stack: LocalStack, aws: LocalAws, onError: NonNullable<LocalCloudOptions['onError']>): Promise<void> {
  for (const queue of readQueues(stack)) {
    let created: { url: string; arn: string };
    try {
      created = aws.sqs.createQueue(queue.name, queue.attributes);
    } catch (error) {
      // A queue kept from an earlier run with other settings is updated, as a stack update would.
      if ((error as Error).name !== 'QueueNameExists') throw error;
      aws.sqs.setQueueAttributes(queue.name, withoutCreateOnly(queue.attributes));
      created = { url: aws.sqs.queueUrl(queue.name), arn: aws.sqs.queueArn(queue.name) };
    }
    stack.override(queue.logicalId, { ref: created.url, attributes: { QueueUrl: created.url, Arn: created.arn } });
  }
  await Promise.all(readTables(stack).map((table) => aws.dynamodb.createTable(table.input)));
  for (const bus of readBuses(stack)) aws.events.createBus(bus.name);
  for (const [logicalId, resource] of stack.resourcesOfType('AWS::Events::Archive')) {
    const props = stack.resolve(resource.Properties ?? {}) as { SourceArn: string; EventPattern?: unknown; RetentionDays?: number; Description?: string };
    const name = stack.ref(logicalId) as string;
    if (aws.events.listArchives().some((archive) => archive.name === name)) continue;
    aws.events.createArchive({
      name,
      sourceArn: props.SourceArn,
      ...(props.EventPattern ? { eventPattern: typeof props.EventPattern === 'string' ? props.EventPattern : JSON.stringify(props.EventPattern) } : {}),
      ...(props.RetentionDays !== undefined ? { retentionDays: Number(props.RetentionDays) } : {}),
      ...(props.Description ? { description: props.Description } : {}),
    });
  }
  for (const machine of readStateMachines(stack)) {
    const existing = aws.stepFunctions.listStateMachines().find((m) => m.arn === machine.arn);
    if (existing && existing.definition !== machine.definition) aws.stepFunctions.updateStateMachine(machine.arn, machine.definition);
    else if (!existing) aws.stepFunctions.createStateMachine({ name: machine.name, arn: machine.arn, definition: machine.definition });
  }
  for (const rule of readRules(stack)) {
    try {
      aws.events.putRule({
        busName: rule.busName,
        name: rule.name,
        ...(rule.eventPattern ? { eventPattern: JSON.stringify(rule.eventPattern) } : {}),
        ...(rule.scheduleExpression ? { scheduleExpression: rule.scheduleExpression } : {}),
        state: rule.state,
      });
    } catch (error) {
      // A schedule the local cloud cannot run (or a rule with neither pattern nor schedule): say so, run the rest.
      onError(`rule ${rule.name} is not run locally`, error);
      continue;
    }
    aws.events.putTargets(rule.busName, rule.name, rule.targets);
  }
}

/** Attributes SetQueueAttributes refuses because they are fixed at creation. */
function withoutCreateOnly(attributes: Record<string, string>): Record<string, string> {
  const { FifoQueue: _fifo, ...rest } = attributes;
  return rest;
}

/**
 * Secrets from the template. The BC credentials secret holds the sandbox's client credentials; others keep
 * a value from an earlier run, or get their SecretString, or a generated value.
 */
async function putSecrets(secrets: SecretDefinition[], aws: LocalAws, bcSecretArns: Set<string>, sandbox: BcSandbox): Promise<void> {
  for (const secret of secrets) {
    if (bcSecretArns.has(secret.arn)) {
      aws.secretsManager.putSecret(secret.arn, JSON.stringify({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret }));
      continue;
    }
    const exists = aws.secretsManager.list().some((record) => record.arn === secret.arn);
    if (exists) continue;
    aws.secretsManager.putSecret(secret.arn, secret.secretString ?? generatedSecret(secret));
  }
}

function generatedSecret(secret: SecretDefinition): string {
  const length = secret.generate?.passwordLength ?? 32;
  const exclude = new Set(secret.generate?.excludeCharacters ?? '');
  const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-=?^_~'].filter((c) => !exclude.has(c));
  const bytes = randomBytes(length);
  const password = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  const { secretStringTemplate, generateStringKey } = secret.generate ?? {};
  if (secretStringTemplate && generateStringKey) {
    return JSON.stringify({ ...(JSON.parse(secretStringTemplate) as object), [generateStringKey]: password });
  }
  return password;
}

/** The environment a function sees: the template's variables pointed at local services, plus Lambda's own. */
function functionEnvironment(
  fn: FunctionDefinition,
  local: { aws: LocalAws; sandbox: BcSandbox; websocket: { jwksUrl: string; callbackUrl: string }; extra: Record<string, string> },
): Record<string, string> {
  const env: Record<string, string> = { ...fn.environment };
  // The WebSocket API's $connect checks tokens against the local issuer's keys; the notifier posts to the
  // local WebSocket server's management API instead of execute-api.
  if ('JWT_ISSUER' in env) env.JWT_JWKS_URL = local.websocket.jwksUrl;
  if ('WEBSOCKET_CALLBACK_URL' in env) env.WEBSOCKET_CALLBACK_URL = local.websocket.callbackUrl;
  if ('BC_API_BASE_URL' in env) {
    env.BC_API_BASE_URL = local.sandbox.url;
    env.BC_TOKEN_URL = local.sandbox.tokenUrl;
    env.BC_TENANT = local.sandbox.tenant;
    env.BC_ENVIRONMENT = local.sandbox.environment;
    // The sandbox's demo company has several locations (MAIN, EAST, WEST): purchase-order lines that name
    // none go to MAIN, as a tenant would configure bc.defaultLocationCode (read by the saga steps).
    env.SAGA_DEFAULT_LOCATION_CODE ??= 'MAIN';
  }
  if ('BC_WEB_CLIENT_URL' in env) {
    // Record links point at the local BC sandbox instead of the public web client.
    env.BC_WEB_CLIENT_URL = local.sandbox.url;
    env.BC_TENANT = local.sandbox.tenant;
    env.BC_ENVIRONMENT = local.sandbox.environment;
  }
  for (const name of PASSED_THROUGH_ENV) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  Object.assign(env, local.extra);
  return {
    ...env,
    AWS_ENDPOINT_URL: local.aws.url,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    // The SDK's user agent names the function (app/<name>): `BENCH_TRACE=1 npm run bench -- agent` attributes calls by it.
    AWS_SDK_UA_APP_ID: fn.name.slice(0, 50),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime || 'nodejs24.x'}`,
    LAMBDA_TASK_ROOT: fn.codeDir ?? '',
    TZ: ':UTC',
  };
}

/** The authorizer every JWT route shares (the stack has one); tokens are signed for it. */
function apiJwtConfig(api: HttpApiDefinition | undefined): JwtIssuerConfig {
  const authorizer = api?.routes.find((route) => route.authorizer)?.authorizer;
  if (!authorizer) throw new Error('the stack has no HTTP API route with a JWT authorizer, so local tokens have no issuer');
  return { issuer: authorizer.issuer, audience: authorizer.audience };
}

/** The stack's AWS::Lambda::Url (the MCP server's): its function and auth type (AWS_IAM or NONE). */
function functionUrlOf(stack: LocalStack): { functionArn: string; authType: string } | undefined {
  const urls = stack.resourcesOfType('AWS::Lambda::Url');
  if (urls.length > 1) throw new Error(`the local cloud serves one function URL, the stack has ${urls.length}`);
  const [url] = urls;
  if (!url) return undefined;
  return {
    functionArn: stack.resolveString(url[1].Properties?.TargetFunctionArn, `${url[0]}.TargetFunctionArn`),
    authType: stack.resolveString(url[1].Properties?.AuthType ?? 'AWS_IAM', `${url[0]}.AuthType`),
  };
}

/** A target payload is JSON text; an input transformer may also produce plain text, passed on as a string. */
function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

function defaultOnError(message: string, error?: unknown): void {
  const detail = error instanceof Error ? `: ${error.name}: ${error.message}` : error === undefined ? '' : `: ${String(error)}`;
  process.stderr.write(`[local-cloud] ${message}${detail}\n`);
}
