// Posting on the local cloud, as a user does it (issue 10 item 4): `post sales invoice <number>` and `receive and
// invoice purchase order <number>` wait for an approval whose summary says exactly what will be posted; a grant
// posts through BC's bound action (the document posted under a new number, G/L and item ledger entries written,
// the partner's balance moved by the total), a denial changes nothing, and a document already posted is refused
// before anyone is asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chat, sandboxGet, startAgentCloud } from '../support/chat.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';
import { call } from '../support/security.js';

let cloud: TestCloud;
let alice: Chat;
let carol: string;

beforeAll(async () => {
  cloud = await startAgentCloud({ env: { BC_WRITABLE_ENTITY_SETS: 'customers,vendors,items,salesInvoices,purchaseInvoices,purchaseOrders,salesOrders' } });
  alice = await Chat.open(cloud, 'local', 'alice');
  carol = await cloud.token({ sub: 'carol', tenant: 'local', roles: ['approver'] });
});
afterAll(async () => {
  await cloud?.stop();
});

interface ListedApproval {
  approvalId: string;
  planId: string;
  summary: string;
  operation: { tool: string; arguments: Record<string, unknown> };
}

function approvalOf(planId: string): Promise<ListedApproval> {
  return eventually(`the approval of plan ${planId}`, async () => {
    const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: carol });
    return (listed.body.approvals as ListedApproval[]).find((a) => a.planId === planId);
  });
}
const decide = (approvalId: string, decision: 'grant' | 'deny') =>
  call(cloud, 'POST', `/v1/approvals/${approvalId}`, { token: carol, body: JSON.stringify({ decision }) });

const q = (text: string) => encodeURIComponent(text);
const rows = async (path: string) => (await sandboxGet(cloud, path)).value as Record<string, any>[];
const money = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const sum = (entries: Record<string, any>[], field: string) => Math.round(entries.reduce((s, e) => s + (e[field] as number), 0) * 100) / 100;

async function waitingPost(command: string) {
  const plan = await alice.ask(command, ['awaiting_approval', 'failed', 'succeeded'], 45_000);
  expect(plan.status, JSON.stringify(plan)).toBe('awaiting_approval');
  expect(plan.tasks.map((t) => [t.tool, t.status])).toEqual([['bc_query_entity', 'succeeded'], ['bc_post_document', 'awaiting_approval']]);
  return { plan, approval: await approvalOf(plan.planId) };
}

