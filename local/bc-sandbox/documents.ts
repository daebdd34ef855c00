// Sales and purchase documents: line amounts, totals recomputed from lines (with the header's invoice discount
// allocated over the lines, as BC does), and the defaults a line takes from its item.
import type { Store, StoredRow } from './store.js';
import { EMPTY_GUID } from './schema.js';

/** The documents with BC's document rules (partner, number series, totals from lines); sales first. */
export type DocumentSet = 'salesOrders' | 'salesInvoices' | 'salesQuotes' | 'salesCreditMemos' | 'purchaseOrders' | 'purchaseInvoices';
export type LineSet = 'salesOrderLines' | 'salesInvoiceLines' | 'salesQuoteLines' | 'salesCreditMemoLines' | 'purchaseOrderLines' | 'purchaseInvoiceLines';

export const linesOf: Record<DocumentSet, LineSet> = {
  salesOrders: 'salesOrderLines',
  salesInvoices: 'salesInvoiceLines',
  salesQuotes: 'salesQuoteLines',
  salesCreditMemos: 'salesCreditMemoLines',
  purchaseOrders: 'purchaseOrderLines',
  purchaseInvoices: 'purchaseInvoiceLines',
};
export const documentOf: Record<LineSet, DocumentSet> = {
  salesOrderLines: 'salesOrders',
  salesInvoiceLines: 'salesInvoices',
  salesQuoteLines: 'salesQuotes',
  salesCreditMemoLines: 'salesCreditMemos',
  purchaseOrderLines: 'purchaseOrders',
  purchaseInvoiceLines: 'purchaseInvoices',
};

export function isSalesDocument(documentSet: DocumentSet): boolean {
  return documentSet.startsWith('sales');
}

/** Sets that show drafts and posted documents together (invoices, credit memos), told apart by status. */
export const POSTABLE_DOCUMENTS = ['salesInvoices', 'purchaseInvoices', 'salesCreditMemos'];
/** A posted one is Open, Paid, Canceled or Corrective; a draft is Draft or In Review. */
export const POSTED_STATUSES = ['Open', 'Paid', 'Canceled', 'Corrective'];
export function isPostedDocument(documentSet: string, document: Record<string, unknown>): boolean {
  return POSTABLE_DOCUMENTS.includes(documentSet) && POSTED_STATUSES.includes(String(document.status));
}

/** Sales lines carry `unitPrice`; purchase order lines `directUnitCost`, purchase invoice lines `unitCost`. */
export const priceField: Record<LineSet, 'unitPrice' | 'directUnitCost' | 'unitCost'> = {
  salesOrderLines: 'unitPrice',
  salesInvoiceLines: 'unitPrice',
  salesQuoteLines: 'unitPrice',
  salesCreditMemoLines: 'unitPrice',
  purchaseOrderLines: 'directUnitCost',
  purchaseInvoiceLines: 'unitCost',
};

/** Tax applies to items in the FURNITURE tax group when the customer or vendor is tax liable. */
export const TAX_PERCENT = 6;
export const TAXABLE_GROUP = 'FURNITURE';

