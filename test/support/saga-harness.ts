// The purchase-order saga running on this machine, for the execution tests and bench/saga.ts: the local AWS
// endpoint (Step Functions by aws-local-stepfunctions, DynamoDB, EventBridge, Secrets Manager) with the
// stack's synthesized state machine, every Lambda task dispatched to the step handler in-process (configured
// through its environment, credentials from the local Secrets Manager), the BC sandbox, and a recorder of
// everything published on the bus. `runSaga` decides the approval the way the approvals side will: it reads
// the recorded task token and calls SendTaskSuccess/SendTaskFailure through the Step Functions SDK.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import type { BcClient } from '../../functions/core/bc/index.js';
import { approvalIdFor, sagaDepsFromEnv, SAGA_RESERVATIONS_ENV } from '../../functions/core/saga/index.js';
import { createStateStore, type PlanStore } from '../../functions/core/store/index.js';
import { approvalKey } from '../../functions/core/approvals/index.js';
import { createStepHandler } from '../../functions/saga-steps/purchase-order/index.js';
import type { ExecutionRecord, LocalAws } from '../../local/aws/index.js';
import { startBcSandbox, type BcSandbox } from '../../local/bc-sandbox/index.js';
import { startLocalAws } from './local-aws.js';
import { TABLE_DEFINITIONS, TEST_TABLES } from './dynamo.js';
import { synthesizeSaga, withShortRetries } from './saga-state-machine.js';
import { observerClient, orderFixture, storeSagaPlan, type OrderFixture, type SagaInput } from './saga.js';

export interface RecordedEvent {
  name: string;
  source: string;
  detail: Record<string, unknown>;
  /** The event as EventBridge delivered it to a target (what the audit consumer receives). */
  raw: Record<string, unknown>;
}

export type Decision = 'grant' | 'deny' | 'none';

export interface SagaRun {
  execution: ExecutionRecord;
  /** The task's events in delivery order. */
  events: RecordedEvent[];
}

export interface SagaHarness {
  sandbox: BcSandbox;
  aws: LocalAws;
  /** A BC client for the caller's own reads (no retries). */
  observer: BcClient;
  fixture: OrderFixture;
  plans: PlanStore;
  /** Starts the saga for a new task (its plan stored first), decides its approval when asked, waits for the end. */
  runSaga(input: SagaInput, decision?: Decision): Promise<SagaRun>;
  /** The same, returning once the execution started: `run` ends with it. */
  startSaga(input: SagaInput, decision?: Decision): Promise<{ executionArn: string; run: Promise<SagaRun> }>;
  /** Every event delivered so far, or the next one that matches. */
  events(): RecordedEvent[];
  nextEvent(match: (e: RecordedEvent) => boolean): Promise<RecordedEvent>;
  /** The step handler's environment (the repair sweep runs with the same). */
  env: Record<string, string>;
  sfn: SFNClient;
  stateMachineArn: string;
  stop(): Promise<void>;
}

export interface SagaHarnessOptions {
  /** Every retrier waits 1 s flat (tests); otherwise the synthesized backoff. */
  shortRetries?: boolean;
  /** Environment of the step handler on top of the harness's (e.g. a breaker that opens). */
  env?: Record<string, string>;
  /**
   * The stage's saga.reservations (default true, the shape the older suites were written for): the state
   * machine with or without ReserveInventory, the steps' SAGA_RESERVATIONS as the construct sets it, and the
   * sandbox with or without the itemReservations extension.
   */
  reservations?: boolean;
}

/** As Lambda reports a function error to Step Functions: errorType = the error's name, Cause = JSON. */
function lambdaError(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  const failure = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
  failure.name = e.name;
  return failure;
}

