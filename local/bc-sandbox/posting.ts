// Posting as BC's Sales-Post and Purch.-Post do it behind the API v2.0 bound actions: every check first (lines,
// quantities, the partner, inventory on hand), then the effects — item ledger entries that move inventory, one
// balanced G/L transaction, the customer's or vendor's balance, and the posted documents (invoice, shipment,
// receipt, credit memo). bound-actions.ts runs each action inside a store snapshot, so a failure half-way
// leaves nothing posted.
import { bcErrors } from './errors.js';
import { completeRecord, definitionFor, EMPTY_GUID } from './schema.js';
import { isPostedDocument, linesOf, linesOfDocument, recomputeDocument, round2, type DocumentSet } from './documents.js';
import { available, defaultLocationId, postItemEntry } from './inventory.js';
import { adjustPartnerBalance, postGlTransaction, postingAccounts } from './ledger.js';
import { takeNumber } from './number-series.js';
import type { WriteContext } from './entity-rules.js';
import type { StoredRow } from './store.js';

type Row = Record<string, unknown>;

/** A line that posts, with its item when it is an inventory item (only those move stock). */
interface PostingLine {
  line: StoredRow;
  quantity: number;
  item?: StoredRow;
  locationId: string;
}

const num = (value: unknown) => (typeof value === 'number' ? value : 0);

/**
 * BC's pre-posting checks: the document has lines (the APIV2 pages' "nothing to sell" check for sales, Purch.-Post's
 * "nothing to post" for purchases), and every line that names something has a quantity (Lines Instruction Mgt.).
 */
export function postingLines(ctx: WriteContext, documentSet: DocumentSet, document: StoredRow): PostingLine[] {
  const lines = linesOfDocument(ctx.store, ctx.companyId, linesOf[documentSet], String(document.data.id));
  if (lines.length === 0) {
    if (documentSet === 'salesInvoices') throw bcErrors.dialog('Please add at least one line item to the invoice');
    if (documentSet === 'salesOrders' || documentSet === 'salesQuotes') throw bcErrors.dialog('Please add at least one line item to the estimate');
    throw bcErrors.dialog('There is nothing to post');
  }
  const named = lines.filter((l) => l.data.lineType !== 'Comment');
  if (named.some((l) => num(l.data.quantity) <= 0)) {
    throw bcErrors.dialog('One or more document lines with a value in the No. field do not have a quantity specified');
  }
  const fallbackLocation = defaultLocationId(ctx.store, ctx.companyId) ?? EMPTY_GUID;
  return named.map((line) => {
    const item = line.data.lineType === 'Item' ? ctx.store.get(ctx.companyId, 'items', String(line.data.itemId)) : undefined;
    if (line.data.lineType === 'Item' && !item) throw bcErrors.relatedRecordNotFound('Item', 'No.', String(line.data.lineObjectNumber));
    return {
      line,
      quantity: num(line.data.quantity),
      item: item?.data.type === 'Inventory' ? item : undefined,
      locationId: line.data.locationId && line.data.locationId !== EMPTY_GUID ? String(line.data.locationId) : fallbackLocation,
    };
  });
}

/** The customer or vendor must exist and not be blocked for everything. */
function partnerOf(ctx: WriteContext, isSales: boolean, document: StoredRow): StoredRow {
  const [set, label, idField, numberField] = isSales
    ? (['customers', 'Customer', 'customerId', 'customerNumber'] as const)
    : (['vendors', 'Vendor', 'vendorId', 'vendorNumber'] as const);
  const partner = ctx.store.get(ctx.companyId, set, String(document.data[idField]));
  if (!partner) throw bcErrors.relatedRecordNotFound(label, 'No.', String(document.data[numberField]));
  if (partner.data.blocked === 'All') {
    throw bcErrors.dialog(`You cannot post this type of document when ${label} ${String(partner.data.number)} is blocked with type All`);
  }
  return partner;
}

