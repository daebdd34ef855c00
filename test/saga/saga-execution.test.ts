// The whole purchase-order saga as the stack defines it, executed on the local AWS endpoint (Step Functions
// by aws-local-stepfunctions, DynamoDB, EventBridge, Secrets Manager) with every Lambda task dispatched to
// the step handler in-process, configured through its environment against the BC sandbox. The approval is
// given with SendTaskSuccess through the Step Functions SDK, as the approvals side will. Failures are
// injected with the sandbox's faults; BC must end exactly as it began, with the saga's events in order.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BcClient } from '../../functions/core/bc/index.js';
import { parseEventDetail, type EventName } from '../../functions/core/events/index.js';
import { approvalIdFor, operationHashOf, orderKeyFor, SAGA_STEPS, sagaDepsFromEnv } from '../../functions/core/saga/index.js';
import { createStateStore, type PlanStore } from '../../functions/core/store/index.js';
import { approvalKey } from '../../functions/orchestrator/routes/approvals.js';
import { createStepHandler } from '../../functions/saga-steps/purchase-order/index.js';
import { COMPENSATIONS, FORWARD_STEPS, SAGA_EVENT_SOURCE, SAGA_STEPS as CONSTRUCT_STEPS } from '../../lib/constructs/purchase-order-saga.js';
import type { ExecutionRecord, LocalAws } from '../../lib/local/aws/index.js';
import { startBcSandbox, type BcSandbox, type FaultRuleInput } from '../../lib/local/bc-sandbox/index.js';
import { startLocalAws } from '../local-aws/support.js';
import { TABLE_DEFINITIONS, TEST_TABLES } from '../support/dynamo.js';
import { synthesizeSaga, withoutRootResultPath, withShortRetries } from './state-machine.js';
import { bcSnapshot, observerClient, orderFixture, sagaFootprint, sagaInput, storeSagaPlan, type OrderFixture, type SagaInput } from './support.js';

interface RecordedEvent {
  name: string;
  source: string;
  detail: Record<string, unknown>;
}

let sandbox: BcSandbox;
let aws: LocalAws;
let cleanupAws: () => Promise<void>;
let sfn: SFNClient;
let db: DynamoDBDocumentClient;
let plans: PlanStore;
let observer: BcClient;
let fixture: OrderFixture;
let stateMachineArn: string;
const delivered: RecordedEvent[] = [];
const waiters: { match: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }[] = [];
const savedEnv = { ...process.env };

function nextEvent(match: (e: RecordedEvent) => boolean): Promise<RecordedEvent> {
  const seen = delivered.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => waiters.push({ match, resolve }));
}

/** As Lambda reports a function error to Step Functions: errorType = the error's name, Cause = JSON. */
function lambdaError(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  const failure = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
  failure.name = e.name;
  return failure;
}

beforeAll(async () => {
  const local = await startLocalAws();
  aws = local.aws;
  cleanupAws = local.cleanup;
  sandbox = await startBcSandbox({ port: 0 });
  observer = observerClient(sandbox);
  fixture = await orderFixture(observer);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const dynamo = new DynamoDBClient(local.clientConfig);
  for (const table of TABLE_DEFINITIONS) await dynamo.send(new CreateTableCommand(table));
  db = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  plans = createStateStore({ tableName: TEST_TABLES.STATE_TABLE, db }).plans;
  sfn = new SFNClient(local.clientConfig);

  const saga = synthesizeSaga(aws);
  // Everything on the bus from the project's sources, in delivery order.
  aws.events.createBus(saga.busName);
  aws.events.putRule({ busName: saga.busName, name: 'record-all', eventPattern: JSON.stringify({ source: [{ prefix: 'bc-agent.' }] }) });
  aws.events.putTargets(saga.busName, 'record-all', [{ id: 'recorder', arn: 'arn:aws:lambda:us-east-1:000000000000:function:recorder' }]);
  aws.events.setTargetDispatcher(async (_target, payload) => {
    const event = JSON.parse(payload) as { 'detail-type': string; source: string; detail: Record<string, unknown> };
    const recorded = { name: event['detail-type'], source: event.source, detail: event.detail };
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
    // Injected 5xx answers count against the breaker; this file tests the saga, test/breaker the breaker.
    BREAKER_THRESHOLD: '1000',
  };
  const logger = new Logger({ serviceName: 'saga-test', logLevel: 'ERROR' });
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
  stateMachineArn = aws.stepFunctions.createStateMachine({ name: saga.name, definition: withShortRetries(withoutRootResultPath(saga.definition)) });
}, 120_000);

afterAll(async () => {
  sfn?.destroy();
  await sandbox?.stop();
  await cleanupAws?.();
  process.env = savedEnv;
});

beforeEach(() => {
  sandbox.clearFaults();
});

type Decision = 'grant' | 'deny' | 'none';

/** What the approvals side does once a person decided: resume the execution on the recorded task token. */
async function decide(input: SagaInput, decision: 'grant' | 'deny'): Promise<void> {
  const { Item } = await db.send(new GetCommand({ TableName: TEST_TABLES.APPROVALS_TABLE, Key: approvalKey(input.tenantId, approvalIdFor(input)) }));
  const token = String(Item!.taskToken);
  if (decision === 'grant') {
    const output = { approvalId: Item!.approvalId, status: 'granted', operationHash: Item!.operationHash, decidedBy: 'bob' };
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
  } else {
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'ApprovalDenied', cause: 'denied by bob' }));
  }
}

