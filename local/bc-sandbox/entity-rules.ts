// BC's business rules per entity set for POST, PATCH and DELETE: required fields, references that must exist,
// blocked partners and items, number series, uniqueness, and documents recomputed when their lines change.
import { bcErrors } from './errors.js';
import { EMPTY_GUID, completeRecord, definitionFor } from './schema.js';
import { takeNumber } from './number-series.js';
import {
  documentOf, isPostedDocument, isSalesDocument, POSTABLE_DOCUMENTS, itemDefaultsForLine, linesOf, linesOfDocument, nextLineSequence, recomputeDocument,
  type DocumentSet, type LineSet,
} from './documents.js';
import type { Store, StoredRow } from './store.js';

export interface WriteContext {
  store: Store;
  companyId: string;
  now: () => string;
  /** Ids for records a write creates on its own (ledger entries, posted documents); the seed's are deterministic. */
  newId?: () => string;
}

type Values = Record<string, unknown>;

interface EntityRules {
  /** Completes and checks a new record; returns the values to store. */
  create(ctx: WriteContext, values: Values): Values;
  /** Checks and completes a change to an existing record; returns the changes to apply. */
  update(ctx: WriteContext, row: StoredRow, changes: Values): Values;
  beforeDelete(ctx: WriteContext, row: StoredRow): void;
  /** Runs after the write is stored (documents recompute their totals). */
  afterWrite(ctx: WriteContext, row: StoredRow | undefined, before: Values | undefined): void;
}

const noop = () => undefined;

function present(value: unknown): boolean {
  return value !== undefined && value !== '' && value !== EMPTY_GUID;
}

/**
 * Finds a referenced record by id or by a number/code field; undefined when neither is given, BC's "does not
 * exist" error when the value matches nothing.
 */
export function reference(ctx: WriteContext, entitySet: string, label: string, id: unknown, field: string, fieldValue: unknown): StoredRow | undefined {
  if (present(id)) {
    const row = ctx.store.get(ctx.companyId, entitySet, String(id));
    if (!row) throw bcErrors.relatedRecordNotFound(label, 'Id', String(id));
    return row;
  }
  if (present(fieldValue)) {
    const row = ctx.store.find(ctx.companyId, entitySet, (d) => d[field] === fieldValue);
    if (!row) throw bcErrors.relatedRecordNotFound(label, field === 'number' ? 'No.' : 'Code', String(fieldValue));
    return row;
  }
  return undefined;
}

function requireText(values: Values, field: string): void {
  if (typeof values[field] !== 'string' || !(values[field] as string).trim()) throw bcErrors.required(field);
}

function ensureUnique(ctx: WriteContext, entitySet: string, label: string, field: string, value: unknown, exceptId?: string): void {
  const clash = ctx.store.find(ctx.companyId, entitySet, (d) => d[field] === value && d.id !== exceptId);
  if (clash) throw bcErrors.duplicateKey(label, field === 'number' ? 'No.' : 'Code', String(value));
}

/** currencyId/currencyCode and paymentTermsId kept consistent with the records they name. */
function linkMasterData(ctx: WriteContext, values: Values): Values {
  const out: Values = {};
  if ('currencyId' in values || 'currencyCode' in values) {
    const currency = reference(ctx, 'currencies', 'Currency', values.currencyId, 'code', values.currencyCode);
    out.currencyId = currency?.data.id ?? EMPTY_GUID;
    out.currencyCode = currency?.data.code ?? '';
  }
  if ('paymentTermsId' in values) reference(ctx, 'paymentTerms', 'Payment Terms', values.paymentTermsId, 'code', undefined);
  return out;
}

