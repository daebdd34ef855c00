// Posting as data: the API v2.0 bound actions that post a sales or purchase document (Microsoft's API v2.0
// reference, dev-itpro/api-reference/v2.0/api/dynamics_salesinvoice_post.md and siblings: `POST …/{set}({id})/
// Microsoft.NAV.{action}`, 204 No Content). The plan tool, the MCP tool, the command language and the approval
// summary all read this table: which set takes which action, how a person says it, and what posting does.
// (API v2.0 has no bound action that only ships, only invoices or releases a document; those stay in BC's UI.)
import { findEntitySet } from '../bc/index.js';

/** The tool that posts a document (a write task; the MCP server's bc_post_document). */
export const POST_DOCUMENT_TOOL = 'bc_post_document';

export interface DocumentAction {
  /** The entity set the action is bound to. */
  entity: 'salesInvoices' | 'salesCreditMemos' | 'salesOrders' | 'purchaseInvoices' | 'purchaseOrders';
  /** BC's action name (`Microsoft.NAV.<action>`). */
  action: 'post' | 'shipAndInvoice' | 'receiveAndInvoice';
  /** The words of the command language, before the document (`post sales invoice 103001`). */
  command: string;
  /** The document in words. */
  document: string;
  partner: 'customer' | 'vendor';
  /** What posting does, for the person who approves it. */
  effect: string;
  /**
   * Where the posted document is afterwards: the same record with a posted status (invoices and credit memos keep
   * their id; BC gives them the posted number), or a posted invoice made from an order, which BC then deletes.
   */
  postedAs: { kind: 'same record' } | { kind: 'invoice from order'; entity: 'salesInvoices' | 'purchaseInvoices' };
}

export const DOCUMENT_ACTIONS: readonly DocumentAction[] = [
  {
    entity: 'salesInvoices',
    action: 'post',
    command: 'post',
    document: 'sales invoice',
    partner: 'customer',
    effect: 'writes customer ledger and G/L entries and takes the items out of inventory; the draft becomes a posted invoice with a new number',
    postedAs: { kind: 'same record' },
  },
  {
    entity: 'salesCreditMemos',
    action: 'post',
    command: 'post',
    document: 'sales credit memo',
    partner: 'customer',
    effect: "reverses the sale in the customer ledger and G/L entries and returns the items to inventory; the draft becomes a posted credit memo with a new number",
    postedAs: { kind: 'same record' },
  },
  {
    entity: 'purchaseInvoices',
    action: 'post',
    command: 'post',
    document: 'purchase invoice',
    partner: 'vendor',
    effect: 'writes vendor ledger and G/L entries and puts the items into inventory; the draft becomes a posted invoice with a new number',
    postedAs: { kind: 'same record' },
  },
  {
    entity: 'salesOrders',
    action: 'shipAndInvoice',
    command: 'ship and invoice',
    document: 'sales order',
    partner: 'customer',
    effect: 'posts a shipment (items out of inventory) and a sales invoice (customer ledger and G/L entries); the order is then deleted',
    postedAs: { kind: 'invoice from order', entity: 'salesInvoices' },
  },
  {
    entity: 'purchaseOrders',
    action: 'receiveAndInvoice',
    command: 'receive and invoice',
    document: 'purchase order',
    partner: 'vendor',
    effect: 'posts a receipt (items into inventory) and a purchase invoice (vendor ledger and G/L entries); the order is then deleted',
    postedAs: { kind: 'invoice from order', entity: 'purchaseInvoices' },
  },
];

export const POSTABLE_ENTITY_SETS = [...new Set(DOCUMENT_ACTIONS.map((a) => a.entity))] as [DocumentAction['entity'], ...DocumentAction['entity'][]];
export const POSTING_ACTIONS = [...new Set(DOCUMENT_ACTIONS.map((a) => a.action))] as [DocumentAction['action'], ...DocumentAction['action'][]];

export function findDocumentAction(entity: string, action: string): DocumentAction | undefined {
  return DOCUMENT_ACTIONS.find((a) => a.entity === entity && a.action === action);
}

/** BC's statuses of a posted invoice or credit memo (drafts are Draft or In Review). */
const POSTED_STATUSES = ['Open', 'Paid', 'Canceled', 'Corrective'];

/** Whether a document read from BC is already posted (orders are deleted by posting, so one that exists is not). */
export function isPosted(spec: DocumentAction, document: Record<string, unknown>): boolean {
  return spec.postedAs.kind === 'same record' && POSTED_STATUSES.includes(String(document.status));
}

const money = (amount: unknown) =>
  typeof amount === 'number' ? amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : '?';

const SUMMARY_FIELDS = ['id', 'number', 'status', 'customerNumber', 'customerName', 'vendorNumber', 'vendorName', 'totalAmountIncludingTax', 'currencyCode'];

/** The fields of a document (or the posted invoice) that the summary and the result name, as the set has them. */
export function summaryFields(entitySet: string): string[] {
  const properties = findEntitySet(entitySet)?.properties.map((p) => p.name) ?? [];
  return SUMMARY_FIELDS.filter((f) => properties.includes(f));
}

/**
 * What will be posted, for the approver: "Post sales invoice S-INV1004 for Adatum (10000) (1,234.00 LCY):
 * writes customer ledger …". Values are BC's data, quoted as such.
 */
export function describePosting(spec: DocumentAction, document: Record<string, unknown>): string {
  const name = document[`${spec.partner}Name`];
  const partnerNumber = document[`${spec.partner}Number`];
  const currency = typeof document.currencyCode === 'string' && document.currencyCode ? document.currencyCode : 'LCY';
  const verb = spec.command.charAt(0).toUpperCase() + spec.command.slice(1);
  return `${verb} ${spec.document} ${String(document.number)} for ${spec.partner} ${String(partnerNumber)} ${JSON.stringify(String(name ?? ''))} (${money(document.totalAmountIncludingTax)} ${currency}): ${spec.effect}.`;
}