/** Starts the saga for a new task, decides its approval when asked, and waits for the end. */
async function runSaga(input: SagaInput, decision: Decision = 'grant'): Promise<{ execution: ExecutionRecord; events: RecordedEvent[] }> {
  await storeSagaPlan(plans, input);
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: input.taskId, input: JSON.stringify(input) }));
  const ofTask = (e: RecordedEvent) => e.detail.taskId === input.taskId;
  const finished = aws.stepFunctions.waitForExecution(executionArn!);
  if (decision !== 'none') {
    // The approval request, unless the execution ends first (then the assertions say why).
    const asked = await Promise.race([nextEvent((e) => ofTask(e) && e.name === 'approval:requested'), finished.then(() => undefined)]);
    if (asked) await decide(input, decision);
  }
  const execution = await finished;
  // Events published by the step handler were routed before its step returned; deliveries finish here.
  await aws.events.idle();
  return { execution, events: delivered.filter(ofTask) };
}

/** The saga's state at its end: the output, or for a failed execution the input of its last state. */
function stateOf(execution: ExecutionRecord): Record<string, any> {
  if (execution.output !== undefined) return JSON.parse(execution.output) as Record<string, any>;
  const entered = execution.history.filter((h) => h.type.endsWith('StateEntered')).at(-1) as unknown as { stateEnteredEventDetails: { input: string } };
  return JSON.parse(entered.stateEnteredEventDetails.input) as Record<string, any>;
}
/** The state of every failed task invocation (the history is sequential: Map items run one at a time). */
function failedStates(execution: ExecutionRecord): string[] {
  let current = '';
  const failed: string[] = [];
  for (const event of execution.history) {
    if (event.type === 'TaskStateEntered') current = (event as unknown as { stateEnteredEventDetails: { name: string } }).stateEnteredEventDetails.name;
    if (event.type === 'TaskFailed') failed.push(current);
  }
  return failed;
}

const names = (events: RecordedEvent[]) =>
  events.map((e) => (e.name === 'checkpoint:created' ? `checkpoint:${String(e.detail.step)}` : e.name === 'rollback:initiated' ? `rollback:initiated@${String(e.detail.failedStep)}` : e.name));

/** Every event conforms to the catalogue (the construct builds its envelopes itself). */
function expectValidEvents(events: RecordedEvent[]): void {
  for (const event of events) expect(() => parseEventDetail(event.name as EventName, event.detail)).not.toThrow();
}

it('implements every step the state machine sends', () => {
  expect([...SAGA_STEPS]).toEqual([...CONSTRUCT_STEPS]);
  expect(FORWARD_STEPS.map((s) => COMPENSATIONS[s])).toEqual(['deleteOrder', 'deleteLines', 'releaseReservations']);
});

