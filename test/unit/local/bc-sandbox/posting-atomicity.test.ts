// A posting that fails half-way (here: the receivables G/L account is gone, so the G/L transaction fails after
// the item ledger entries were written) leaves the store exactly as it was: the bound action runs in a snapshot.
import { describe, expect, it } from 'vitest';
import { Store } from '../../../../local/bc-sandbox/store.js';
import { buildSeed } from '../../../../local/bc-sandbox/seed.js';
import { runBoundAction } from '../../../../local/bc-sandbox/bound-actions.js';
import { BcError } from '../../../../local/bc-sandbox/errors.js';
import type { WriteContext } from '../../../../local/bc-sandbox/entity-rules.js';

function draftSalesInvoice(ctx: WriteContext) {
  const draft = ctx.store.list(ctx.companyId, 'salesInvoices').find((row) => row.data.status === 'Draft');
  if (!draft) throw new Error('the seed has no draft sales invoice');
  return draft;
}

describe('bound action atomicity', () => {
  it('restores everything when posting fails after it started writing', () => {
    const store = new Store(buildSeed);
    const companyId = String(store.companies()[0]!.data.id);
    const ctx: WriteContext = { store, companyId, now: () => '2026-02-01T10:00:00Z' };
    const receivables = store.find(companyId, 'accounts', (a) => a.number === '13100')!;
    store.remove(companyId, 'accounts', String(receivables.data.id));
    const invoice = draftSalesInvoice(ctx);
    const before = store.snapshot();

    let error: unknown;
    try {
      runBoundAction(ctx, 'salesInvoices', 'Microsoft.NAV.post', invoice);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BcError);
    expect((error as BcError).message).toContain("The G/L Account does not exist. Identification fields and values: No.='13100'");
    expect(store.snapshot()).toBe(before);
  });

  it('the same posting succeeds on an intact chart of accounts and writes item entries before G/L entries', () => {
    const store = new Store(buildSeed);
    const companyId = String(store.companies()[0]!.data.id);
    const ctx: WriteContext = { store, companyId, now: () => '2026-02-01T10:00:00Z' };
    const invoice = draftSalesInvoice(ctx);
    const itemEntries = store.list(companyId, 'itemLedgerEntries').length;
    runBoundAction(ctx, 'salesInvoices', 'Microsoft.NAV.post', invoice);
    const posted = store.get(companyId, 'salesInvoices', String(invoice.data.id))!;
    expect(posted.data.status).toBe('Open');
    // The failing case above therefore had item ledger entries to roll back.
    expect(store.list(companyId, 'itemLedgerEntries').length).toBeGreaterThan(itemEntries);
    expect(store.list(companyId, 'generalLedgerEntries').some((e) => e.data.documentNumber === posted.data.number)).toBe(true);
  });
});