export function round2(value: number): number {
  return Math.round((value + Number.EPSILON) * 100) / 100;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export function linesOfDocument(store: Store, companyId: string, lineSet: LineSet, documentId: string): StoredRow[] {
  return store
    .list(companyId, lineSet)
    .filter((row) => row.data.documentId === documentId)
    .sort((a, b) => num(a.data.sequence) - num(b.data.sequence));
}

/** The partner's tax liability decides whether a taxable item's line is taxed. */
export function taxPercentFor(store: Store, companyId: string, documentSet: DocumentSet, document: Record<string, unknown>, taxCode: unknown): number {
  if (taxCode !== TAXABLE_GROUP) return 0;
  const partner =
    isSalesDocument(documentSet)
      ? store.get(companyId, 'customers', String(document.customerId))
      : store.get(companyId, 'vendors', String(document.vendorId));
  return partner?.data.taxLiable === true ? TAX_PERCENT : 0;
}

/** Gross line amount less the line discount; BC derives the discount amount from the percentage when given. */
export function lineBaseAmounts(line: Record<string, unknown>, lineSet: LineSet): Record<string, number> {
  const gross = round2(num(line.quantity) * num(line[priceField[lineSet]]));
  const discountPercent = num(line.discountPercent);
  const discountAmount = discountPercent > 0 ? round2((gross * discountPercent) / 100) : num(line.discountAmount);
  return { discountAmount, amountExcludingTax: round2(gross - discountAmount) };
}

/**
 * Recomputes every line's tax and net amounts and the document totals. The header `discountAmount` (invoice
 * discount) is allocated over lines in proportion to their amounts, the last line taking the rounding rest.
 */
export function recomputeDocument(store: Store, companyId: string, documentSet: DocumentSet, documentId: string): void {
  const documentRow = store.get(companyId, documentSet, documentId);
  if (!documentRow) return;
  const lineSet = linesOf[documentSet];
  const lines = linesOfDocument(store, companyId, lineSet, documentId);
  const bases = lines.map((row) => lineBaseAmounts(row.data, lineSet));
  const sum = bases.reduce((total, base) => total + base.amountExcludingTax, 0);
  const invoiceDiscount = Math.min(num(documentRow.data.discountAmount), sum);
  let allocated = 0;
  let totalExcl = 0;
  let totalTax = 0;
  lines.forEach((row, index) => {
    const base = bases[index]!;
    const allocation =
      index === lines.length - 1 ? round2(invoiceDiscount - allocated) : sum === 0 ? 0 : round2((invoiceDiscount * base.amountExcludingTax) / sum);
    allocated = round2(allocated + allocation);
    const taxPercent = taxPercentFor(store, companyId, documentSet, documentRow.data, row.data.taxCode);
    const netAmount = round2(base.amountExcludingTax - allocation);
    const netTaxAmount = round2((netAmount * taxPercent) / 100);
    const lineTax = round2((base.amountExcludingTax * taxPercent) / 100);
    const changes = {
      discountAmount: base.discountAmount,
      amountExcludingTax: base.amountExcludingTax,
      taxPercent,
      totalTaxAmount: lineTax,
      amountIncludingTax: round2(base.amountExcludingTax + lineTax),
      invoiceDiscountAllocation: allocation,
      netAmount,
      netTaxAmount,
      netAmountIncludingTax: round2(netAmount + netTaxAmount),
    };
    if (Object.entries(changes).some(([key, value]) => row.data[key] !== value)) {
      store.update(companyId, lineSet, String(row.data.id), changes);
    }
    totalExcl = round2(totalExcl + netAmount);
    totalTax = round2(totalTax + netTaxAmount);
  });
  store.update(companyId, documentSet, documentId, {
    totalAmountExcludingTax: totalExcl,
    totalTaxAmount: totalTax,
    totalAmountIncludingTax: round2(totalExcl + totalTax),
    // A draft sales invoice's remaining amount is its total (BC's APIV2 page computes it so).
    ...(documentSet === 'salesInvoices' ? { remainingAmount: round2(totalExcl + totalTax) } : {}),
  });
}

/** Values a new line takes from its item unless the caller gave them. */
export function itemDefaultsForLine(item: Record<string, unknown>, lineSet: LineSet): Record<string, unknown> {
  return {
    itemId: item.id,
    lineObjectNumber: item.number,
    description: item.displayName,
    unitOfMeasureId: item.baseUnitOfMeasureId ?? EMPTY_GUID,
    unitOfMeasureCode: item.baseUnitOfMeasureCode,
    taxCode: item.taxGroupCode,
    [priceField[lineSet]]: priceField[lineSet] === 'unitPrice' ? item.unitPrice : item.unitCost,
  };
}

export function nextLineSequence(store: Store, companyId: string, lineSet: LineSet, documentId: string): number {
  const lines = linesOfDocument(store, companyId, lineSet, documentId);
  return lines.reduce((max, row) => Math.max(max, num(row.data.sequence)), 0) + 10000;
}
