// The purchase-order saga on both stage shapes (lib/config.ts saga.reservations; functions/core/saga/shape.ts),
// each on the state machine the stack synthesizes for that setting, against a sandbox that has the
// itemReservations extension installed exactly when the stage uses it:
//   - off (a standard tenant, the default): the saga creates the order and its lines, never calls the
//     extension's API (the sandbox would answer BC's 404), compensates and repairs without releaseReservations;
//   - on (bc-extension/ installed): the same order with one reservation per line.
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BcNotFoundError, itemReservationsApi, type BcClient } from '../../../../../functions/core/bc/index.js';
import { parseEventDetail, type EventName } from '../../../../../functions/core/events/index.js';
import { parkAbandonedExecutions } from '../../../../../functions/core/saga/abandoned.js';
import { orderKeyFor, RepairStore, repairDue, repairIdOf, sagaDepsFromEnv, type PurchaseOrderSagaDeps } from '../../../../../functions/core/saga/index.js';
import { SAGA_FAIL_ERRORS } from '../../../../../functions/core/saga/repair-contract.js';
import type { ExecutionRecord } from '../../../../../local/aws/index.js';
import { TEST_TABLES } from '../../../../support/dynamo.js';
import { startSagaHarness, type RecordedEvent, type SagaHarness } from '../../../../support/saga-harness.js';
import { bcSnapshot, sagaFootprint, sagaInput } from '../../../../support/saga.js';

const names = (events: RecordedEvent[]) =>
  events.map((e) => (e.name === 'checkpoint:created' ? `checkpoint:${String(e.detail.step)}` : e.name === 'rollback:initiated' ? `rollback:initiated@${String(e.detail.failedStep)}` : e.name));

const expectValidEvents = (events: RecordedEvent[]) => {
  for (const event of events) expect(() => parseEventDetail(event.name as EventName, event.detail)).not.toThrow();
};

/** The states an execution entered, in order. */
const enteredStates = (execution: ExecutionRecord): string[] =>
  execution.history
    .map((event) => (event as unknown as { stateEnteredEventDetails?: { name: string } }).stateEnteredEventDetails?.name)
    .filter((name): name is string => name !== undefined);

/** Every request the sandbox counted that reached the reservations extension's API. */
const reservationRequests = (harness: SagaHarness) => Object.entries(harness.sandbox.stats().byRoute).filter(([route]) => route.includes('itemReservations'));

