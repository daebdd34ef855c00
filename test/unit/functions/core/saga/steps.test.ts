// The saga's steps against the BC sandbox directly (no state machine): validation, idempotent forward steps,
// compensations that succeed on nothing and restore BC, the approval request, and error classification.
import { RepairStore } from '../../../../../functions/core/saga/repair.js';
import { createApprovalService, DEFAULT_APPROVAL_SETTINGS } from '../../../../../functions/core/approvals/index.js';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BcClient } from '../../../../../functions/core/bc/index.js';
import { CircuitBreaker } from '../../../../../functions/core/breaker/index.js';
import { approvalIdFor, guardedSagaBc, operationHashOf, orderKeyFor, runSagaStep, type PurchaseOrderSagaDeps } from '../../../../../functions/core/saga/index.js';
import { createStateStore } from '../../../../../functions/core/store/index.js';
import { approvalKey } from '../../../../../functions/core/approvals/index.js';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import {
  bcSnapshot,
  observerClient,
  orderFixture,
  recordingPublisher,
  sagaFootprint,
  sagaInput,
  sandboxBcConfig,
  storeSagaPlan,
  type OrderFixture,
  type RecordingPublisher,
  type SagaInput,
} from '../../../../support/saga.js';

let sandbox: BcSandbox;
let dynamo: TestDynamo;
let observer: BcClient;
let fixture: OrderFixture;
let publisher: RecordingPublisher;
let breakerCount = 0;

/** Task tokens the approvals side resumed (a retried request on a decided approval hears the decision). */
const resumed: { token: string; status: string }[] = [];
const waiter = {
  succeed: async (token: string, output: { status: string }) => void resumed.push({ token, status: output.status }),
  fail: async (token: string, error: string) => void resumed.push({ token, status: error }),
};

/** Deps as the handler builds them, with a fresh breaker and no waiting between BC client retries. */
function deps(options: { threshold?: number; maxRetries?: number } = {}): PurchaseOrderSagaDeps {
  const client = new BcClient({ ...sandboxBcConfig(sandbox), maxRetries: options.maxRetries ?? 0 }, { sleep: async () => undefined });
  const breaker = new CircuitBreaker({ key: `bc:test:${++breakerCount}`, tableName: dynamo.tables.BREAKERS_TABLE, db: dynamo.doc, threshold: options.threshold ?? 5 });
  return {
    bc: guardedSagaBc(client, breaker),
    db: dynamo.doc,
    approvals: createApprovalService({ db: dynamo.doc, tableName: dynamo.tables.APPROVALS_TABLE, publisher, settings: DEFAULT_APPROVAL_SETTINGS, saga: waiter }),
    plans: createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc }).plans,
    repairs: new RepairStore({ db: dynamo.doc, tableName: dynamo.tables.STATE_TABLE }),
    publisher,
    now: () => new Date(),
  };
}

const granted = (input: SagaInput) => ({ approvalId: approvalIdFor(input), status: 'granted', operationHash: operationHashOf(input.tenantId, input.order), decidedBy: 'bob' });

/** Runs validate, then the approval's outcome as the state machine would store it. */
async function validated(d: PurchaseOrderSagaDeps, input: SagaInput) {
  const validate = await runSagaStep(d, 'validate', input);
  return { ...input, results: { validate, approval: granted(input) } } as Record<string, unknown> & SagaInput & { results: Record<string, unknown> };
}

async function forward(d: PurchaseOrderSagaDeps, input: SagaInput) {
  const state = await validated(d, input);
  const createOrder = (await runSagaStep(d, 'createOrder', state)) as { orderId: string; lines: unknown[] };
  state.results.createOrder = createOrder;
  const addLines = [];
  for (const [lineIndex, line] of input.order.lines.entries()) {
    const item = { tenantId: input.tenantId, sessionId: input.sessionId, planId: input.planId, taskId: input.taskId, correlationId: input.correlationId, order: createOrder, line, lineIndex };
    addLines.push(await runSagaStep(d, 'addLine', item));
  }
  state.results.addLines = addLines;
  state.results.reserveInventory = await runSagaStep(d, 'reserveInventory', state);
  return state;
}

