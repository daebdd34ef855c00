// The BC reads and deletes the saga's steps share: finding its order by key, listing the order's lines and
// reservations, and deleting a record where "already gone" counts as done.
import { BcNotFoundError, itemReservationsApi, type BcClient, type CustomApiClient } from '../bc/index.js';
import { BC_CALLS, guardWithBreaker } from '../breaker/index.js';
import type { CircuitBreaker, ExecuteOptions } from '../breaker/index.js';
import { invalidInput } from './errors.js';
import { ORDER_KEY_FIELD } from './identity.js';

export interface OrderRef {
  companyId: string;
  orderId: string;
  orderNumber: string;
  vendorId: string;
}

/**
 * BC as the saga reaches it: the standard API and, on a stage with reservations (functions/core/saga/shape.ts),
 * the itemReservations custom API of bc-extension/. Without it the saga has no way to call that API at all.
 */
export interface SagaBc {
  client: BcClient;
  reservations?: CustomApiClient;
}

/** The reservations API, for the steps that exist only on a stage with reservations. */
export function reservationsApi(bc: SagaBc, step: string): CustomApiClient {
  if (!bc.reservations) {
    throw invalidInput(`${step} needs the itemReservations API, but this stage runs the saga without reservations (saga.reservations is off)`);
  }
  return bc.reservations;
}

const CUSTOM_API_CALLS = ['list', 'get', 'create', 'update', 'delete'] as const;

/**
 * Both behind the breaker. The custom API client is guarded on its own: its methods call the BcClient
 * directly, not through the guarded view.
 */
export function guardedSagaBc(client: BcClient, breaker: CircuitBreaker, options: ExecuteOptions = {}, { reservations = true } = {}): SagaBc {
  return {
    client: guardWithBreaker(client, breaker, BC_CALLS, options),
    ...(reservations ? { reservations: guardWithBreaker(client.customApi(itemReservationsApi), breaker, CUSTOM_API_CALLS, options) } : {}),
  };
}

/**
 * BC for compensations: an open breaker does not refuse them. Undoing the saga's writes is the one call that
 * must be made; it is bounded (three idempotent steps per failed saga, each retried a few times), so it adds
 * little to a struggling BC, while refusing it leaves the order in BC. Failures still count while closed and
 * a due probe is still taken, so the breaker's state stays honest.
 */
export function compensatingSagaBc(client: BcClient, breaker: CircuitBreaker, api: { reservations?: boolean } = {}): SagaBc {
  return guardedSagaBc(client, breaker, { whenOpen: 'call' }, api);
}

/**
 * Every order tagged with `orderKey`, oldest number first. Normally none or one; a second appears when a
 * create that timed out landed after the retried step had looked for it.
 */
export async function findOrdersByKey(bc: SagaBc, companyId: string, orderKey: string): Promise<OrderRef[]> {
  const { value } = await bc.client.query(
    'purchaseOrders',
    {
      filter: { field: ORDER_KEY_FIELD, op: 'eq', value: orderKey },
      select: ['id', 'number', 'vendorId'],
      orderby: [{ field: 'number' }],
    },
    { company: companyId },
  );
  return value.map((found) => ({ companyId, orderId: String(found.id), orderNumber: String(found.number), vendorId: String(found.vendorId) }));
}

/** The order tagged with `orderKey` that the saga goes on with (the oldest), or undefined. */
export async function findOrderByKey(bc: SagaBc, companyId: string, orderKey: string): Promise<OrderRef | undefined> {
  return (await findOrdersByKey(bc, companyId, orderKey))[0];
}

/** The order's lines; none when the order itself is gone. */
export async function listOrderLines(bc: SagaBc, companyId: string, orderId: string): Promise<Record<string, unknown>[]> {
  try {
    const { value } = await bc.client.query('purchaseOrderLines', { select: ['id', 'sequence', 'itemId', 'quantity'] }, { company: companyId, parentId: orderId });
    return value;
  } catch (error) {
    if (error instanceof BcNotFoundError) return [];
    throw error;
  }
}

/** Reservations whose source is the order. */
export async function listOrderReservations(bc: SagaBc, companyId: string, orderId: string): Promise<Record<string, unknown>[]> {
  const { value } = await reservationsApi(bc, 'listing reservations').list(
    { filter: { and: [{ field: 'sourceType', op: 'eq', value: 'Purchase Order' }, { field: 'sourceId', op: 'eq', value: orderId }] } },
    { company: companyId },
  );
  return value;
}

/** Runs a delete; a record that is already gone is what the caller wanted. Returns whether it deleted. */
export async function deleteIfPresent(remove: () => Promise<void>): Promise<boolean> {
  try {
    await remove();
    return true;
  } catch (error) {
    if (error instanceof BcNotFoundError) return false;
    throw error;
  }
}