export async function startSagaHarness(options: SagaHarnessOptions = {}): Promise<SagaHarness> {
  const savedEnv = { ...process.env };
  const local = await startLocalAws();
  const { aws } = local;
  const reservations = options.reservations ?? true;
  const sandbox = await startBcSandbox({ port: 0, itemReservations: reservations });
  const sfn = new SFNClient(local.clientConfig);
  const stop = async () => {
    sfn.destroy();
    await sandbox.stop();
    await local.cleanup();
    process.env = savedEnv;
  };
  try {
    const observer = observerClient(sandbox);
    const fixture = await orderFixture(observer);
    // The step handler's SDK clients find the endpoint as a Lambda's would: through the environment.
    Object.assign(process.env, { AWS_ENDPOINT_URL: aws.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    const dynamo = new DynamoDBClient(local.clientConfig);
    for (const table of TABLE_DEFINITIONS) await dynamo.send(new CreateTableCommand(table));
    const db = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
    const plans = createStateStore({ tableName: TEST_TABLES.STATE_TABLE, db }).plans;

    const saga = synthesizeSaga(aws, { saga: { reservations } });
    const delivered: RecordedEvent[] = [];
    const waiters: { match: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }[] = [];
    const nextEvent = (match: (e: RecordedEvent) => boolean): Promise<RecordedEvent> => {
      const seen = delivered.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    };
    // Everything on the bus from the project's sources, in delivery order.
    aws.events.createBus(saga.busName);
    aws.events.putRule({ busName: saga.busName, name: 'record-all', eventPattern: JSON.stringify({ source: [{ prefix: 'bc-agent.' }] }) });
    aws.events.putTargets(saga.busName, 'record-all', [{ id: 'recorder', arn: 'arn:aws:lambda:us-east-1:000000000000:function:recorder' }]);
    aws.events.setTargetDispatcher(async (_target, payload) => {
      const event = JSON.parse(payload) as { 'detail-type': string; source: string; detail: Record<string, unknown> };
      const recorded = { name: event['detail-type'], source: event.source, detail: event.detail, raw: event as Record<string, unknown> };
      delivered.push(recorded);
      for (const waiter of waiters.filter((w) => w.match(recorded))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(recorded);
      }
    });

    const secretArn = aws.secretsManager.putSecret('bc-agent/bc-credentials', JSON.stringify({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret }));
    const env = {
      BC_API_BASE_URL: sandbox.url,
      BC_TENANT: sandbox.tenant,
      BC_ENVIRONMENT: sandbox.environment,
      BC_TOKEN_URL: sandbox.tokenUrl,
      BC_CREDENTIALS_SECRET_ARN: secretArn,
      EVENT_BUS_NAME: saga.busName,
      ...TEST_TABLES,
      APPROVAL_TTL_MINUTES: '15',
      // Injected 5xx answers count against the breaker; these runs measure the saga, test/unit/functions/core/breaker the breaker.
      BREAKER_THRESHOLD: '1000',
      ...options.env,
    };
    const logger = new Logger({ serviceName: 'saga-harness', logLevel: 'ERROR' });
    // The saga's shape reaches the steps as the construct sets it in the template.
    const shape = saga.stepsEnvironment[SAGA_RESERVATIONS_ENV];
    if (shape === undefined) throw new Error(`the saga steps function has no ${SAGA_RESERVATIONS_ENV} in the template`);
    Object.assign(env, { [SAGA_RESERVATIONS_ENV]: shape, ...options.env });
    const handler = createStepHandler(() => sagaDepsFromEnv(env, logger, { bcMaxRetries: 1, bcOptions: { sleep: async () => undefined } }), logger);
    aws.stepFunctions.setTaskHandlers({
      invokeLambda: async (arn, payload) => {
        if (arn !== saga.stepsFunctionArn) throw new Error(`unexpected function ${arn}`);
        try {
          return await handler(payload);
        } catch (error) {
          throw lambdaError(error);
        }
      },
    });
    const definition = saga.definition;
    const stateMachineArn = aws.stepFunctions.createStateMachine({ name: saga.name, definition: options.shortRetries ? withShortRetries(definition) : definition });

    const decide = async (input: SagaInput, decision: 'grant' | 'deny'): Promise<void> => {
      const { Item } = await db.send(new GetCommand({ TableName: TEST_TABLES.APPROVALS_TABLE, Key: approvalKey(input.tenantId, approvalIdFor(input)) }));
      if (!Item) throw new Error(`no approval recorded for task ${input.taskId}`);
      const token = String(Item.taskToken);
      if (decision === 'grant') {
        const output = { approvalId: Item.approvalId, status: 'granted', operationHash: Item.operationHash, decidedBy: 'bob' };
        await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
      } else {
        await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'ApprovalDenied', cause: 'denied by bob' }));
      }
    };

    const startSaga = async (input: SagaInput, decision: Decision = 'grant') => {
      await storeSagaPlan(plans, input);
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: input.taskId, input: JSON.stringify(input) }));
      const ofTask = (e: RecordedEvent) => e.detail.taskId === input.taskId;
      const finished = aws.stepFunctions.waitForExecution(executionArn!);
      const run = (async (): Promise<SagaRun> => {
        if (decision !== 'none') {
          // The approval request, unless the execution ends first (then the caller's assertions say why).
          const asked = await Promise.race([nextEvent((e) => ofTask(e) && e.name === 'approval:requested'), finished.then(() => undefined)]);
          if (asked) await decide(input, decision);
        }
        const execution = await finished;
        // Events published by the step handler were routed before its step returned; deliveries finish here.
        await aws.events.idle();
        return { execution, events: delivered.filter(ofTask) };
      })();
      return { executionArn: executionArn!, run };
    };
    const runSaga = async (input: SagaInput, decision: Decision = 'grant'): Promise<SagaRun> => (await startSaga(input, decision)).run;

    return {
      sandbox, aws, observer, fixture, plans, runSaga, startSaga, stop, env, sfn, stateMachineArn,
      events: () => [...delivered],
      nextEvent,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
