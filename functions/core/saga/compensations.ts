// The compensations, run in reverse order of the forward steps: release the reservations, delete the lines,
// delete the order. Each finds what to undo in BC itself (the step that failed may have written before it
// failed, so its result is not in the saga's state) and counts "nothing there" as done, so each can run
// any number of times.
import { BcNotFoundError } from '../bc/index.js';
import { deleteIfPresent, findOrderByKey, listOrderLines, listOrderReservations, type OrderRef, type SagaBc } from './documents.js';
import { orderKeyFor } from './identity.js';
import type { CreatedOrder, PurchaseOrderRequest, SagaContext, ValidatedOrder } from './schema.js';

export interface CompensationInput {
  context: SagaContext;
  order: PurchaseOrderRequest;
  validated?: ValidatedOrder;
  created?: CreatedOrder;
}

/** The saga's order: from createOrder's result, else by its key (createOrder may have written, then failed). */
async function locateOrder(bc: SagaBc, input: CompensationInput): Promise<Pick<OrderRef, 'companyId' | 'orderId'> | undefined> {
  if (input.created) return { companyId: input.created.companyId, orderId: input.created.orderId };
  const companyId = input.validated?.companyId ?? (await bc.client.resolveCompany(input.order.company));
  return findOrderByKey(bc, companyId, orderKeyFor(input.context));
}

export async function releaseReservations(bc: SagaBc, input: CompensationInput): Promise<{ released: number }> {
  const order = await locateOrder(bc, input);
  if (!order) return { released: 0 };
  let released = 0;
  for (const reservation of await listOrderReservations(bc, order.companyId, order.orderId)) {
    const id = String(reservation.id);
    if (await deleteIfPresent(() => bc.reservations.delete(id, { company: order.companyId }))) released++;
  }
  return { released };
}

export async function deleteLines(bc: SagaBc, input: CompensationInput): Promise<{ deleted: number }> {
  const order = await locateOrder(bc, input);
  if (!order) return { deleted: 0 };
  let deleted = 0;
  for (const line of await listOrderLines(bc, order.companyId, order.orderId)) {
    const id = String(line.id);
    if (await deleteIfPresent(() => bc.client.delete('purchaseOrderLines', id, { company: order.companyId }))) deleted++;
  }
  return { deleted };
}

export async function deleteOrder(bc: SagaBc, input: CompensationInput): Promise<{ deleted: boolean }> {
  const order = await locateOrder(bc, input);
  if (!order) return { deleted: false };
  const company = { company: order.companyId };
  // Read first: adding and deleting lines changed the order, so an ETag remembered from createOrder is stale.
  let current: Record<string, unknown>;
  try {
    current = await bc.client.get('purchaseOrders', order.orderId, { ...company, select: ['id'] });
  } catch (error) {
    if (error instanceof BcNotFoundError) return { deleted: false };
    throw error;
  }
  const etag = typeof current['@odata.etag'] === 'string' ? current['@odata.etag'] : undefined;
  return { deleted: await deleteIfPresent(() => bc.client.delete('purchaseOrders', order.orderId, { ...company, ...(etag ? { etag } : {}) })) };
}