describe.each([
  { shape: 'without reservations (a standard tenant)', reservations: false },
  { shape: 'with reservations (the extension installed)', reservations: true },
])('a purchase-order saga $shape', ({ reservations }) => {
  let harness: SagaHarness;
  let observer: BcClient;
  const snapshot = () => bcSnapshot(observer, { reservations });
  const footprint = (orderKey: string) => sagaFootprint(observer, orderKey, { reservations });

  beforeAll(async () => {
    harness = await startSagaHarness({ shortRetries: true, reservations });
    observer = harness.observer;
  }, 120_000);
  afterAll(async () => {
    await harness?.stop();
  });
  beforeEach(() => {
    harness.sandbox.clearFaults();
    harness.sandbox.resetStats();
  });

  it('succeeds end to end: the order and its lines, and reservations only where the stage has them', async () => {
    const { fixture } = harness;
    const input = sagaInput(fixture);
    const { execution, events } = await harness.runSaga(input);

    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const written = await footprint(orderKeyFor(input));
    expect(written.orders).toHaveLength(1);
    expect(written.lines.map((l) => [l.sequence, l.itemId, l.quantity])).toEqual([
      [10000, fixture.items[0]!.id, 2],
      [20000, fixture.items[1]!.id, 1],
    ]);
    const checkpoints = reservations ? ['checkpoint:createOrder', 'checkpoint:addLines', 'checkpoint:reserveInventory'] : ['checkpoint:createOrder', 'checkpoint:addLines'];
    expect(names(events)).toEqual(['approval:requested', ...checkpoints, 'task:completed']);
    expectValidEvents(events);
    const result = events.at(-1)!.detail.result as Record<string, unknown>;
    expect(result).toMatchObject({ orderId: written.orders[0]!.id, lines: 2 });
    expect(enteredStates(execution).includes('ReserveInventory')).toBe(reservations);
    if (reservations) {
      expect(result.reservations).toBe(2);
      expect(written.reservations.map((r) => [r.itemId, r.quantity, r.sourceId])).toEqual([
        [fixture.items[0]!.id, 2, written.orders[0]!.id],
        [fixture.items[1]!.id, 1, written.orders[0]!.id],
      ]);
      expect(harness.sandbox.stats().byRoute['POST itemReservations']).toBe(2);
    } else {
      // Nothing said about reservations rather than "0 reserved", and the extension's API never called.
      expect(result).not.toHaveProperty('reservations');
      expect(reservationRequests(harness)).toEqual([]);
    }
  });

  it('compensates a failure after CreateOrder (the last line refused) and leaves BC as it was', async () => {
    const input = sagaInput(harness.fixture);
    const before = await snapshot();
    harness.sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', status: 500, rate: 0.5, count: 1 });
    harness.sandbox.resetStats();
    const { execution, events } = await harness.runSaga(input);
    const reservationCalls = reservationRequests(harness);
    harness.sandbox.clearFaults();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderSagaFailed' });
    expect(await snapshot()).toEqual(before);
    expect(names(events)).toEqual(['approval:requested', 'checkpoint:createOrder', 'rollback:initiated@addLines', 'rollback:completed', 'task:completed']);
    expectValidEvents(events);
    expect(events.find((e) => e.name === 'rollback:initiated')!.detail).toMatchObject({ failedStep: 'addLines', steps: ['deleteLines', 'deleteOrder'] });
    expect(events.find((e) => e.name === 'rollback:completed')!.detail).toMatchObject({ status: 'succeeded', compensated: ['deleteLines', 'deleteOrder'], failed: [] });
    // Validation reads reservations where the extension is there; a standard tenant is never asked.
    if (!reservations) expect(reservationCalls).toEqual([]);
  });

  // Only a stage that reserves can expect an extension the tenant lacks: defined for that shape only.
  if (reservations) it('stops before writing, and says why, when the tenant lacks the extension the stage expects', async () => {
    const input = sagaInput(harness.fixture);
    const before = await bcSnapshot(observer, { reservations: false });
    harness.sandbox.setItemReservationsApi(false);
    try {
      const { execution, events } = await harness.runSaga(input, 'none');
      expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderNotExecuted' });
      expect(names(events)).toEqual(['task:completed']);
      expect(events[0]!.detail, JSON.stringify(events[0]!.detail.error)).toMatchObject({
        status: 'failed',
        error: { code: 'PurchaseOrderInvalid', message: expect.stringContaining('BC has no itemReservations API: install the extension of bc-extension/') },
      });
      expect(await bcSnapshot(observer, { reservations: false })).toEqual(before);
    } finally {
      harness.sandbox.setItemReservationsApi(true);
    }
  });
});