beforeAll(async () => {
  [sandbox, dynamo] = await Promise.all([startBcSandbox({ port: 0 }), startDynamo()]);
  observer = observerClient(sandbox);
  fixture = await orderFixture(observer);
});

afterAll(async () => {
  await Promise.all([sandbox?.stop(), dynamo?.stop()]);
});

beforeEach(() => {
  sandbox.clearFaults();
  publisher = recordingPublisher();
});

describe('validate', () => {
  it('resolves the vendor, items and locations and fixes each line sequence', async () => {
    const input = sagaInput(fixture);
    const result = (await runSagaStep(deps(), 'validate', input)) as Record<string, any>;
    expect(result.vendor.number).toBe(fixture.vendorNumber);
    expect(result.lines.map((l: any) => [l.itemId, l.sequence, l.locationCode])).toEqual([
      [fixture.items[0]!.id, 10000, 'MAIN'],
      [fixture.items[1]!.id, 20000, 'MAIN'],
    ]);
    expect(result.operationHash).toBe(operationHashOf(input.tenantId, input.order));
    expect(result.summary).toContain(`2 × ${fixture.items[0]!.number} at MAIN`);
  });

  it('reports every problem at once with a name the state machine does not retry', async () => {
    const blocked = (await observer.query('items', { filter: { field: 'blocked', op: 'eq', value: true }, top: 1 })).value[0]!;
    const service = (await observer.query('items', { filter: { field: 'type', op: 'eq', value: 'Service' }, top: 1 })).value[0]!;
    const input = sagaInput(fixture);
    input.order = {
      vendorNumber: 'NOPE-1',
      lines: [
        { itemNumber: String(blocked.number), quantity: 1, locationCode: 'MAIN' },
        { itemNumber: String(service.number), quantity: 1, locationCode: 'MAIN' },
        { itemNumber: 'NO-SUCH-ITEM', quantity: 1, locationCode: 'MAIN' },
        { itemNumber: fixture.items[0]!.number, quantity: 1_000_000, locationCode: 'MAIN' },
        { itemNumber: fixture.items[1]!.number, quantity: 1, locationCode: 'NOWHERE' },
        { itemNumber: fixture.items[1]!.number, quantity: 1 },
      ],
    };
    const error = await runSagaStep(deps(), 'validate', input).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'PurchaseOrderInvalid' });
    const message = (error as Error).message;
    for (const part of ['vendor NOPE-1 does not exist', `item ${String(blocked.number)} is blocked`, 'only inventory items', 'item NO-SUCH-ITEM does not exist', '1000000 wanted but only', 'location NOWHERE does not exist', 'needs a locationCode']) {
      expect(message).toContain(part);
    }
  });

  it('refuses a blocked vendor and a non-positive quantity', async () => {
    const input = sagaInput(fixture);
    input.order.lines[0]!.quantity = 0;
    await expect(runSagaStep(deps(), 'validate', input)).rejects.toMatchObject({ name: 'SagaInputInvalid', message: expect.stringContaining('order.lines.0.quantity') });
    const vendor = (await observer.query('vendors', { filter: { field: 'blocked', op: 'eq', value: ' ' }, top: 1, skip: 1 })).value[0]!;
    await observer.update('vendors', String(vendor.id), { blocked: 'All' });
    try {
      const blockedVendor = sagaInput({ ...fixture, vendorNumber: String(vendor.number) });
      await expect(runSagaStep(deps(), 'validate', blockedVendor)).rejects.toMatchObject({ name: 'PurchaseOrderInvalid', message: expect.stringContaining('is blocked') });
    } finally {
      await observer.update('vendors', String(vendor.id), { blocked: ' ' });
    }
  });
});