/** Sales may not take more than is on hand (less what other documents reserved), per item and location. */
function ensureOnHand(ctx: WriteContext, lines: PostingLine[], sourceId: string): void {
  const needed = new Map<string, { item: StoredRow; locationId: string; quantity: number }>();
  for (const { item, locationId, quantity } of lines) {
    if (!item) continue;
    const key = `${String(item.data.id)}|${locationId}`;
    const entry = needed.get(key) ?? { item, locationId, quantity: 0 };
    entry.quantity += quantity;
    needed.set(key, entry);
  }
  for (const { item, locationId, quantity } of needed.values()) {
    if (available(ctx.store, ctx.companyId, item.data, locationId, sourceId) < quantity) {
      throw bcErrors.dialog(`You have insufficient quantity of Item ${String(item.data.number)} on inventory`);
    }
  }
}

const unitCostOf = (isSales: boolean, { line, item }: PostingLine) =>
  isSales ? num(item?.data.unitCost) : num(line.data.directUnitCost ?? line.data.unitCost);

/**
 * Item ledger entries for the inventory lines. `direction` is +1 when stock comes in (purchase, sales credit
 * memo) and -1 when it goes out (sale).
 */
function postItemLines(
  ctx: WriteContext,
  lines: PostingLine[],
  entry: { isSales: boolean; direction: 1 | -1; postingDate: unknown; documentType: string; documentNumber: string; sourceNumber: unknown },
): void {
  const definition = definitionFor('standard', 'itemLedgerEntries')!;
  for (const posting of lines) {
    const { item, quantity, line, locationId } = posting;
    if (!item) continue;
    const record = completeRecord(definition, {
      id: ctx.newId?.(),
      itemNumber: item.data.number,
      postingDate: entry.postingDate,
      entryType: entry.isSales ? 'Sale' : 'Purchase',
      sourceNumber: entry.sourceNumber,
      sourceType: entry.isSales ? 'Customer' : 'Vendor',
      documentNumber: entry.documentNumber,
      documentType: entry.documentType,
      description: line.data.description,
      quantity: entry.direction * quantity,
      // A sale's amount is the line's net amount; a credit memo takes it back.
      salesAmountActual: entry.isSales ? -entry.direction * num(line.data.netAmount) : 0,
      // A sale costs the item's unit cost; a purchase costs what was paid for the line.
      costAmountActual: entry.isSales ? round2(entry.direction * quantity * unitCostOf(true, posting)) : num(line.data.netAmount),
      lastModifiedDateTime: ctx.now(),
    });
    postItemEntry(ctx.store, ctx.companyId, record, locationId, String(item.data.id));
  }
}

/** Net, tax and cost of the posting lines (cost of inventory items only, as automatic cost posting books it). */
function totalsOf(isSales: boolean, lines: PostingLine[]): { net: number; tax: number; inventoryNet: number; otherNet: number; cost: number } {
  let net = 0, tax = 0, inventoryNet = 0, cost = 0;
  for (const posting of lines) {
    const lineNet = num(posting.line.data.netAmount);
    net = round2(net + lineNet);
    tax = round2(tax + num(posting.line.data.netTaxAmount));
    if (posting.item) {
      inventoryNet = round2(inventoryNet + lineNet);
      cost = round2(cost + posting.quantity * unitCostOf(isSales, posting));
    }
  }
  return { net, tax, inventoryNet, otherNet: round2(net - inventoryNet), cost };
}

/**
 * A sales invoice's G/L transaction: receivable = sales + tax, and the cost of the items shipped moves from
 * inventory to cost of goods sold. `sign` -1 reverses it (the credit memo that cancels an invoice).
 */