describe('a purchase-order saga without reservations, when its rollback is left to the repair sweep', () => {
  let harness: SagaHarness;
  let deps: PurchaseOrderSagaDeps;
  let clock = 0;

  beforeAll(async () => {
    harness = await startSagaHarness({ shortRetries: true, reservations: false });
    const logger = new Logger({ serviceName: 'saga-shapes-test', logLevel: 'ERROR' });
    deps = await sagaDepsFromEnv(harness.env, logger, { bcMaxRetries: 0, bcOptions: { sleep: async () => undefined } });
  }, 120_000);
  afterAll(async () => {
    await harness?.stop();
  });
  beforeEach(() => harness.sandbox.clearFaults());

  const sweep = () => {
    const store = new RepairStore({ db: deps.db, tableName: TEST_TABLES.STATE_TABLE, now: () => clock, reservations: false });
    return repairDue({ store, bc: deps.compensationBc!, publisher: deps.publisher, now: () => clock, retryBaseMs: 30_000 });
  };

  it('has the sandbox answer the extension API as a standard tenant does: BC 404 BadRequest_NotFound', async () => {
    const failure = await harness.observer.customApi(itemReservationsApi).list({}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BcNotFoundError);
    expect(failure).toMatchObject({ code: 'BadRequest_NotFound', message: expect.stringContaining('No HTTP resource was found that matches the request URI') });
  });

  it('parks a compensation that keeps failing with the standard compensations only, and the sweep finishes it', async () => {
    const input = sagaInput(harness.fixture);
    const before = await bcSnapshot(harness.observer, { reservations: false });
    harness.sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', status: 500, rate: 0.5, count: 1 });
    harness.sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'DELETE', status: 500 });
    harness.sandbox.resetStats();
    const { execution, events } = await harness.runSaga(input);
    clock = Date.now();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderRollbackPending' });
    expect(events.find((e) => e.name === 'rollback:compensation-failed')!.detail).toMatchObject({ step: 'deleteLines', repairId: repairIdOf(input) });
    const parked = await deps.repairs.get(repairIdOf(input));
    expect(parked).toMatchObject({ status: 'pending', remaining: ['deleteLines', 'deleteOrder'] });

    harness.sandbox.clearFaults();
    clock += 60_000;
    expect(await sweep()).toEqual([{ repairId: repairIdOf(input), outcome: 'repaired' }]);
    expect(await bcSnapshot(harness.observer, { reservations: false })).toEqual(before);
    await harness.aws.events.idle();
    const repaired = harness.events().find((e) => e.detail.taskId === input.taskId && e.name === 'rollback:completed' && e.detail.repaired === true);
    expect(repaired?.detail).toMatchObject({ status: 'succeeded', compensated: ['deleteLines', 'deleteOrder'], failed: [] });
    expect(reservationRequests(harness)).toEqual([]);
  });

  it('parks an execution stopped after CreateOrder from deleteLines on, and the sweep removes its order', async () => {
    const input = sagaInput(harness.fixture);
    const before = await bcSnapshot(harness.observer, { reservations: false });
    harness.sandbox.resetStats();
    // The first line takes long enough to stop the execution while it is on its way.
    harness.sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', latencyMs: 1_500, count: 1 });
    const { executionArn, run } = await harness.startSaga(input);
    await harness.nextEvent((e) => e.detail.taskId === input.taskId && e.name === 'checkpoint:created' && e.detail.step === 'createOrder');
    await harness.sfn.send(new StopExecutionCommand({ executionArn, error: 'Crashed', cause: 'the local cloud was killed' }));
    expect((await run).execution.status).toBe('ABORTED');
    await waitFor(async () => (await sagaFootprint(harness.observer, orderKeyFor(input), { reservations: false })).lines.length === 1);

    clock = Date.now();
    const found = await parkAbandonedExecutions({
      sfn: harness.sfn, stateMachineArn: harness.stateMachineArn, db: deps.db, tableName: TEST_TABLES.STATE_TABLE,
      repairs: deps.repairs, publisher: deps.publisher, ownErrors: SAGA_FAIL_ERRORS,
    });
    expect(found.parked).toContain(repairIdOf(input));
    expect(await deps.repairs.get(repairIdOf(input))).toMatchObject({ status: 'pending', remaining: ['deleteLines', 'deleteOrder'] });
    await harness.aws.events.idle();
    const parkedEvent = harness.events().find((e) => e.detail.taskId === input.taskId && e.name === 'rollback:compensation-failed')!;
    expect(parkedEvent.detail).toMatchObject({ step: 'deleteLines', error: { code: 'ExecutionEnded' } });

    clock += 60_000;
    expect((await sweep()).find((o) => o.repairId === repairIdOf(input))?.outcome).toBe('repaired');
    expect(await bcSnapshot(harness.observer, { reservations: false })).toEqual(before);
    expect(reservationRequests(harness)).toEqual([]);
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