describe('forward steps are idempotent', () => {
  it('the same createOrder twice makes one order', async () => {
    const input = sagaInput(fixture);
    const d = deps();
    const state = await validated(d, input);
    const first = (await runSagaStep(d, 'createOrder', state)) as Record<string, unknown>;
    const second = (await runSagaStep(deps(), 'createOrder', state)) as Record<string, unknown>;
    expect(second).toEqual(first);
    const footprint = await sagaFootprint(observer, orderKeyFor(input));
    expect(footprint.orders.map((o) => o.id)).toEqual([first.orderId]);
  });

  it('repeating addLine and reserveInventory adds no line or reservation twice', async () => {
    const input = sagaInput(fixture);
    const d = deps();
    const state = await forward(d, input);
    // Every forward step once more, as a retry after a lost answer would run it.
    const again = await forward(deps(), input);
    expect(again.results.createOrder).toEqual(state.results.createOrder);
    expect(again.results.addLines).toEqual(state.results.addLines);
    expect(again.results.reserveInventory).toEqual(state.results.reserveInventory);
    const footprint = await sagaFootprint(observer, orderKeyFor(input));
    expect(footprint.orders).toHaveLength(1);
    expect(footprint.lines.map((l) => [l.sequence, l.itemId, l.quantity])).toEqual([
      [10000, fixture.items[0]!.id, 2],
      [20000, fixture.items[1]!.id, 1],
    ]);
    expect(footprint.reservations.map((r) => [r.itemId, r.quantity, r.sourceType])).toEqual([
      [fixture.items[0]!.id, 2, 'Purchase Order'],
      [fixture.items[1]!.id, 1, 'Purchase Order'],
    ]);
  });

  it('createOrder refuses without a grant for exactly this operation', async () => {
    const input = sagaInput(fixture);
    const state = await validated(deps(), input);
    const denied = { ...state, results: { ...state.results, approval: { ...granted(input), status: 'denied' } } };
    await expect(runSagaStep(deps(), 'createOrder', denied)).rejects.toMatchObject({ name: 'ApprovalNotGranted' });
    const other = { ...state, order: { ...input.order, lines: [{ ...input.order.lines[0]!, quantity: 3 }, input.order.lines[1]!] } };
    await expect(runSagaStep(deps(), 'createOrder', other)).rejects.toMatchObject({ name: 'ApprovalNotGranted', message: expect.stringContaining('different operation') });
    expect((await sagaFootprint(observer, orderKeyFor(input))).orders).toHaveLength(0);
  });

  it('createOrder writes nothing when the plan ended while the approval waited', async () => {
    const input = sagaInput(fixture);
    const d = deps();
    await storeSagaPlan(d.plans, input);
    expect((await d.plans.transitionPlan(input.tenantId, input.planId, 'failed')).transitioned).toBe(true);
    const state = await validated(d, input);
    await expect(runSagaStep(d, 'createOrder', state)).rejects.toMatchObject({ name: 'PlanEnded' });
    expect((await sagaFootprint(observer, orderKeyFor(input))).orders).toHaveLength(0);
  });
});