function postSalesGl(ctx: WriteContext, lines: PostingLine[], documentNumber: string, postingDate: unknown, sign: 1 | -1, customerNumber: unknown): number {
  const { net, tax, cost } = totalsOf(true, lines);
  const total = round2(net + tax);
  postGlTransaction(ctx, {
    postingDate,
    documentNumber,
    documentType: sign === 1 ? 'Invoice' : 'Credit Memo',
    description: `${sign === 1 ? 'Invoice' : 'Credit Memo'} ${documentNumber} ${String(customerNumber)}`,
    amounts: [
      [postingAccounts.receivables, sign * total],
      [postingAccounts.sales, -sign * net],
      [postingAccounts.salesTax, -sign * tax],
      [postingAccounts.costOfGoods, sign * cost],
      [postingAccounts.inventory, -sign * cost],
    ],
  });
  return total;
}

/** A purchase invoice's G/L transaction: inventory (items) and cost (other lines) and tax against payables. */
function postPurchaseGl(ctx: WriteContext, lines: PostingLine[], documentNumber: string, postingDate: unknown, vendorNumber: unknown): number {
  const { net, tax, inventoryNet, otherNet } = totalsOf(false, lines);
  const total = round2(net + tax);
  postGlTransaction(ctx, {
    postingDate,
    documentNumber,
    documentType: 'Invoice',
    description: `Invoice ${documentNumber} ${String(vendorNumber)}`,
    amounts: [
      [postingAccounts.inventory, inventoryNet],
      [postingAccounts.costOfGoods, otherNet],
      [postingAccounts.salesTax, tax],
      [postingAccounts.payables, -total],
    ],
  });
  return total;
}

/** A copy of a document (header and lines) in another set, with new ids: posted invoices, shipments, receipts. */
function copyDocument(ctx: WriteContext, from: { header: Row; lines: PostingLine[] }, to: { set: string; lineSet: string; header: Row; line?: (line: Row) => Row }): StoredRow {
  const header = ctx.store.insert(
    ctx.companyId,
    to.set,
    completeRecord(definitionFor('standard', to.set)!, { ...from.header, ...to.header, id: ctx.newId?.() ?? EMPTY_GUID, lastModifiedDateTime: ctx.now() }),
  );
  const lineDefinition = definitionFor('standard', to.lineSet)!;
  for (const { line } of from.lines) {
    ctx.store.insert(
      ctx.companyId,
      to.lineSet,
      completeRecord(lineDefinition, { ...line.data, ...(to.line?.(line.data) ?? {}), id: ctx.newId?.() ?? EMPTY_GUID, documentId: header.data.id }),
    );
  }
  return header;
}

function removeDocument(ctx: WriteContext, documentSet: DocumentSet, document: StoredRow): void {
  const id = String(document.data.id);
  for (const line of linesOfDocument(ctx.store, ctx.companyId, linesOf[documentSet], id)) ctx.store.remove(ctx.companyId, linesOf[documentSet], String(line.data.id));
  for (const reservation of ctx.store.list(ctx.companyId, 'itemReservations')) {
    if (reservation.data.sourceId === id) ctx.store.remove(ctx.companyId, 'itemReservations', String(reservation.data.id));
  }
  ctx.store.remove(ctx.companyId, documentSet, id);
}


/**
 * How each draft document posts: what it is called, the series of its posted number, whether it is a sale, which
 * way stock moves (`direction`) and the sign of its G/L transaction and balance change (a credit memo reverses a sale).
 */
const DRAFT_POSTINGS = {
  salesInvoices: { noun: 'invoice', series: 'postedSalesInvoices', documentType: 'Sales Invoice', isSales: true, direction: -1, sign: 1 },
  purchaseInvoices: { noun: 'invoice', series: 'postedPurchaseInvoices', documentType: 'Purchase Invoice', isSales: false, direction: 1, sign: 1 },
  salesCreditMemos: { noun: 'credit memo', series: 'postedSalesCreditMemos', documentType: 'Sales Credit Memo', isSales: true, direction: 1, sign: -1 },
} as const;

/**
 * Posts a draft document's ledgers: every check first (a draft, its lines, the partner, stock on hand for what goes
 * out), then its posted number, item ledger entries, one G/L transaction and the partner's balance. The caller
 * updates the document itself.
 */
