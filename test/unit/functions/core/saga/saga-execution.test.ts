// The whole purchase-order saga as the stack defines it, executed on the local AWS endpoint with the step
// handler in-process against the BC sandbox (harness.ts), the approval given through the Step Functions SDK.
// Failures are injected with the sandbox's faults; BC must end exactly as it began, with the events in order.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BcClient } from '../../../../../functions/core/bc/index.js';
import { parseEventDetail, type EventName } from '../../../../../functions/core/events/index.js';
import { operationHashOf, orderKeyFor, SAGA_STEPS } from '../../../../../functions/core/saga/index.js';
import { COMPENSATIONS, FORWARD_STEPS, SAGA_EVENT_SOURCE, SAGA_STEPS as CONSTRUCT_STEPS } from '../../../../../lib/constructs/purchase-order-saga.js';
import type { ExecutionRecord } from '../../../../../local/aws/index.js';
import type { BcSandbox, FaultRuleInput } from '../../../../../local/bc-sandbox/index.js';
import { startSagaHarness, type RecordedEvent, type SagaHarness } from '../../../../support/saga-harness.js';
import { bcSnapshot, sagaFootprint, sagaInput, type OrderFixture } from '../../../../support/saga.js';

let harness: SagaHarness;
let sandbox: BcSandbox;
let observer: BcClient;
let fixture: OrderFixture;
const runSaga: SagaHarness['runSaga'] = (input, decision) => harness.runSaga(input, decision);

beforeAll(async () => {
  harness = await startSagaHarness({ shortRetries: true });
  ({ sandbox, observer, fixture } = harness);
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

beforeEach(() => {
  sandbox.clearFaults();
});

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
  it('is retried, then parked and recorded, the remaining compensations still run, and the rollback ends pending', async () => {
    const input = sagaInput(fixture);
    sandbox.addFault({ entitySet: 'itemReservations', method: 'POST', status: 500, count: 1 });
    sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'DELETE', status: 500 });
    sandbox.resetStats();
    const { execution, events } = await runSaga(input);
    const deleteAttempts = sandbox.stats().byRoute['DELETE purchaseOrderLines'];
    sandbox.clearFaults();

    // Never "RolledBack": a compensation gave up, so BC is not yet as before.
    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderRollbackPending' });
    // The first attempt and four retries (the construct's MaxAttempts), each stopped at the first line.
    expect(deleteAttempts).toBe(5);
    expect(names(events)).toEqual([
      'approval:requested', 'checkpoint:createOrder', 'checkpoint:addLines', 'rollback:initiated@reserveInventory',
      'rollback:compensation-failed', 'rollback:completed', 'task:completed',
    ]);
    const failure = events.find((e) => e.name === 'rollback:compensation-failed')!;
    expect(failure.detail).toMatchObject({ step: 'deleteLines', error: { code: 'BcRequestFailed' }, repairId: `${input.tenantId}#${input.taskId}` });
    expect(events.find((e) => e.name === 'rollback:completed')!.detail).toMatchObject({
      status: 'partial',
      compensated: ['releaseReservations', 'deleteOrder'],
      failed: [{ step: 'deleteLines', error: { code: 'BcRequestFailed', message: expect.stringContaining('purchaseOrderLines') } }],
    });
    expect(events.at(-1)!.detail).toMatchObject({ status: 'failed', error: { code: 'RollbackPending', message: expect.stringContaining('BC is being repaired') } });
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
