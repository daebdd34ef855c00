// Parked rollbacks and the repair sweep (issue 9), on the saga's real state machine against the BC sandbox:
// a compensation that fails for longer than its retries (PO DELETE answering 503) is parked, the execution
// ends RollbackPending (never RolledBack), and once the sandbox heals the sweep removes the order and announces
// rollback:completed with repaired: true. Also an execution aborted after createOrder (it never compensated)
// is found through the Step Functions API and cleaned up the same way.
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BcClient } from '../../../../../functions/core/bc/index.js';
import { parseEventDetail, type EventName } from '../../../../../functions/core/events/index.js';
import { parkAbandonedExecutions } from '../../../../../functions/core/saga/abandoned.js';
import { orderKeyFor, RepairStore, repairDue, repairIdOf, sagaDepsFromEnv, type PurchaseOrderSagaDeps } from '../../../../../functions/core/saga/index.js';
import { SAGA_FAIL_ERRORS } from '../../../../../functions/core/saga/repair-contract.js';
import type { BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { TEST_TABLES } from '../../../../support/dynamo.js';
import { startSagaHarness, type SagaHarness } from '../../../../support/saga-harness.js';
import { bcSnapshot, sagaFootprint, sagaInput, type OrderFixture } from '../../../../support/saga.js';

let harness: SagaHarness;
let sandbox: BcSandbox;
let observer: BcClient;
let fixture: OrderFixture;
let deps: PurchaseOrderSagaDeps;
let clock = 0;

beforeAll(async () => {
  harness = await startSagaHarness({ shortRetries: true });
  ({ sandbox, observer, fixture } = harness);
  await observer.companies().catch(() => undefined); // see saga-compensation-breaker.test.ts
  const logger = new Logger({ serviceName: 'saga-repair-test', logLevel: 'ERROR' });
  deps = await sagaDepsFromEnv(harness.env, logger, { bcMaxRetries: 0, bcOptions: { sleep: async () => undefined } });
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

beforeEach(() => {
  sandbox.clearFaults();
});

/** One sweep as the scheduled function runs it, on the test's clock (backoff between attempts is clock time). */
const sweep = () => {
  const store = new RepairStore({ db: deps.db, tableName: TEST_TABLES.STATE_TABLE, now: () => clock });
  return repairDue({ store, bc: deps.compensationBc!, publisher: deps.publisher, now: () => clock, retryBaseMs: 30_000 });
};

const expectValid = (name: string, detail: Record<string, unknown>) => expect(() => parseEventDetail(name as EventName, detail)).not.toThrow();

describe('a compensation that fails for longer than its retries', () => {
  it('is parked, the rollback ends pending, and the sweep finishes it once BC heals', async () => {
    const input = sagaInput(fixture);
    const before = await bcSnapshot(observer);
    // The line is refused (no retry), and deleting the order answers 503 for a while.
    sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', status: 400 });
    sandbox.addFault({ entitySet: 'purchaseOrders', method: 'DELETE', status: 503 });
    const { execution, events } = await harness.runSaga(input);
    clock = Date.now();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderRollbackPending' });
    const repairId = repairIdOf(input);
    const failed = events.find((e) => e.name === 'rollback:compensation-failed')!;
    expect(failed.detail).toMatchObject({ step: 'deleteOrder', repairId });
    expectValid(failed.name, failed.detail);
    expect(events.find((e) => e.name === 'rollback:completed')!.detail).toMatchObject({ status: 'partial', failed: [{ step: 'deleteOrder' }] });
    const taskCompleted = events.at(-1)!;
    expect(taskCompleted.name).toBe('task:completed');
    expect(taskCompleted.detail).toMatchObject({ status: 'failed', error: { code: 'RollbackPending', message: expect.stringContaining(`BC is being repaired (repair ${repairId})`) } });
    const parked = await deps.repairs.get(repairId);
    expect(parked).toMatchObject({ status: 'pending', remaining: ['deleteOrder'], context: { taskId: input.taskId }, executionId: execution.arn });
    expect((await sagaFootprint(observer, orderKeyFor(input))).orders).toHaveLength(1);

    // BC still down: the sweep tries, keeps the record and backs off.
    expect(await sweep()).toEqual([{ repairId, outcome: 'failed', error: expect.objectContaining({ code: expect.any(String) }) }]);
    expect(await deps.repairs.get(repairId)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await sweep()).toEqual([]); // not due before its backoff

    // The sandbox heals; two sweeps at once after the backoff: one repairs, the other finds it taken or done.
    sandbox.clearFaults();
    clock += 60_000;
    const outcomes = (await Promise.all([sweep(), sweep()])).flat();
    expect(outcomes.filter((o) => o.outcome === 'repaired').map((o) => o.repairId)).toEqual([repairId]);
    expect(await bcSnapshot(observer)).toEqual(before);
    expect(await deps.repairs.get(repairId)).toMatchObject({ status: 'repaired', announced: true, remaining: [] });
    await harness.aws.events.idle();
    const completed = harness.events().filter((e) => e.detail.taskId === input.taskId && e.name === 'rollback:completed' && e.detail.repaired === true);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.detail).toMatchObject({ status: 'succeeded', repaired: true, repairId, failed: [] });
    expectValid('rollback:completed', completed[0]!.detail);
    // Done is done: a later sweep does nothing.
    clock += 3_600_000;
    expect(await sweep()).toEqual([]);
  });
});

describe('an execution that ended without compensating', () => {
  it('is found after createOrder, parked, and cleaned up by the sweep', async () => {
    const input = sagaInput(fixture);
    const before = await bcSnapshot(observer);
    // The first line takes long enough to stop the execution while it is on its way.
    sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', latencyMs: 1_500, count: 1 });
    const { executionArn, run } = await harness.startSaga(input);
    await harness.nextEvent((e) => e.detail.taskId === input.taskId && e.name === 'checkpoint:created' && e.detail.step === 'createOrder');
    await harness.sfn.send(new StopExecutionCommand({ executionArn, error: 'Crashed', cause: 'the local cloud was killed' }));
    const { execution } = await run;
    expect(execution.status).toBe('ABORTED');
    // The step that was running finishes anyway (as a Lambda would): wait for its line to land.
    await waitFor(async () => (await sagaFootprint(observer, orderKeyFor(input))).lines.length === 1);

    const abandonedDeps = {
      sfn: harness.sfn, stateMachineArn: harness.stateMachineArn, db: deps.db, tableName: TEST_TABLES.STATE_TABLE,
      repairs: deps.repairs, publisher: deps.publisher, ownErrors: SAGA_FAIL_ERRORS,
    };
    clock = Date.now();
    const found = await parkAbandonedExecutions(abandonedDeps);
    expect(found.parked).toEqual([repairIdOf(input)]);
    // Looked at once: the next run does not park it again.
    expect((await parkAbandonedExecutions(abandonedDeps)).parked).toEqual([]);
    await harness.aws.events.idle();
    const failed = harness.events().find((e) => e.detail.taskId === input.taskId && e.name === 'rollback:compensation-failed')!;
    expect(failed.detail).toMatchObject({ error: { code: 'ExecutionEnded' }, repairId: repairIdOf(input) });

    clock += 60_000;
    expect((await sweep()).map((o) => o.outcome)).toContain('repaired');
    expect(await bcSnapshot(observer)).toEqual(before);
  });
});

describe('the scheduled repair function', () => {
  it('parks an aborted execution and repairs it in one run, with the saga steps environment', async () => {
    const input = sagaInput(fixture);
    const before = await bcSnapshot(observer);
    sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', latencyMs: 1_500, count: 1 });
    const { executionArn, run } = await harness.startSaga(input);
    await harness.nextEvent((e) => e.detail.taskId === input.taskId && e.name === 'checkpoint:created' && e.detail.step === 'createOrder');
    await harness.sfn.send(new StopExecutionCommand({ executionArn, error: 'Crashed' }));
    expect((await run).execution.status).toBe('ABORTED');
    await waitFor(async () => (await sagaFootprint(observer, orderKeyFor(input))).lines.length === 1);

    Object.assign(process.env, harness.env, { SAGA_STATE_MACHINE_ARN: harness.stateMachineArn });
    const { handler } = await import('../../../../../functions/consumers/saga-repair/index.js');
    const summary = await handler();
    expect(summary).toMatchObject({ parked: 1, repaired: 1, failed: 0 });
    expect(await bcSnapshot(observer)).toEqual(before);
    await harness.aws.events.idle();
    const completed = harness.events().find((e) => e.detail.taskId === input.taskId && e.name === 'rollback:completed');
    expect(completed?.detail).toMatchObject({ status: 'succeeded', repaired: true });
  });
});

/** Polls a condition on the sandbox (a late step's write has no event to wait on). */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
