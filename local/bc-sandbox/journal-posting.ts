// journals({id})/Microsoft.NAV.post as Gen. Jnl.-Post Batch does it: each line with an amount posts against its
// account and its balancing account (the line's, else the journal's); customer, vendor and bank lines post to
// the receivables, payables and bank G/L accounts and move the partner's balance. Lines without a balancing
// account must balance per document number. The posted lines leave the journal; the journal stays.
import { bcErrors } from './errors.js';
import { round2 } from './documents.js';
import { adjustPartnerBalance, postGlTransaction, postingAccounts } from './ledger.js';
import type { WriteContext } from './entity-rules.js';
import type { StoredRow } from './store.js';

const BLANK_DATE = '0001-01-01';
const present = (value: unknown) => typeof value === 'string' && value.trim() !== '' && value !== BLANK_DATE && value !== '00000000-0000-0000-0000-000000000000';

/** The G/L account a journal account posts to, and the partner whose balance moves (customers owe, vendors are owed). */
function resolveAccount(ctx: WriteContext, type: unknown, id: unknown, number: unknown): { glAccount: string; partner?: { set: 'customers' | 'vendors'; id: string; sign: 1 | -1 } } {
  const find = (set: string, label: string) => {
    const row = present(id) ? ctx.store.get(ctx.companyId, set, String(id)) : ctx.store.find(ctx.companyId, set, (d) => d.number === number);
    if (!row) throw bcErrors.relatedRecordNotFound(label, present(id) ? 'Id' : 'No.', String(present(id) ? id : number));
    return row;
  };
  switch (type) {
    case 'G/L Account':
      return { glAccount: String(find('accounts', 'G/L Account').data.number) };
    case 'Customer':
      return { glAccount: postingAccounts.receivables, partner: { set: 'customers', id: String(find('customers', 'Customer').data.id), sign: 1 } };
    case 'Vendor':
      // A debit to a vendor pays it: what is owed to it (`balance`) goes down.
      return { glAccount: postingAccounts.payables, partner: { set: 'vendors', id: String(find('vendors', 'Vendor').data.id), sign: -1 } };
    case 'Bank Account':
      find('bankAccounts', 'Bank Account');
      return { glAccount: postingAccounts.bank };
    default:
      throw bcErrors.dialog(`Account Type ${String(type)} cannot be posted from a journal in the BC sandbox`);
  }
}

export function postJournal(ctx: WriteContext, journal: StoredRow): void {
  const lines = ctx.store
    .list(ctx.companyId, 'journalLines')
    .filter((line) => line.data.journalId === journal.data.id)
    .sort((a, b) => Number(a.data.lineNumber) - Number(b.data.lineNumber));
  const posting = lines.filter((line) => Number(line.data.amount) !== 0);
  if (posting.length === 0) throw bcErrors.dialog('There is nothing to post');

  // Every check before any entry: dates, document numbers, accounts, and balance per document.
  const transactions = new Map<string, { postingDate: unknown; description: string; amounts: Array<[string, number]>; partners: Array<[{ set: 'customers' | 'vendors'; id: string; sign: 1 | -1 }, number]> }>();
  for (const { data } of posting) {
    if (!present(data.postingDate)) throw bcErrors.dialog(`Posting Date must have a value in Gen. Journal Line: Line No.=${String(data.lineNumber)}`);
    if (!present(data.documentNumber)) throw bcErrors.dialog(`Document No. must have a value in Gen. Journal Line: Line No.=${String(data.lineNumber)}`);
    const amount = Number(data.amount);
    const account = resolveAccount(ctx, data.accountType, data.accountId, data.accountNumber);
    const key = `${String(data.postingDate)}|${String(data.documentNumber)}`;
    const transaction = transactions.get(key) ?? { postingDate: data.postingDate, description: String(data.description ?? ''), amounts: [], partners: [] };
    transaction.amounts.push([account.glAccount, amount]);
    if (account.partner) transaction.partners.push([account.partner, amount]);
    // The line's own balancing account, else the journal's (a G/L account, as the journal batch sets it).
    const balancing =
      present(data.balancingAccountId) || present(data.balancingAccountNumber)
        ? resolveAccount(ctx, data.balanceAccountType, data.balancingAccountId, data.balancingAccountNumber)
        : present(journal.data.balancingAccountId) || present(journal.data.balancingAccountNumber)
          ? resolveAccount(ctx, 'G/L Account', journal.data.balancingAccountId, journal.data.balancingAccountNumber)
          : undefined;
    if (balancing) {
      transaction.amounts.push([balancing.glAccount, -amount]);
      if (balancing.partner) transaction.partners.push([balancing.partner, -amount]);
    }
    transactions.set(key, transaction);
  }
  for (const [key, transaction] of transactions) {
    const balance = round2(transaction.amounts.reduce((sum, [, amount]) => sum + amount, 0));
    if (balance !== 0) {
      throw bcErrors.dialog(`Document No. ${key.split('|')[1]} is out of balance by ${balance}. Please check that Posting Date, Document Type, Document No. and Amount are correct for each line`);
    }
  }

  for (const [key, transaction] of transactions) {
    postGlTransaction(ctx, { postingDate: transaction.postingDate, documentNumber: key.split('|')[1]!, documentType: ' ', description: transaction.description, amounts: transaction.amounts });
    for (const [partner, amount] of transaction.partners) adjustPartnerBalance(ctx, partner.set, partner.id, partner.sign * amount);
  }
  for (const line of lines) ctx.store.remove(ctx.companyId, 'journalLines', String(line.data.id));
}
