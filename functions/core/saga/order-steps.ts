// The committing forward steps: create the order, add one line, reserve the inventory. Each is idempotent:
// before writing it looks for what an earlier attempt of the same saga already wrote (the order by its key,
// a line by its sequence, a reservation by its description) and returns that instead of writing again.
import { findOrderByKey, listOrderLines, listOrderReservations, reservationsApi, type SagaBc } from './documents.js';
import { inconsistent, SAGA_ERROR_NAMES, SagaStepError } from './errors.js';
import { ORDER_KEY_FIELD, operationHashOf, orderKeyFor } from './identity.js';
import type {
  AddedLine,
  ApprovalDecision,
  CreatedOrder,
  OrderLineRequest,
  PurchaseOrderRequest,
  ReservationResult,
  SagaContext,
  ValidatedOrder,
} from './schema.js';

/** Refuses to write unless a person granted exactly this operation. */
export function requireGrantedApproval(context: SagaContext, order: PurchaseOrderRequest, validated: ValidatedOrder, approval: ApprovalDecision): void {
  const hash = operationHashOf(context.tenantId, order);
  if (approval.status !== 'granted') {
    throw new SagaStepError(SAGA_ERROR_NAMES.approval, `Approval ${approval.approvalId} is ${approval.status}, not granted`, 'ApprovalNotGranted');
  }
  if (approval.operationHash !== hash || validated.operationHash !== hash) {
    throw new SagaStepError(SAGA_ERROR_NAMES.approval, `Approval ${approval.approvalId} was granted for a different operation`, 'ApprovalMismatch');
  }
}

export async function createOrder(bc: SagaBc, context: SagaContext, validated: ValidatedOrder): Promise<CreatedOrder> {
  const orderKey = orderKeyFor(context);
  const { companyId } = validated;
  let order = await findOrderByKey(bc, companyId, orderKey);
  if (order && order.vendorId !== validated.vendor.id) {
    throw inconsistent(`Order ${order.orderNumber} carries this saga's key but belongs to another vendor`);
  }
  if (!order) {
    const created = await bc.client.create('purchaseOrders', { vendorId: validated.vendor.id, [ORDER_KEY_FIELD]: orderKey }, { company: companyId });
    order = { companyId, orderId: String(created.id), orderNumber: String(created.number), vendorId: validated.vendor.id };
  }
  return { companyId, orderId: order.orderId, orderNumber: order.orderNumber, orderKey, lines: validated.lines };
}

/** Adds the order's line at `lineIndex` (the Map runs one line at a time, in order). */
export async function addLine(bc: SagaBc, order: CreatedOrder, line: OrderLineRequest, lineIndex: number): Promise<AddedLine> {
  const planned = order.lines.find((l) => l.lineIndex === lineIndex);
  if (!planned || planned.itemNumber !== line.itemNumber || planned.quantity !== line.quantity) {
    throw inconsistent(`Line ${lineIndex + 1} (${line.itemNumber}) does not match the validated order`);
  }
  const existing = (await listOrderLines(bc, order.companyId, order.orderId)).find((l) => l.sequence === planned.sequence);
  if (existing) {
    if (existing.itemId !== planned.itemId) {
      throw inconsistent(`Order ${order.orderNumber} already has a different line at sequence ${planned.sequence}`);
    }
    return { lineId: String(existing.id), sequence: planned.sequence, itemId: planned.itemId, quantity: Number(existing.quantity) };
  }
  const created = await bc.client.create(
    'purchaseOrderLines',
    { sequence: planned.sequence, lineType: 'Item', itemId: planned.itemId, quantity: planned.quantity, locationId: planned.locationId },
    { company: order.companyId, parentId: order.orderId },
  );
  return { lineId: String(created.id), sequence: planned.sequence, itemId: planned.itemId, quantity: planned.quantity };
}

/** Marks which line a reservation belongs to, so a retried step recognises the ones it already made. */
export function reservationDescription(order: CreatedOrder, sequence: number): string {
  return `PO ${order.orderNumber} line ${sequence}`;
}

export async function reserveInventory(bc: SagaBc, order: CreatedOrder): Promise<{ reservations: ReservationResult[] }> {
  const api = reservationsApi(bc, 'reserveInventory');
  const existing = await listOrderReservations(bc, order.companyId, order.orderId);
  const reservations: ReservationResult[] = [];
  for (const line of order.lines) {
    const description = reservationDescription(order, line.sequence);
    let reservation = existing.find((r) => r.description === description);
    reservation ??= await api.create(
      {
        itemId: line.itemId,
        locationId: line.locationId,
        quantity: line.quantity,
        sourceType: 'Purchase Order',
        sourceId: order.orderId,
        description,
      },
      { company: order.companyId },
    );
    reservations.push({ id: String(reservation.id), sequence: line.sequence, itemId: line.itemId, locationId: line.locationId, quantity: Number(reservation.quantity) });
  }
  return { reservations };
}
