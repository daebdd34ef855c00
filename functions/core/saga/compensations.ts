// The compensations, run in reverse order of the forward steps: release the reservations, delete the lines,
// delete the order. Each finds what to undo in BC itself (the step that failed may have written before it
// failed, so its result is not in the saga's state) and counts "nothing there" as done, so each can run
// any number of times.
import { BcNotFoundError } from '../bc/index.js';
import { deleteIfPresent, findOrdersByKey, listOrderLines, listOrderReservations, reservationsApi, type OrderRef, type SagaBc } from './documents.js';
import { orderKeyFor } from './identity.js';
import type { CreatedOrder, PurchaseOrderRequest, SagaContext, ValidatedOrder } from './schema.js';

export interface CompensationInput {
  context: SagaContext;
  order: PurchaseOrderRequest;
  validated?: ValidatedOrder;
  created?: CreatedOrder;
}

/**
 * The saga's orders: the one createOrder reported, and every order carrying the saga's key (createOrder may
 * have written and then failed, or a timed-out create may have landed beside the one it went on with).
 */
async function locateOrders(bc: SagaBc, input: CompensationInput): Promise<Pick<OrderRef, 'companyId' | 'orderId'>[]> {
  const companyId = input.created?.companyId ?? input.validated?.companyId ?? (await bc.client.resolveCompany(input.order.company));
  const tagged = await findOrdersByKey(bc, companyId, orderKeyFor(input.context));
  const reported = input.created ? [{ companyId, orderId: input.created.orderId }] : [];
  const seen = new Set<string>();
  return [...reported, ...tagged].filter((order) => {
    const id = order.orderId.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export async function releaseReservations(bc: SagaBc, input: CompensationInput): Promise<{ released: number }> {
  const api = reservationsApi(bc, 'releaseReservations');
  let released = 0;
  for (const order of await locateOrders(bc, input)) {
    for (const reservation of await listOrderReservations(bc, order.companyId, order.orderId)) {
      const id = String(reservation.id);
      if (await deleteIfPresent(() => api.delete(id, { company: order.companyId }))) released++;
    }
  }
  return { released };
}

export async function deleteLines(bc: SagaBc, input: CompensationInput): Promise<{ deleted: number }> {
  let deleted = 0;
  for (const order of await locateOrders(bc, input)) {
    for (const line of await listOrderLines(bc, order.companyId, order.orderId)) {
      const id = String(line.id);
      if (await deleteIfPresent(() => bc.client.delete('purchaseOrderLines', id, { company: order.companyId }))) deleted++;
    }
  }
  return { deleted };
}

export async function deleteOrder(bc: SagaBc, input: CompensationInput): Promise<{ deleted: boolean }> {
  let deleted = false;
  for (const order of await locateOrders(bc, input)) {
    if (await deleteOneOrder(bc, order)) deleted = true;
  }
  return { deleted };
}

async function deleteOneOrder(bc: SagaBc, order: Pick<OrderRef, 'companyId' | 'orderId'>): Promise<boolean> {
  const company = { company: order.companyId };
  // Read first: adding and deleting lines changed the order, so an ETag remembered from createOrder is stale.
  let current: Record<string, unknown>;
  try {
    current = await bc.client.get('purchaseOrders', order.orderId, { ...company, select: ['id'] });
  } catch (error) {
    if (error instanceof BcNotFoundError) return false;
    throw error;
  }
  const etag = typeof current['@odata.etag'] === 'string' ? current['@odata.etag'] : undefined;
  return deleteIfPresent(() => bc.client.delete('purchaseOrders', order.orderId, { ...company, ...(etag ? { etag } : {}) }));
}