function masterDataRules(entitySet: 'customers' | 'vendors' | 'items', label: string, dependents: (ctx: WriteContext, row: StoredRow) => string | undefined): EntityRules {
  return {
    create(ctx, values) {
      requireText(values, 'displayName');
      if (present(values.number)) ensureUnique(ctx, entitySet, label, 'number', values.number);
      const number = present(values.number) ? values.number : takeNumber(ctx.store, ctx.companyId, entitySet);
      const defaults: Values =
        entitySet === 'customers' ? { type: 'Company', blocked: ' ' } : entitySet === 'vendors' ? { blocked: ' ' } : { type: 'Inventory', baseUnitOfMeasureCode: 'PCS' };
      return { ...defaults, ...values, ...linkMasterData(ctx, values), number };
    },
    update(ctx, row, changes) {
      if ('displayName' in changes) requireText(changes, 'displayName');
      if ('number' in changes) {
        requireText(changes, 'number');
        ensureUnique(ctx, entitySet, label, 'number', changes.number, String(row.data.id));
      }
      return { ...changes, ...linkMasterData(ctx, changes) };
    },
    beforeDelete(ctx, row) {
      const reason = dependents(ctx, row);
      if (reason) throw bcErrors.dialog(`You cannot delete ${label} ${String(row.data.number)} because ${reason}`);
    },
    afterWrite: noop,
  };
}

function codeTableRules(entitySet: string, label: string): EntityRules {
  return {
    create(ctx, values) {
      requireText(values, 'code');
      const code = String(values.code).toUpperCase();
      ensureUnique(ctx, entitySet, label, 'code', code);
      return { ...values, code };
    },
    update(ctx, row, changes) {
      if (!('code' in changes)) return changes;
      requireText(changes, 'code');
      const code = String(changes.code).toUpperCase();
      ensureUnique(ctx, entitySet, label, 'code', code, String(row.data.id));
      return { ...changes, code };
    },
    beforeDelete: noop,
    afterWrite: noop,
  };
}

const salesPartner = { set: 'customers', label: 'Customer', idField: 'customerId', numberField: 'customerNumber', blockedValue: 'All', noun: 'customer' } as const;
const purchasePartner = { set: 'vendors', label: 'Vendor', idField: 'vendorId', numberField: 'vendorNumber', blockedValue: 'All', noun: 'vendor' } as const;
const partnerOf = (documentSet: DocumentSet) => (isSalesDocument(documentSet) ? salesPartner : purchasePartner);

/**
 * An invoice's status and remaining amount are set by posting only (`Editable = false` on BC's API pages, though
 * the docs leave them unmarked): writing them would post an invoice without its ledger entries.
 */
function ensurePostingStateUntouched(documentSet: DocumentSet, values: Values): void {
  if (!POSTABLE_DOCUMENTS.includes(documentSet)) return;
  for (const field of ['status', 'remainingAmount']) if (field in values) throw bcErrors.readOnly(field);
}

/** BC's aggregates refuse any change to a posted invoice or credit memo, or to its lines. */
function ensureNotPosted(documentSet: DocumentSet, document: Values | undefined): void {
  if (document && isPostedDocument(documentSet, document)) {
    throw bcErrors.dialog(`The ${documentSet === 'salesCreditMemos' ? 'credit memo' : 'invoice'} has been posted and can no longer be modified`);
  }
}

/** Header values a document takes from its customer or vendor. */
function partnerValues(documentSet: DocumentSet, partner: Values): Values {
  const address = (prefix: string, postField: string) => ({
    [`${prefix}AddressLine1`]: partner.addressLine1, [`${prefix}AddressLine2`]: partner.addressLine2, [`${prefix}City`]: partner.city,
    [`${prefix}State`]: partner.state, [`${prefix}Country`]: partner.country, [`${prefix}${postField}`]: partner.postalCode,
  });
  if (isSalesDocument(documentSet)) {
    return {
      customerId: partner.id, customerNumber: partner.number, customerName: partner.displayName,
      billToName: partner.displayName, billToCustomerId: partner.id, billToCustomerNumber: partner.number, shipToName: partner.displayName,
      ...address('sellTo', 'PostCode'), ...address('billTo', 'PostCode'), ...address('shipTo', 'PostCode'),
      currencyId: partner.currencyId, currencyCode: partner.currencyCode, paymentTermsId: partner.paymentTermsId,
      phoneNumber: partner.phoneNumber, email: partner.email,
    };
  }
  return {
    vendorId: partner.id, vendorNumber: partner.number, vendorName: partner.displayName,
    payToName: partner.displayName, payToVendorId: partner.id, payToVendorNumber: partner.number,
    ...address('buyFrom', 'PostCode'), ...address('payTo', 'PostCode'),
    currencyId: partner.currencyId, currencyCode: partner.currencyCode, paymentTermsId: partner.paymentTermsId,
  };
}

