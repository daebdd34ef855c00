// The bound actions Microsoft.NAV.shipAndInvoice (sales) and Microsoft.NAV.receiveAndInvoice (purchase): post
// item ledger entries for the item lines, update the partner's balance, release the order's reservations and,
// as BC does once an order is fully posted, remove the order and its lines.
import { bcErrors } from './errors.js';
import { completeRecord, definitionFor, EMPTY_GUID } from './schema.js';
import { linesOf, linesOfDocument, round2, type DocumentSet } from './documents.js';
import { available, defaultLocationId, postItemEntry } from './inventory.js';
import type { WriteContext } from './entity-rules.js';
import type { StoredRow } from './store.js';

export const boundActions: Record<string, DocumentSet> = {
  'Microsoft.NAV.shipAndInvoice': 'salesOrders',
  'Microsoft.NAV.receiveAndInvoice': 'purchaseOrders',
};

export function postDocument(ctx: WriteContext, documentSet: DocumentSet, order: StoredRow): void {
  const { store, companyId } = ctx;
  const orderId = String(order.data.id);
  const isSales = documentSet === 'salesOrders';
  const lines = linesOfDocument(store, companyId, linesOf[documentSet], orderId).filter((l) => Number(l.data.quantity) > 0);
  if (lines.length === 0) throw bcErrors.dialog('There is nothing to post');
  const fallbackLocation = defaultLocationId(store, companyId);
  const itemLines = lines
    .filter((l) => l.data.lineType === 'Item')
    .map((line) => ({ line, item: store.get(companyId, 'items', String(line.data.itemId)) }))
    .filter((x): x is { line: StoredRow; item: StoredRow } => x.item !== undefined && x.item.data.type === 'Inventory');
  const locationOf = (line: StoredRow) => (line.data.locationId !== EMPTY_GUID ? String(line.data.locationId) : fallbackLocation ?? EMPTY_GUID);

  if (isSales) {
    // Check all lines before posting any, so a shortage leaves nothing half-posted.
    const needed = new Map<string, { item: StoredRow; locationId: string; quantity: number }>();
    for (const { line, item } of itemLines) {
      const key = `${String(item.data.id)}|${locationOf(line)}`;
      const entry = needed.get(key) ?? { item, locationId: locationOf(line), quantity: 0 };
      entry.quantity += Number(line.data.quantity);
      needed.set(key, entry);
    }
    for (const { item, locationId, quantity } of needed.values()) {
      if (available(store, companyId, item.data, locationId, orderId) < quantity) {
        throw bcErrors.dialog(`You have insufficient quantity of Item ${String(item.data.number)} on inventory`);
      }
    }
  }

  const now = ctx.now();
  const entryDefinition = definitionFor('standard', 'itemLedgerEntries')!;
  for (const { line, item } of itemLines) {
    const quantity = Number(line.data.quantity);
    const entry = completeRecord(entryDefinition, {
      itemNumber: item.data.number,
      postingDate: order.data.postingDate,
      entryType: isSales ? 'Sale' : 'Purchase',
      sourceNumber: isSales ? order.data.customerNumber : order.data.vendorNumber,
      sourceType: isSales ? 'Customer' : 'Vendor',
      documentNumber: order.data.number,
      documentType: isSales ? 'Sales Shipment' : 'Purchase Receipt',
      description: line.data.description,
      quantity: isSales ? -quantity : quantity,
      salesAmountActual: isSales ? line.data.netAmount : 0,
      costAmountActual: round2((isSales ? -1 : 1) * quantity * Number(isSales ? item.data.unitCost : line.data.directUnitCost)),
      lastModifiedDateTime: now,
    });
    postItemEntry(store, companyId, entry, locationOf(line), String(item.data.id));
  }

  const total = Number(order.data.totalAmountIncludingTax);
  const partner = isSales ? store.get(companyId, 'customers', String(order.data.customerId)) : store.get(companyId, 'vendors', String(order.data.vendorId));
  if (partner) {
    const field = isSales ? 'balanceDue' : 'balance';
    store.update(companyId, isSales ? 'customers' : 'vendors', String(partner.data.id), { [field]: round2(Number(partner.data[field]) + total), lastModifiedDateTime: now });
  }
  for (const reservation of store.list(companyId, 'itemReservations')) {
    if (reservation.data.sourceId === orderId) store.remove(companyId, 'itemReservations', String(reservation.data.id));
  }
  for (const line of linesOfDocument(store, companyId, linesOf[documentSet], orderId)) store.remove(companyId, linesOf[documentSet], String(line.data.id));
  store.remove(companyId, documentSet, orderId);
}