function postDraft(ctx: WriteContext, documentSet: keyof typeof DRAFT_POSTINGS, document: StoredRow): { number: string; total: number } {
  const posting = DRAFT_POSTINGS[documentSet];
  if (isPostedDocument(documentSet, document.data)) throw bcErrors.dialog(`The action can be applied to a draft ${posting.noun} only`);
  const lines = postingLines(ctx, documentSet, document);
  const partner = partnerOf(ctx, posting.isSales, document);
  if (posting.direction === -1) ensureOnHand(ctx, lines, String(document.data.id));
  const number = takeNumber(ctx.store, ctx.companyId, posting.series);
  const { postingDate } = document.data;
  const { isSales, direction, documentType, sign } = posting;
  postItemLines(ctx, lines, { isSales, direction, postingDate, documentType, documentNumber: number, sourceNumber: partner.data.number });
  const total = isSales ? postSalesGl(ctx, lines, number, postingDate, sign, partner.data.number) : postPurchaseGl(ctx, lines, number, postingDate, partner.data.number);
  adjustPartnerBalance(ctx, isSales ? 'customers' : 'vendors', String(partner.data.id), sign * total);
  return { number, total };
}

/** salesInvoices({id})/Microsoft.NAV.post: the draft becomes the posted invoice (same id, posted number, Open). */
export function postSalesInvoice(ctx: WriteContext, invoice: StoredRow): void {
  const { number, total } = postDraft(ctx, 'salesInvoices', invoice);
  ctx.store.update(ctx.companyId, 'salesInvoices', String(invoice.data.id), { number, status: 'Open', remainingAmount: total, lastModifiedDateTime: ctx.now() });
}

/** purchaseInvoices({id})/Microsoft.NAV.post: stock comes in, the vendor is owed the total. */
export function postPurchaseInvoice(ctx: WriteContext, invoice: StoredRow): void {
  const { number } = postDraft(ctx, 'purchaseInvoices', invoice);
  ctx.store.update(ctx.companyId, 'purchaseInvoices', String(invoice.data.id), { number, status: 'Open', lastModifiedDateTime: ctx.now() });
}

/**
 * salesOrders({id})/Microsoft.NAV.shipAndInvoice: a posted shipment (the item ledger entries point at it) and a
 * posted invoice are created from the order; the fully posted order and its lines are then deleted, as BC does.
 */
export function shipAndInvoice(ctx: WriteContext, order: StoredRow): void {
  const lines = postingLines(ctx, 'salesOrders', order);
  const customer = partnerOf(ctx, true, order);
  ensureOnHand(ctx, lines, String(order.data.id));
  const postingDate = order.data.postingDate;
  const shipmentNumber = takeNumber(ctx.store, ctx.companyId, 'salesShipments');
  const invoiceNumber = takeNumber(ctx.store, ctx.companyId, 'postedSalesInvoices');
  const source = { header: order.data, lines };
  const references = { orderId: order.data.id, orderNumber: order.data.number, postingDate, invoiceDate: postingDate };
  copyDocument(ctx, source, {
    set: 'salesShipments', lineSet: 'salesShipmentLines', header: { ...references, number: shipmentNumber },
    line: () => ({ documentNo: shipmentNumber }),
  });
  postItemLines(ctx, lines, { isSales: true, direction: -1, postingDate, documentType: 'Sales Shipment', documentNumber: shipmentNumber, sourceNumber: customer.data.number });
  const total = postSalesGl(ctx, lines, invoiceNumber, postingDate, 1, customer.data.number);
  copyDocument(ctx, source, { set: 'salesInvoices', lineSet: 'salesInvoiceLines', header: { ...references, number: invoiceNumber, status: 'Open', remainingAmount: total } });
  adjustPartnerBalance(ctx, 'customers', String(customer.data.id), total);
  removeDocument(ctx, 'salesOrders', order);
}