function resolvePartner(ctx: WriteContext, documentSet: DocumentSet, values: Values): Values | undefined {
  const p = partnerOf(documentSet);
  const row = reference(ctx, p.set, p.label, values[p.idField], 'number', values[p.numberField]);
  if (!row) return undefined;
  if (row.data.blocked === p.blockedValue) {
    throw bcErrors.fieldValidation(`You cannot create this type of document when ${p.label} ${String(row.data.number)} is blocked with type ${p.blockedValue}`);
  }
  return row.data;
}

function documentRules(documentSet: DocumentSet): EntityRules {
  const p = partnerOf(documentSet);
  return {
    create(ctx, values) {
      if (present(values.number)) throw bcErrors.dialog('You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series');
      ensurePostingStateUntouched(documentSet, values);
      const partner = resolvePartner(ctx, documentSet, values);
      if (!partner) throw bcErrors.dialog(`A ${p.numberField} or a ${p.idField} must be provided`);
      const today = ctx.now().slice(0, 10);
      return {
        // Each document type keeps the dates it has (order, invoice or document date); completeRecord drops the rest.
        orderDate: today, invoiceDate: today, documentDate: today, creditMemoDate: today, postingDate: today, status: 'Draft',
        ...partnerValues(documentSet, partner),
        ...values,
        ...linkMasterData(ctx, values),
        number: takeNumber(ctx.store, ctx.companyId, documentSet),
      };
    },
    update(ctx, row, changes) {
      ensureNotPosted(documentSet, row.data);
      ensurePostingStateUntouched(documentSet, changes);
      if ('number' in changes) throw bcErrors.dialog('You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series');
      const partnerChanged = p.idField in changes || p.numberField in changes;
      const partner = partnerChanged ? resolvePartner(ctx, documentSet, changes) : undefined;
      if (partnerChanged && !partner) throw bcErrors.dialog(`A ${p.numberField} or a ${p.idField} must be provided`);
      return { ...(partner ? partnerValues(documentSet, partner) : {}), ...changes, ...linkMasterData(ctx, changes) };
    },
    beforeDelete(ctx, row) {
      ensureNotPosted(documentSet, row.data);
      const id = String(row.data.id);
      for (const line of linesOfDocument(ctx.store, ctx.companyId, linesOf[documentSet], id)) {
        ctx.store.remove(ctx.companyId, linesOf[documentSet], String(line.data.id));
      }
      for (const reservation of ctx.store.list(ctx.companyId, 'itemReservations')) {
        if (reservation.data.sourceId === id) ctx.store.remove(ctx.companyId, 'itemReservations', String(reservation.data.id));
      }
    },
    afterWrite(ctx, row) {
      if (row && !isPostedDocument(documentSet, row.data)) recomputeDocument(ctx.store, ctx.companyId, documentSet, String(row.data.id));
    },
  };
}

/** An item line's item must exist and not be blocked; a location, when given, must exist. */
function lineItemValues(ctx: WriteContext, lineSet: LineSet, values: Values, current?: Values): Values {
  const out: Values = {};
  const lineType = values.lineType ?? current?.lineType ?? 'Item';
  const itemChanged = 'itemId' in values || 'lineObjectNumber' in values;
  if (lineType === 'Item' && (itemChanged || !current)) {
    const item = reference(ctx, 'items', 'Item', values.itemId, 'number', values.lineObjectNumber);
    if (!item) throw bcErrors.dialog('An itemId or a lineObjectNumber must be provided for an item line');
    if (item.data.blocked === true) {
      throw bcErrors.fieldValidation(`Blocked must be equal to 'No'  in Item: No.=${String(item.data.number)}. Current value is 'Yes'`);
    }
    Object.assign(out, itemDefaultsForLine(item.data, lineSet));
  }
  if (present(values.locationId)) reference(ctx, 'locations', 'Location', values.locationId, 'code', undefined);
  const quantity = values.quantity ?? current?.quantity;
  if (typeof quantity === 'number' && quantity < 0) throw bcErrors.fieldValidation('Quantity must be positive');
  for (const field of ['discountPercent'] as const) {
    const value = values[field];
    if (typeof value === 'number' && (value < 0 || value > 100)) throw bcErrors.fieldValidation(`The value must be between 0 and 100 in ${field}`);
  }
  return out;
}