describe('a successful saga', () => {
  it('leaves exactly one order with its lines and reservations, with a checkpoint after each step', async () => {
    const input = sagaInput(fixture);
    const { execution, events } = await runSaga(input);
    expect(execution.status).toBe('SUCCEEDED');
    const footprint = await sagaFootprint(observer, orderKeyFor(input));
    expect(footprint.orders).toHaveLength(1);
    expect(footprint.lines.map((l) => [l.sequence, l.itemId, l.quantity])).toEqual([
      [10000, fixture.items[0]!.id, 2],
      [20000, fixture.items[1]!.id, 1],
    ]);
    expect(footprint.reservations.map((r) => [r.itemId, r.quantity, r.sourceId])).toEqual([
      [fixture.items[0]!.id, 2, footprint.orders[0]!.id],
      [fixture.items[1]!.id, 1, footprint.orders[0]!.id],
    ]);
    expect(names(events)).toEqual(['approval:requested', 'checkpoint:createOrder', 'checkpoint:addLines', 'checkpoint:reserveInventory', 'task:completed']);
    expect(events.every((e) => e.source === SAGA_EVENT_SOURCE)).toBe(true);
    expectValidEvents(events);
    expect(events.at(-1)!.detail).toMatchObject({ status: 'succeeded', taskType: 'write', result: { orderId: footprint.orders[0]!.id, lines: 2, reservations: 2 } });
    expect(stateOf(execution).results.approval.operationHash).toBe(operationHashOf(input.tenantId, input.order));
  });

  it('rides out a brief BC outage through the state machine retry', async () => {
    const input = sagaInput(fixture);
    // Two 503s: the step's first attempt (one client retry) fails with BcTransientError, the retry succeeds.
    sandbox.addFault({ entitySet: 'itemReservations', method: 'POST', status: 503, count: 2 });
    const { execution, events } = await runSaga(input);
    expect(execution.status).toBe('SUCCEEDED');
    expect(names(events)).not.toContain('rollback:initiated@reserveInventory');
    const footprint = await sagaFootprint(observer, orderKeyFor(input));
    expect([footprint.orders.length, footprint.lines.length, footprint.reservations.length]).toEqual([1, 2, 2]);
  });
});

interface FailureCase {
  title: string;
  faults: FaultRuleInput[];
  failedStep: (typeof FORWARD_STEPS)[number];
  compensated: string[];
  checkpoints: string[];
  /** The state whose invocations failed (no compensation may fail) and how often, when that is fixed. */
  failedState?: string;
  failedInvocations?: number;
}

const failureCases: FailureCase[] = [
  {
    title: 'createOrder',
    faults: [{ entitySet: 'purchaseOrders', method: 'POST', status: 500 }],
    failedStep: 'createOrder',
    compensated: ['deleteOrder'],
    checkpoints: [],
    failedState: 'CreateOrder',
    failedInvocations: 1,
  },
  {
    title: 'the first line',
    faults: [{ entitySet: 'purchaseOrderLines', method: 'POST', status: 500 }],
    failedStep: 'addLines',
    compensated: ['deleteLines', 'deleteOrder'],
    checkpoints: ['checkpoint:createOrder'],
    // aws-local-stepfunctions still runs the Map's queued iteration after one failed, alongside the
    // compensations (AWS starts no further iteration): the fault stays on so that line fails too, and
    // which state's failure the history shows last is left open.
  },
  {
    title: 'the last line (after the first was added)',
    faults: [{ entitySet: 'purchaseOrderLines', method: 'POST', status: 500, rate: 0.5, count: 1 }],
    failedStep: 'addLines',
    compensated: ['deleteLines', 'deleteOrder'],
    checkpoints: ['checkpoint:createOrder'],
    failedState: 'AddLine',
    failedInvocations: 1,
  },
  {
    title: 'the last reservation (after the first was made), the last forward write',
    faults: [{ entitySet: 'itemReservations', method: 'POST', status: 500, rate: 0.5, count: 1 }],
    failedStep: 'reserveInventory',
    compensated: ['releaseReservations', 'deleteLines', 'deleteOrder'],
    checkpoints: ['checkpoint:createOrder', 'checkpoint:addLines'],
    failedState: 'ReserveInventory',
    failedInvocations: 1,
  },
  {
    title: 'reserveInventory with BC unavailable beyond every retry',
    faults: [{ entitySet: 'itemReservations', method: 'POST', status: 503 }],
    failedStep: 'reserveInventory',
    compensated: ['releaseReservations', 'deleteLines', 'deleteOrder'],
    checkpoints: ['checkpoint:createOrder', 'checkpoint:addLines'],
    failedState: 'ReserveInventory',
    failedInvocations: 4,
  },
];