/** purchaseOrders({id})/Microsoft.NAV.receiveAndInvoice: a posted receipt and a posted invoice; the order goes. */
export function receiveAndInvoice(ctx: WriteContext, order: StoredRow): void {
  const lines = postingLines(ctx, 'purchaseOrders', order);
  const vendor = partnerOf(ctx, false, order);
  const postingDate = order.data.postingDate;
  const receiptNumber = takeNumber(ctx.store, ctx.companyId, 'purchaseReceipts');
  const invoiceNumber = takeNumber(ctx.store, ctx.companyId, 'postedPurchaseInvoices');
  const source = { header: order.data, lines };
  const references = { orderId: order.data.id, orderNumber: order.data.number, postingDate, invoiceDate: postingDate };
  const unitCost = (line: Row) => ({ unitCost: line.directUnitCost });
  copyDocument(ctx, source, { set: 'purchaseReceipts', lineSet: 'purchaseReceiptLines', header: { ...references, number: receiptNumber }, line: unitCost });
  postItemLines(ctx, lines, { isSales: false, direction: 1, postingDate, documentType: 'Purchase Receipt', documentNumber: receiptNumber, sourceNumber: vendor.data.number });
  const total = postPurchaseGl(ctx, lines, invoiceNumber, postingDate, vendor.data.number);
  copyDocument(ctx, source, { set: 'purchaseInvoices', lineSet: 'purchaseInvoiceLines', header: { ...references, number: invoiceNumber, status: 'Open' }, line: unitCost });
  adjustPartnerBalance(ctx, 'vendors', String(vendor.data.id), total);
  removeDocument(ctx, 'purchaseOrders', order);
}

/** The APIV2 page's checks before a posted invoice is canceled or credited. */
function postedInvoiceLines(ctx: WriteContext, invoice: StoredRow, purpose: 'cancel' | 'credit'): PostingLine[] {
  if (!isPostedDocument('salesInvoices', invoice.data)) throw bcErrors.dialog('The action can be applied to a posted invoice only');
  if (purpose === 'cancel' && invoice.data.status === 'Canceled') throw bcErrors.dialog('The invoice cannot be canceled because it has already been canceled');
  if (round2(num(invoice.data.remainingAmount)) !== round2(num(invoice.data.totalAmountIncludingTax))) {
    throw bcErrors.dialog(
      purpose === 'cancel'
        ? 'You cannot cancel this posted sales invoice because it is fully or partially paid. To reverse a paid sales invoice, you must manually create a sales credit memo'
        : 'The invoice is partially paid or credited. The corrective credit memo may not be fully closed by the invoice',
    );
  }
  return postingLines(ctx, 'salesInvoices', invoice);
}

/**
 * salesInvoices({id})/Microsoft.NAV.cancel (Correct Posted Sales Invoice): a posted corrective credit memo
 * reverses the invoice — stock back, G/L reversed, the customer's balance down — and the invoice is Canceled.
 */
export function cancelSalesInvoice(ctx: WriteContext, invoice: StoredRow): void {
  const lines = postedInvoiceLines(ctx, invoice, 'cancel');
  const customer = partnerOf(ctx, true, invoice);
  const number = takeNumber(ctx.store, ctx.companyId, 'postedSalesCreditMemos');
  const today = ctx.now().slice(0, 10);
  postItemLines(ctx, lines, { isSales: true, direction: 1, postingDate: today, documentType: 'Sales Credit Memo', documentNumber: number, sourceNumber: customer.data.number });
  const total = postSalesGl(ctx, lines, number, today, -1, customer.data.number);
  copyDocument(ctx, { header: invoice.data, lines }, {
    set: 'salesCreditMemos', lineSet: 'salesCreditMemoLines',
    header: { number, creditMemoDate: today, postingDate: today, dueDate: today, status: 'Corrective', invoiceId: invoice.data.id, invoiceNumber: invoice.data.number },
  });
  adjustPartnerBalance(ctx, 'customers', String(customer.data.id), -total);
  ctx.store.update(ctx.companyId, 'salesInvoices', String(invoice.data.id), { status: 'Canceled', remainingAmount: 0, lastModifiedDateTime: ctx.now() });
}

