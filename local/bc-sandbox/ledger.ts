// The financial side of posting: one balanced G/L transaction per posted document (entries numbered on from the
// last one, each account's net change kept equal to the sum of its entries), and the customer's or vendor's
// balance. The accounts are the demo company's chart (catalogue-seed.ts), mapped as its posting setup maps them.
import { bcErrors } from './errors.js';
import { completeRecord, definitionFor } from './schema.js';
import { round2 } from './documents.js';
import type { WriteContext } from './entity-rules.js';

/** G/L account numbers the posting groups point at. */
export const postingAccounts = {
  bank: '10100',
  receivables: '13100',
  inventory: '14100',
  payables: '20100',
  salesTax: '22100',
  sales: '40200',
  costOfGoods: '50100',
} as const;

export interface GlTransaction {
  postingDate: unknown;
  documentNumber: string;
  /** BC's Gen. Journal document type: 'Invoice' or 'Credit Memo' for documents, blank for journal lines. */
  documentType: 'Invoice' | 'Credit Memo' | ' ';
  description: string;
  /** Debit positive, credit negative; zero amounts write no entry. */
  amounts: Array<[account: string, amount: number]>;
}

/** Writes a transaction's entries; refuses one that does not balance, as BC's G/L posting does. */
export function postGlTransaction(ctx: WriteContext, transaction: GlTransaction): void {
  const { store, companyId } = ctx;
  const amounts = transaction.amounts.map(([account, amount]) => [account, round2(amount)] as const).filter(([, amount]) => amount !== 0);
  const balance = round2(amounts.reduce((sum, [, amount]) => sum + amount, 0));
  if (balance !== 0) {
    throw bcErrors.dialog(`The transaction cannot be completed because it will cause inconsistencies in the G/L Entry table. Document No. ${transaction.documentNumber} is out of balance by ${balance}`);
  }
  const definition = definitionFor('standard', 'generalLedgerEntries')!;
  let entryNumber = store.list(companyId, 'generalLedgerEntries').reduce((max, e) => Math.max(max, Number(e.data.entryNumber)), 0);
  for (const [accountNumber, amount] of amounts) {
    const account = store.find(companyId, 'accounts', (a) => a.number === accountNumber);
    if (!account) throw bcErrors.relatedRecordNotFound('G/L Account', 'No.', accountNumber);
    store.insert(
      companyId,
      'generalLedgerEntries',
      completeRecord(definition, {
        id: ctx.newId?.(),
        entryNumber: ++entryNumber,
        postingDate: transaction.postingDate,
        documentNumber: transaction.documentNumber,
        documentType: transaction.documentType,
        accountId: account.data.id,
        accountNumber,
        description: transaction.description,
        debitAmount: amount > 0 ? amount : 0,
        creditAmount: amount < 0 ? -amount : 0,
        additionalCurrencyDebitAmount: 0,
        additionalCurrencyCreditAmount: 0,
        lastModifiedDateTime: ctx.now(),
      }),
    );
    store.update(companyId, 'accounts', String(account.data.id), { netChange: round2(Number(account.data.netChange) + amount), lastModifiedDateTime: ctx.now() });
  }
}

/** What the customer owes (`balanceDue`) or what is owed to the vendor (`balance`) moves by the posted total. */
export function adjustPartnerBalance(ctx: WriteContext, partnerSet: 'customers' | 'vendors', partnerId: string, amount: number): void {
  const partner = ctx.store.get(ctx.companyId, partnerSet, partnerId);
  if (!partner) return;
  const field = partnerSet === 'customers' ? 'balanceDue' : 'balance';
  ctx.store.update(ctx.companyId, partnerSet, partnerId, { [field]: round2(Number(partner.data[field]) + amount), lastModifiedDateTime: ctx.now() });
}