describe('a failure at each forward step leaves BC exactly as it was', () => {
  it.each(failureCases)('at $title', async ({ faults, failedStep, compensated, checkpoints, failedState, failedInvocations }) => {
    const input = sagaInput(fixture);
    const before = await bcSnapshot(observer);
    for (const fault of faults) sandbox.addFault(fault);
    sandbox.resetStats();
    const { execution, events } = await runSaga(input);
    sandbox.clearFaults();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderSagaFailed' });
    expect(await bcSnapshot(observer)).toEqual(before);
    expect(names(events)).toEqual(['approval:requested', ...checkpoints, `rollback:initiated@${failedStep}`, 'rollback:completed', 'task:completed']);
    expectValidEvents(events);
    const [initiated, completed, taskCompleted] = events.slice(-3);
    expect(initiated!.detail).toMatchObject({ failedStep, steps: compensated });
    expect(completed!.detail).toMatchObject({ status: 'succeeded', compensated, failed: [] });
    expect(taskCompleted!.detail).toMatchObject({ status: 'failed', error: { code: expect.stringMatching(/^Bc/) } });
    const state = stateOf(execution);
    expect(Object.keys(state.compensations)).toEqual(compensated);
    const failed = failedStates(execution);
    if (failedState !== undefined) expect(new Set(failed)).toEqual(new Set([failedState]));
    if (failedInvocations !== undefined) expect(failed).toHaveLength(failedInvocations);
  });

  it('retries a transient failure before compensating (three retries, each with one client retry)', async () => {
    const input = sagaInput(fixture);
    sandbox.addFault({ entitySet: 'itemReservations', method: 'POST', status: 503 });
    sandbox.resetStats();
    const { execution } = await runSaga(input);
    expect(execution.status).toBe('FAILED');
    expect(sandbox.stats().byRoute['POST itemReservations']).toBe(4 * 2);
    expect(JSON.parse(stateOf(execution).error.Cause).errorType).toBe('BcTransientError');
  });
});

describe('a failing compensation', () => {
  it('is retried, then recorded, and the remaining compensations still run', async () => {
    const input = sagaInput(fixture);
    sandbox.addFault({ entitySet: 'itemReservations', method: 'POST', status: 500, count: 1 });
    sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'DELETE', status: 500 });
    sandbox.resetStats();
    const { execution, events } = await runSaga(input);
    const deleteAttempts = sandbox.stats().byRoute['DELETE purchaseOrderLines'];
    sandbox.clearFaults();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderSagaFailed' });
    // The first attempt and four retries (the construct's MaxAttempts), each stopped at the first line.
    expect(deleteAttempts).toBe(5);
    expect(names(events)).toEqual([
      'approval:requested', 'checkpoint:createOrder', 'checkpoint:addLines', 'rollback:initiated@reserveInventory',
      'rollback:compensation-failed', 'rollback:completed', 'task:completed',
    ]);
    const failure = events.find((e) => e.name === 'rollback:compensation-failed')!;
    expect(failure.detail).toMatchObject({ step: 'deleteLines', error: { code: 'BcRequestFailed' } });
    expect(events.find((e) => e.name === 'rollback:completed')!.detail).toMatchObject({
      status: 'partial',
      compensated: ['releaseReservations', 'deleteOrder'],
      failed: [{ step: 'deleteLines', error: { code: 'BcRequestFailed', message: expect.stringContaining('purchaseOrderLines') } }],
    });
    expect(events.at(-1)!.detail).toMatchObject({ status: 'failed', error: { code: 'RollbackIncomplete' } });
    // deleteOrder ran after deleteLines gave up: the order is gone.
    expect((await sagaFootprint(observer, orderKeyFor(input))).orders).toHaveLength(0);
    expect(stateOf(execution).compensations.deleteOrder).toEqual({ deleted: true });
  });
});

describe('a saga that writes nothing', () => {
  it('ends at validation without asking for approval', async () => {
    const input = sagaInput(fixture);
    input.order.vendorNumber = 'NO-SUCH-VENDOR';
    const before = await bcSnapshot(observer);
    const { execution, events } = await runSaga(input, 'none');
    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderNotExecuted' });
    expect(names(events)).toEqual(['task:completed']);
    expect(events[0]!.detail).toMatchObject({ status: 'failed', error: { code: 'PurchaseOrderInvalid', message: expect.stringContaining('NO-SUCH-VENDOR') } });
    expect(await bcSnapshot(observer)).toEqual(before);
  });

  it('ends when the approval is denied', async () => {
    const input = sagaInput(fixture);
    const before = await bcSnapshot(observer);
    const { execution, events } = await runSaga(input, 'deny');
    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderNotExecuted' });
    expect(names(events)).toEqual(['approval:requested', 'task:completed']);
    expect(events[1]!.detail).toMatchObject({ error: { code: 'ApprovalDenied', message: 'denied by bob' } });
    expect(await bcSnapshot(observer)).toEqual(before);
  });
});
