// Shared set-up of the saga tests: a saga input for real sandbox data, the BC state the saga may touch
// (snapshot), a plan holding the saga's task, and a publisher that records instead of sending.
import type { PurchaseOrderSagaInput } from '../../functions/core/tasks/index.js';
import { BcClient, itemReservationsApi } from '../../functions/core/bc/index.js';
import type { PlanStore } from '../../functions/core/store/index.js';
import type { BcSandbox } from '../../local/bc-sandbox/index.js';
import { recordingBus, type RecordingBus } from './approvals.js';

export const TENANT = 'local';

export function sandboxBcConfig(sandbox: BcSandbox) {
  return { ...sandbox.connection, timeoutMs: 5_000 };
}

/** A client for the test's own reads (never the saga's), without retries. */
export function observerClient(sandbox: BcSandbox): BcClient {
  return new BcClient({ ...sandboxBcConfig(sandbox), maxRetries: 0 });
}

export interface OrderFixture {
  vendorNumber: string;
  items: { number: string; id: string }[];
}

/** An open vendor and two stocked, unblocked inventory items of the demo company. */
export async function orderFixture(bc: BcClient): Promise<OrderFixture> {
  const vendors = await bc.query('vendors', { filter: { field: 'blocked', op: 'eq', value: ' ' }, select: ['number'], top: 1 });
  const items = await bc.query('items', {
    filter: { and: [{ field: 'type', op: 'eq', value: 'Inventory' }, { field: 'blocked', op: 'eq', value: false }, { field: 'inventory', op: 'ge', value: 20 }] },
    select: ['id', 'number'],
    top: 2,
  });
  if (!vendors.value[0] || items.value.length < 2) throw new Error('the sandbox seed has no open vendor or stocked items');
  return { vendorNumber: String(vendors.value[0].number), items: items.value.map((i) => ({ number: String(i.number), id: String(i.id) })) };
}

let sequence = 0;

/** What the write worker starts the saga with. */
export type SagaInput = PurchaseOrderSagaInput;

/** A saga execution input for a new task (ids unique per call). */
export function sagaInput(fixture: OrderFixture, overrides: { taskId?: string; planId?: string } = {}): SagaInput {
  sequence++;
  return {
    tenantId: TENANT,
    sessionId: 'sess-saga',
    planId: overrides.planId ?? `plan-saga-${process.pid}-${sequence}`,
    taskId: overrides.taskId ?? `t-${sequence}`,
    correlationId: `corr-saga-${sequence}-abcdef`,
    requestedBy: 'alice',
    order: {
      vendorNumber: fixture.vendorNumber,
      lines: [
        { itemNumber: fixture.items[0]!.number, quantity: 2, locationCode: 'MAIN' },
        { itemNumber: fixture.items[1]!.number, quantity: 1, locationCode: 'MAIN' },
      ],
    },
  };
}

/** Stores the plan the saga's task belongs to (reportSucceeded/reportFailed read its attempt and start). */
export async function storeSagaPlan(plans: PlanStore, input: SagaInput): Promise<void> {
  await plans.createPlan(input.tenantId, {
    planId: input.planId,
    sessionId: input.sessionId,
    messageId: `msg-${input.planId}`,
    correlationId: input.correlationId,
    createdBy: input.requestedBy,
    status: 'running',
    planner: 'offline',
    levels: [[input.taskId]],
    tasks: [
      {
        id: input.taskId, type: 'write', tool: 'saga_purchase_order', arguments: input.order, dependsOn: [], critical: true,
        priority: 'normal', delaySeconds: 0, level: 0,
      },
    ],
    initialTaskStatus: { [input.taskId]: 'running' },
  });
}

/**
 * Everything the saga may write: purchase orders, their lines, reservations (sorted, ETags dropped). Without
 * the reservations extension (`reservations: false`) there are none to read: BC answers 404 for the API.
 */
export async function bcSnapshot(bc: BcClient, { reservations: withReservations = true } = {}): Promise<{ orders: unknown[]; lines: unknown[]; reservations: unknown[] }> {
  const strip = (records: Record<string, unknown>[]) =>
    records
      .map(({ ['@odata.etag']: _etag, ...rest }) => rest)
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const orders = (await bc.query('purchaseOrders', {}, { maxPages: 50 })).value;
  const lines: Record<string, unknown>[] = [];
  for (const order of orders) lines.push(...(await bc.query('purchaseOrderLines', {}, { parentId: String(order.id) })).value);
  const reservations = withReservations ? (await bc.customApi(itemReservationsApi).list({}, { maxPages: 50 })).value : [];
  return { orders: strip(orders), lines: strip(lines), reservations: strip(reservations) };
}

/** What the saga wrote for one order key (reservations only where the extension is installed). */
export async function sagaFootprint(bc: BcClient, orderKey: string, { reservations: withReservations = true } = {}) {
  const orders = (await bc.query('purchaseOrders', { filter: { field: 'shipToContact', op: 'eq', value: orderKey } })).value;
  const lines: Record<string, unknown>[] = [];
  const reservations: Record<string, unknown>[] = [];
  for (const order of orders) {
    lines.push(...(await bc.query('purchaseOrderLines', {}, { parentId: String(order.id) })).value);
    if (withReservations) reservations.push(...(await bc.customApi(itemReservationsApi).list({ filter: { field: 'sourceId', op: 'eq', value: String(order.id) } })).value);
  }
  return { orders, lines, reservations };
}

export type RecordingPublisher = RecordingBus;

/** The saga's publisher, recording what it announces. */
export const recordingPublisher = (): RecordingPublisher => recordingBus('bc-agent.saga');