describe('compensations', () => {
  it('succeed when there is nothing to undo', async () => {
    const input = sagaInput(fixture);
    const d = deps();
    expect(await runSagaStep(d, 'releaseReservations', input)).toEqual({ released: 0 });
    expect(await runSagaStep(d, 'deleteLines', input)).toEqual({ deleted: 0 });
    expect(await runSagaStep(d, 'deleteOrder', input)).toEqual({ deleted: false });
  });

  it('restore BC exactly, find the order by its key when createOrder left no result, and can run again', async () => {
    const before = await bcSnapshot(observer);
    const input = sagaInput(fixture);
    const state = await forward(deps(), input);
    expect(await bcSnapshot(observer)).not.toEqual(before);
    // As after a createOrder that wrote and then failed: only the key leads to the order.
    const { createOrder: _created, ...withoutOrder } = state.results;
    const compensating = { ...state, results: withoutOrder, error: { Error: 'BcRequestFailed', Cause: 'boom' } };
    const d = deps();
    expect(await runSagaStep(d, 'releaseReservations', compensating)).toEqual({ released: 2 });
    expect(await runSagaStep(d, 'deleteLines', compensating)).toEqual({ deleted: 2 });
    expect(await runSagaStep(d, 'deleteOrder', compensating)).toEqual({ deleted: true });
    expect(await bcSnapshot(observer)).toEqual(before);
    // With the stale result of createOrder (the order is gone): still success.
    expect(await runSagaStep(d, 'releaseReservations', state)).toEqual({ released: 0 });
    expect(await runSagaStep(d, 'deleteLines', state)).toEqual({ deleted: 0 });
    expect(await runSagaStep(d, 'deleteOrder', state)).toEqual({ deleted: false });
  });
});

describe('compensations after a create that landed twice', () => {
  it('remove every order carrying the saga\'s key, not only the one createOrder reported', async () => {
    const before = await bcSnapshot(observer);
    const input = sagaInput(fixture);
    const state = await forward(deps(), input);
    // A createOrder attempt that timed out and was retried: its POST landed after the retry had looked for it.
    const vendorId = (state.results.validate as { vendor: { id: string } }).vendor.id;
    await observer.create('purchaseOrders', { vendorId, shipToContact: orderKeyFor(input) });
    const compensating = { ...state, error: { Error: 'BcRequestFailed', Cause: 'boom' } };
    const d = deps();
    await runSagaStep(d, 'releaseReservations', compensating);
    await runSagaStep(d, 'deleteLines', compensating);
    expect(await runSagaStep(d, 'deleteOrder', compensating)).toEqual({ deleted: true });
    expect(await bcSnapshot(observer)).toEqual(before);
  });
});

describe('errors carry the names the state machine decides on', () => {
  it('a BC outage is BcTransientError, a refusal is BcRequestFailed', async () => {
    const input = sagaInput(fixture);
    const state = await validated(deps(), input);
    sandbox.addFault({ entitySet: 'purchaseOrders', method: 'POST', status: 503, count: 1 });
    await expect(runSagaStep(deps(), 'createOrder', state)).rejects.toMatchObject({ name: 'BcTransientError' });
    sandbox.addFault({ entitySet: 'purchaseOrders', method: 'POST', status: 500, count: 1 });
    await expect(runSagaStep(deps(), 'createOrder', state)).rejects.toMatchObject({ name: 'BcRequestFailed' });
    sandbox.addFault({ entitySet: 'purchaseOrders', method: 'POST', status: 400, count: 1 });
    await expect(runSagaStep(deps(), 'createOrder', state)).rejects.toMatchObject({ name: 'BcRequestFailed' });
  });

  it('an open breaker is BcTransientError and BC is not called', async () => {
    const input = sagaInput(fixture);
    const d = deps({ threshold: 2 });
    sandbox.addFault({ entitySet: 'vendors', status: 503, count: 2 });
    await expect(runSagaStep(d, 'validate', input)).rejects.toMatchObject({ name: 'BcTransientError' });
    await expect(runSagaStep(d, 'validate', input)).rejects.toMatchObject({ name: 'BcTransientError' });
    sandbox.resetStats();
    await expect(runSagaStep(d, 'validate', input)).rejects.toMatchObject({ name: 'BcTransientError', message: expect.stringContaining('circuit open') });
    expect(sandbox.stats().total).toBe(0);
  });
});

