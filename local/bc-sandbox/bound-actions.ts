// The API v2.0 bound actions (`POST …/{set}({id})/Microsoft.NAV.{action}`, answered 204 No Content as BC does):
// which set offers which action, and what each does. An action runs inside a snapshot of the store, so a refusal
// or a failure half-way restores everything (BC runs a posting in one transaction).
import { bcErrors } from './errors.js';
import {
  cancelSalesInvoice, convertQuote, makeCorrectiveCreditMemo, postPurchaseInvoice, postSalesCreditMemo, postSalesInvoice, receiveAndInvoice, shipAndInvoice,
} from './posting.js';
import { postJournal } from './journal-posting.js';
import type { WriteContext } from './entity-rules.js';
import type { StoredRow } from './store.js';

type BoundAction = (ctx: WriteContext, row: StoredRow) => void;

/** The emulated actions per entity set; the catalogue (Microsoft's docs) says which ones a set declares. */
export const boundActionHandlers: Record<string, Record<string, BoundAction>> = {
  salesInvoices: {
    'Microsoft.NAV.post': postSalesInvoice,
    'Microsoft.NAV.cancel': cancelSalesInvoice,
    'Microsoft.NAV.makeCorrectiveCreditMemo': makeCorrectiveCreditMemo,
  },
  salesOrders: { 'Microsoft.NAV.shipAndInvoice': shipAndInvoice },
  salesCreditMemos: { 'Microsoft.NAV.post': postSalesCreditMemo },
  salesQuotes: {
    'Microsoft.NAV.makeInvoice': (ctx, quote) => void convertQuote(ctx, quote, 'salesInvoices'),
    'Microsoft.NAV.makeOrder': (ctx, quote) => void convertQuote(ctx, quote, 'salesOrders'),
  },
  purchaseInvoices: { 'Microsoft.NAV.post': postPurchaseInvoice },
  purchaseOrders: { 'Microsoft.NAV.receiveAndInvoice': receiveAndInvoice },
  journals: { 'Microsoft.NAV.post': postJournal },
};

/** Runs a declared bound action all-or-nothing; a declared one the sandbox does not emulate is refused clearly. */
export function runBoundAction(ctx: WriteContext, entitySet: string, action: string, row: StoredRow): void {
  const handler = boundActionHandlers[entitySet]?.[action];
  if (!handler) {
    // send, postAndSend and cancelAndSend e-mail the document; credit memo cancel, purchase credit memos and job
    // queue restarts are declared in $metadata like BC does but not emulated.
    throw bcErrors.notImplemented(`The BC sandbox does not emulate ${action} on ${entitySet}`);
  }
  const snapshot = ctx.store.snapshot();
  try {
    handler(ctx, row);
  } catch (error) {
    ctx.store.restore(snapshot);
    throw error;
  }
}