function lineRules(lineSet: LineSet): EntityRules {
  const documentSet = documentOf[lineSet];
  const [shipField] = lineSet === 'salesOrderLines' ? ['shipQuantity'] : ['receiveQuantity'];
  return {
    create(ctx, values) {
      if (!present(values.documentId)) throw bcErrors.required('documentId');
      const document = ctx.store.get(ctx.companyId, documentSet, String(values.documentId));
      if (!document) throw bcErrors.relatedRecordNotFound(isSalesDocument(documentSet) ? 'Sales Header' : 'Purchase Header', 'Id', String(values.documentId));
      ensureNotPosted(documentSet, document.data);
      const quantity = typeof values.quantity === 'number' ? values.quantity : 0;
      return {
        lineType: 'Item',
        ...lineItemValues(ctx, lineSet, values),
        ...values,
        sequence: values.sequence ?? nextLineSequence(ctx.store, ctx.companyId, lineSet, String(values.documentId)),
        invoiceQuantity: values.invoiceQuantity ?? quantity,
        [shipField]: values[shipField] ?? quantity,
      };
    },
    update(ctx, row, changes) {
      ensureNotPosted(documentSet, ctx.store.get(ctx.companyId, documentSet, String(row.data.documentId))?.data);
      if ('documentId' in changes && changes.documentId !== row.data.documentId) throw bcErrors.badRequest("The property 'documentId' cannot be changed");
      const out: Values = { ...lineItemValues(ctx, lineSet, changes, row.data), ...changes };
      if ('quantity' in changes) {
        out.invoiceQuantity ??= changes.quantity;
        out[shipField] ??= changes.quantity;
      }
      return out;
    },
    beforeDelete(ctx, row) {
      ensureNotPosted(documentSet, ctx.store.get(ctx.companyId, documentSet, String(row.data.documentId))?.data);
    },
    afterWrite(ctx, row, before) {
      const documentId = String((row?.data ?? before)?.documentId);
      recomputeDocument(ctx.store, ctx.companyId, documentSet, documentId);
    },
  };
}

/** Outstanding documents of a partner: all orders and quotes, invoices while they are drafts. */
function openDocumentsFor(ctx: WriteContext, documentSet: DocumentSet, field: string, id: unknown): boolean {
  return ctx.store.list(ctx.companyId, documentSet).some((row) => row.data[field] === id && !isPostedDocument(documentSet, row.data));
}

const rules: Record<string, EntityRules> = {
  customers: masterDataRules('customers', 'Customer', (ctx, row) =>
    openDocumentsFor(ctx, 'salesOrders', 'customerId', row.data.id) ? 'there is at least one outstanding Sales Order for this customer'
      : openDocumentsFor(ctx, 'salesInvoices', 'customerId', row.data.id) ? 'there is at least one outstanding Sales Invoice for this customer'
        : openDocumentsFor(ctx, 'salesQuotes', 'customerId', row.data.id) ? 'there is at least one outstanding Sales Quote for this customer'
          : undefined),
  vendors: masterDataRules('vendors', 'Vendor', (ctx, row) =>
    openDocumentsFor(ctx, 'purchaseOrders', 'vendorId', row.data.id) ? 'there is at least one outstanding Purchase Order for this vendor'
      : openDocumentsFor(ctx, 'purchaseInvoices', 'vendorId', row.data.id) ? 'there is at least one outstanding Purchase Invoice for this vendor'
        : undefined),
  items: masterDataRules('items', 'Item', (ctx, row) => {
    const used = (set: LineSet) => ctx.store.list(ctx.companyId, set).some((line) => line.data.itemId === row.data.id);
    if (used('salesOrderLines')) return 'there is at least one outstanding Sales Order that includes this item';
    if (used('purchaseOrderLines')) return 'there is at least one outstanding Purchase Order that includes this item';
    // Draft invoices and quotes are outstanding documents too; a posted invoice's lines are history.
    const outstanding = (set: LineSet, documentSet: DocumentSet) =>
      ctx.store.list(ctx.companyId, set).some((line) => line.data.itemId === row.data.id && !isPostedDocument(documentSet, ctx.store.get(ctx.companyId, documentSet, String(line.data.documentId))?.data ?? {}));
    if (outstanding('salesInvoiceLines', 'salesInvoices')) return 'there is at least one outstanding Sales Invoice that includes this item';
    if (outstanding('salesQuoteLines', 'salesQuotes')) return 'there is at least one outstanding Sales Quote that includes this item';
    if (outstanding('purchaseInvoiceLines', 'purchaseInvoices')) return 'there is at least one outstanding Purchase Invoice that includes this item';
    return undefined;
  }),
  locations: codeTableRules('locations', 'Location'),
  paymentTerms: codeTableRules('paymentTerms', 'Payment Terms'),
  currencies: codeTableRules('currencies', 'Currency'),
  salesOrders: documentRules('salesOrders'),
  salesInvoices: documentRules('salesInvoices'),
  salesQuotes: documentRules('salesQuotes'),
  salesCreditMemos: documentRules('salesCreditMemos'),
  purchaseOrders: documentRules('purchaseOrders'),
  purchaseInvoices: documentRules('purchaseInvoices'),
  salesOrderLines: lineRules('salesOrderLines'),
  salesInvoiceLines: lineRules('salesInvoiceLines'),
  salesQuoteLines: lineRules('salesQuoteLines'),
  salesCreditMemoLines: lineRules('salesCreditMemoLines'),
  purchaseOrderLines: lineRules('purchaseOrderLines'),
  purchaseInvoiceLines: lineRules('purchaseInvoiceLines'),
};