describe('posting through approval', () => {
  it('a denied post changes nothing', async () => {
    const [draft] = await rows(`salesInvoices?$filter=${q("status eq 'Draft'")}`);
    const before = cloud.sandbox.snapshot();
    const { plan, approval } = await waitingPost(`post sales invoice ${draft!.number}`);
    expect(approval.summary).toBe(
      `Post sales invoice ${draft!.number} for customer ${draft!.customerNumber} "${draft!.customerName}" (${money(draft!.totalAmountIncludingTax)} ${draft!.currencyCode || 'LCY'}): ` +
        'writes customer ledger and G/L entries and takes the items out of inventory; the draft becomes a posted invoice with a new number.',
    );
    // The approval binds to the document as read: its number and amount travel with the operation.
    expect(approval.operation).toEqual({
      tool: 'bc_post_document',
      arguments: { entity: 'salesInvoices', action: 'post', id: draft!.id, expected: { number: draft!.number, totalAmountIncludingTax: draft!.totalAmountIncludingTax } },
    });
    expect((await decide(approval.approvalId, 'deny')).status).toBe(200);
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status).toBe('failed');
    expect(done.tasks[1]!.error?.code).toBe('ApprovalDenied');
    expect(cloud.sandbox.snapshot()).toBe(before);
  });

  it('a draft changed after the approval was asked for is not posted by that approval', async () => {
    const [draft] = await rows(`salesInvoices?$filter=${q("status eq 'Draft'")}`);
    const { plan, approval } = await waitingPost(`post sales invoice ${draft!.number}`);
    // Someone adds to the invoice while it waits: the approver saw another amount.
    const [line] = (await sandboxGet(cloud, `salesInvoices(${draft!.id})/salesInvoiceLines`)).value as Record<string, any>[];
    const token = await cloud.sandbox.getToken();
    const company = cloud.sandbox.companyIds()[0];
    const patched = await fetch(`${cloud.sandbox.apiUrl}/companies(${company})/salesInvoices(${draft!.id})/salesInvoiceLines(${line!.id})`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': '*' },
      body: JSON.stringify({ quantity: line!.quantity + 1 }),
    });
    expect(patched.status, await patched.text()).toBe(200);
    const before = cloud.sandbox.snapshot();
    expect((await decide(approval.approvalId, 'grant')).status).toBe(200);
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status).toBe('failed');
    // What runs is what was approved: the document as the approver saw it, which the MCP server finds changed.
    expect(done.tasks[1]!.error?.message).toMatch(new RegExp(`is now [\\d.]+, not ${draft!.number} at [\\d.]+ as expected; nothing was posted`));
    expect(cloud.sandbox.snapshot()).toBe(before);
    expect((await sandboxGet(cloud, `salesInvoices(${draft!.id})`)).status).toBe('Draft');
  });

  it('post sales invoice <number>: the draft is posted as BC posts it', async () => {
    const [draft] = await rows(`salesInvoices?$filter=${q("status eq 'Draft'")}`);
    const [customer] = await rows(`customers?$filter=${q(`number eq '${draft!.customerNumber}'`)}`);
    const glBefore = (await rows('generalLedgerEntries?$select=id')).length;
    const { plan, approval } = await waitingPost(`post sales invoice ${draft!.number}`);
    expect((await decide(approval.approvalId, 'grant')).status).toBe(200);
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');

    const posted = await sandboxGet(cloud, `salesInvoices(${draft!.id})`);
    expect(posted).toMatchObject({ status: 'Open', remainingAmount: draft!.totalAmountIncludingTax });
    expect(posted.number).not.toBe(draft!.number);
    expect(done.tasks[1]!.result).toMatchObject({ documentNumber: draft!.number, posted: { id: draft!.id, number: posted.number, status: 'Open' } });
    // One balanced G/L transaction under the posted number: receivables debited with the total.
    const gl = await rows(`generalLedgerEntries?$filter=${q(`documentNumber eq '${posted.number}'`)}`);
    expect((await rows('generalLedgerEntries?$select=id')).length).toBe(glBefore + gl.length);
    expect(sum(gl, 'debitAmount')).toBe(sum(gl, 'creditAmount'));
    expect(gl.find((e) => e.accountNumber === '13100')?.debitAmount).toBe(draft!.totalAmountIncludingTax);
    expect((await rows(`itemLedgerEntries?$filter=${q(`documentNumber eq '${posted.number}'`)}`)).length).toBeGreaterThan(0);
    const [after] = await rows(`customers?$filter=${q(`number eq '${draft!.customerNumber}'`)}`);
    expect(after!.balanceDue).toBeCloseTo(customer!.balanceDue + draft!.totalAmountIncludingTax, 2);

    // Asking again: refused before any approval, nothing posted.
    const snapshot = cloud.sandbox.snapshot();
    const again = await alice.ask(`post sales invoice ${posted.number}`, ['failed', 'succeeded', 'awaiting_approval'], 45_000);
    expect(again.status).toBe('failed');
    expect(again.tasks[1]!.error).toMatchObject({ code: 'AlreadyPosted' });
    expect(again.tasks[1]!.error!.message).toContain(`Sales invoice ${posted.number} is already posted (status Open)`);
    expect(cloud.sandbox.snapshot()).toBe(snapshot);
  });

  it('receive and invoice purchase order <number>: a posted receipt and invoice, stock in, the order gone', async () => {
    const [order] = await rows('purchaseOrders?$top=1');
    const [vendor] = await rows(`vendors?$filter=${q(`number eq '${order!.vendorNumber}'`)}`);
    const { plan, approval } = await waitingPost(`receive and invoice purchase order ${order!.number}`);
    expect(approval.summary).toMatch(new RegExp(`^Receive and invoice purchase order ${order!.number} for vendor ${order!.vendorNumber} .*: posts a receipt \\(items into inventory\\) and a purchase invoice`));
    expect((await decide(approval.approvalId, 'grant')).status).toBe(200);
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');

    expect(await rows(`purchaseOrders?$filter=${q(`number eq '${order!.number}'`)}`)).toHaveLength(0);
    const [invoice] = await rows(`purchaseInvoices?$filter=${q(`orderNumber eq '${order!.number}'`)}`);
    expect(invoice).toMatchObject({ status: 'Open', vendorNumber: order!.vendorNumber, totalAmountIncludingTax: order!.totalAmountIncludingTax });
    expect(done.tasks[1]!.result.posted).toMatchObject({ id: invoice!.id, number: invoice!.number });
    const [receipt] = await rows(`purchaseReceipts?$filter=${q(`orderNumber eq '${order!.number}'`)}`);
    const received = await rows(`itemLedgerEntries?$filter=${q(`documentNumber eq '${receipt!.number}'`)}`);
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((e) => e.quantity > 0)).toBe(true);
    const payables = await rows(`generalLedgerEntries?$filter=${q(`documentNumber eq '${invoice!.number}' and accountNumber eq '20100'`)}`);
    expect(sum(payables, 'creditAmount')).toBe(invoice!.totalAmountIncludingTax);
    const [after] = await rows(`vendors?$filter=${q(`number eq '${order!.vendorNumber}'`)}`);
    expect(after!.balance).toBeCloseTo(vendor!.balance + invoice!.totalAmountIncludingTax, 2);
  });
});