/**
 * salesCreditMemos({id})/Microsoft.NAV.post: stock back, the sales G/L transaction reversed, the customer owes
 * less. A memo made from an invoice (`invoiceId`) is applied to it: the invoice's remaining amount goes down by
 * the memo's total, and an invoice fully credited becomes Paid, as does the memo that closed it.
 */
export function postSalesCreditMemo(ctx: WriteContext, memo: StoredRow): void {
  const { number, total } = postDraft(ctx, 'salesCreditMemos', memo);
  let status = 'Open';
  const invoice = memo.data.invoiceId ? ctx.store.get(ctx.companyId, 'salesInvoices', String(memo.data.invoiceId)) : undefined;
  if (invoice && invoice.data.status === 'Open') {
    const remaining = Math.max(0, round2(num(invoice.data.remainingAmount) - total));
    ctx.store.update(ctx.companyId, 'salesInvoices', String(invoice.data.id), { remainingAmount: remaining, ...(remaining === 0 ? { status: 'Paid' } : {}), lastModifiedDateTime: ctx.now() });
    if (remaining === 0) status = 'Paid';
  }
  ctx.store.update(ctx.companyId, 'salesCreditMemos', String(memo.data.id), { number, status, lastModifiedDateTime: ctx.now() });
}

/** salesInvoices({id})/Microsoft.NAV.makeCorrectiveCreditMemo: a draft credit memo copying the posted invoice. */
export function makeCorrectiveCreditMemo(ctx: WriteContext, invoice: StoredRow): void {
  const lines = postedInvoiceLines(ctx, invoice, 'credit');
  const today = ctx.now().slice(0, 10);
  copyDocument(ctx, { header: invoice.data, lines }, {
    set: 'salesCreditMemos', lineSet: 'salesCreditMemoLines',
    header: { number: takeNumber(ctx.store, ctx.companyId, 'salesCreditMemos'), creditMemoDate: today, postingDate: today, dueDate: today, status: 'Draft', invoiceId: invoice.data.id, invoiceNumber: invoice.data.number },
  });
}

/**
 * salesQuotes({id})/Microsoft.NAV.makeInvoice / makeOrder (Sales-Quote to Invoice / to Order): a draft invoice or
 * order with the quote's customer and lines, numbered from its own series; the quote and its lines are deleted.
 */
export function convertQuote(ctx: WriteContext, quote: StoredRow, target: 'salesInvoices' | 'salesOrders'): StoredRow {
  const customer = ctx.store.get(ctx.companyId, 'customers', String(quote.data.customerId));
  if (customer?.data.blocked === 'All') {
    throw bcErrors.fieldValidation(`You cannot create this type of document when Customer ${String(customer.data.number)} is blocked with type All`);
  }
  const lines = linesOfDocument(ctx.store, ctx.companyId, 'salesQuoteLines', String(quote.data.id)).map((line) => ({ line, quantity: num(line.data.quantity), locationId: '' }));
  const today = ctx.now().slice(0, 10);
  const document = copyDocument(ctx, { header: quote.data, lines }, {
    set: target, lineSet: linesOf[target],
    header: { number: takeNumber(ctx.store, ctx.companyId, target), status: 'Draft', orderDate: today, invoiceDate: today, postingDate: today },
    // An order line ships and invoices its whole quantity unless told otherwise.
    line: (line) => ({ invoiceQuantity: line.quantity, shipQuantity: line.quantity }),
  });
  removeDocument(ctx, 'salesQuotes', quote);
  recomputeDocument(ctx.store, ctx.companyId, target, String(document.data.id));
  return ctx.store.get(ctx.companyId, target, String(document.data.id))!;
}