/**
 * Sets of the catalogue without business rules of their own (contacts, employees, journals, …): a `code`
 * set keeps its codes unique and upper-case as BC's code fields do; any other set stores what validated.
 */
const catalogueRules = new Map<string, EntityRules>();
function genericRules(entitySet: string): EntityRules | undefined {
  const definition = definitionFor('standard', entitySet);
  if (!definition) return undefined;
  let cached = catalogueRules.get(entitySet);
  if (!cached) {
    cached = definition.properties.some((p) => p.name === 'code' && !p.readOnly)
      ? codeTableRules(entitySet, definition.entityName)
      : { create: (_ctx, values) => values, update: (_ctx, _row, changes) => changes, beforeDelete: noop, afterWrite: noop };
    catalogueRules.set(entitySet, cached);
  }
  return cached;
}

export function rulesFor(entitySet: string): EntityRules | undefined {
  return rules[entitySet] ?? genericRules(entitySet);
}

/** POST: validate, complete every documented property, store, then run follow-up rules. */
export function createRecord(ctx: WriteContext, entitySet: string, values: Values): StoredRow {
  const entityRules = rulesFor(entitySet);
  const definition = definitionFor('standard', entitySet);
  if (!entityRules || !definition) throw new Error(`No write rules for ${entitySet}`);
  const prepared = entityRules.create(ctx, values);
  const row = ctx.store.insert(ctx.companyId, entitySet, completeRecord(definition, { ...prepared, lastModifiedDateTime: ctx.now() }));
  entityRules.afterWrite(ctx, row, undefined);
  return ctx.store.get(ctx.companyId, entitySet, String(row.data.id))!;
}

export function updateRecord(ctx: WriteContext, entitySet: string, row: StoredRow, changes: Values): StoredRow {
  const entityRules = rulesFor(entitySet);
  if (!entityRules) throw new Error(`No write rules for ${entitySet}`);
  const before = { ...row.data };
  const prepared = entityRules.update(ctx, row, changes);
  const updated = ctx.store.update(ctx.companyId, entitySet, String(row.data.id), { ...prepared, lastModifiedDateTime: ctx.now() });
  entityRules.afterWrite(ctx, updated, before);
  return ctx.store.get(ctx.companyId, entitySet, String(row.data.id))!;
}

export function deleteRecord(ctx: WriteContext, entitySet: string, row: StoredRow): void {
  const entityRules = rulesFor(entitySet);
  if (!entityRules) throw new Error(`No write rules for ${entitySet}`);
  entityRules.beforeDelete(ctx, row);
  ctx.store.remove(ctx.companyId, entitySet, String(row.data.id));
  entityRules.afterWrite(ctx, undefined, row.data);
}