describe('requestApproval', () => {
  it('records what the approvals side needs and announces it; a retry replaces the token, a decided one answers the new token', async () => {
    const input = sagaInput(fixture);
    const d = deps();
    const state = await validated(d, input);
    const result = (await runSagaStep(d, 'requestApproval', state, 'token-1')) as { approvalId: string; expiresAt: string };
    expect(result.approvalId).toBe(approvalIdFor(input));
    const key = approvalKey(input.tenantId, result.approvalId);
    const read = async () => (await dynamo.doc.send(new GetCommand({ TableName: dynamo.tables.APPROVALS_TABLE, Key: key }))).Item!;
    const item = await read();
    expect(item).toMatchObject({
      status: 'pending',
      gsi1pk: `TENANT#${input.tenantId}#STATUS#pending`,
      taskToken: 'token-1',
      operationHash: operationHashOf(input.tenantId, input.order),
      operation: { tool: 'saga_purchase_order', arguments: input.order },
      requestedBy: 'alice',
      taskId: input.taskId,
    });
    expect(item.expiresAt).toBe(Math.floor(Date.parse(result.expiresAt) / 1000));
    expect(publisher.events.map((e) => e.name)).toEqual(['approval:requested']);
    expect(publisher.events[0]!.detail).toMatchObject({ approvalId: result.approvalId, taskId: input.taskId, correlationId: input.correlationId });
    expect(item.requestEventId).toBe(publisher.events[0]!.detail.eventId);

    await runSagaStep(d, 'requestApproval', state, 'token-2');
    expect((await read()).taskToken).toBe('token-2');

    await dynamo.doc.send(new UpdateCommand({ TableName: dynamo.tables.APPROVALS_TABLE, Key: key, UpdateExpression: 'SET #s = :g', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':g': 'granted' } }));
    await runSagaStep(d, 'requestApproval', state, 'token-3');
    expect(resumed).toEqual([{ token: 'token-3', status: 'granted' }]);
    expect((await read()).status).toBe('granted');
  });

  it('needs the task token', async () => {
    const input = sagaInput(fixture);
    const state = await validated(deps(), input);
    await expect(runSagaStep(deps(), 'requestApproval', state)).rejects.toMatchObject({ name: 'SagaInputInvalid' });
  });
});

describe('bookkeeping steps', () => {
  it('summarizeRollback lists compensations in running order with the failures', async () => {
    const input = sagaInput(fixture);
    const summary = await runSagaStep(deps(), 'summarizeRollback', {
      ...input,
      compensations: { deleteOrder: { deleted: true }, releaseReservations: { released: 1 } },
      compensationErrors: { deleteLines: { Error: 'BcRequestFailed', Cause: JSON.stringify({ errorType: 'BcRequestFailed', errorMessage: 'line is locked' }) } },
    });
    expect(summary).toEqual({
      status: 'partial',
      compensated: ['releaseReservations', 'deleteOrder'],
      failed: [{ step: 'deleteLines', error: { code: 'BcRequestFailed', message: 'line is locked' } }],
    });
  });

  it('reportFailed publishes task:completed with the attempt and the failure', async () => {
    const input = sagaInput(fixture);
    const d = deps();
    await storeSagaPlan(d.plans, input);
    await runSagaStep(d, 'reportFailed', {
      ...input,
      error: { Error: 'BcRequestFailed', Cause: 'BC said no' },
      rollback: { status: 'partial', compensated: ['releaseReservations'], failed: [{ step: 'deleteOrder', error: { code: 'X', message: 'y' } }] },
    });
    expect(publisher.events).toHaveLength(1);
    expect(publisher.events[0]).toMatchObject({
      name: 'task:completed',
      detail: { taskId: input.taskId, taskType: 'write', status: 'failed', attempt: 1, error: { code: 'RollbackIncomplete', message: expect.stringContaining('BcRequestFailed: BC said no') } },
    });
  });

  it('a report for a task the store does not know fails clearly', async () => {
    await expect(runSagaStep(deps(), 'reportFailed', sagaInput(fixture))).rejects.toMatchObject({ name: 'SagaStateInconsistent' });
  });
});
