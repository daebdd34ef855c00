// bc_post_document through the real MCP SDK client against the BC sandbox: the tool looks before it posts, posts
// through the API v2.0 bound action, and answers with the posted document; a document already posted, an unknown
// one, a set this server may not write and a BC refusal change nothing.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { recordedClient } from '../../../support/bc-client.js';
import { connectInMemory, errorOf, structured } from '../../../support/mcp.js';
import { SandboxClient } from '../../../support/sandbox-client.js';

let sandbox: BcSandbox;
let api: SandboxClient;

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  api = await SandboxClient.connect(sandbox);
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(() => sandbox.reset());

const connect = (writable: string[]): Promise<Client> =>
  connectInMemory({ bc: recordedClient(sandbox).client, writableEntitySets: new Set(writable) }, 'posting-test');

const rows = async (path: string) => (await api.get(api.company(path))).body.value as Record<string, any>[];
const count = async (set: string) => (await rows(`${set}?$select=id`)).length;

describe('bc_post_document', () => {
  it('posts a draft sales invoice once: posted number and status, G/L and item ledger entries, the customer owes the total', async () => {
    const client = await connect(['salesInvoices']);
    const [draft] = await rows(`salesInvoices?$filter=${encodeURIComponent("status eq 'Draft'")}`);
    const [customerBefore] = await rows(`customers?$filter=${encodeURIComponent(`number eq '${draft!.customerNumber}'`)}`);
    const [glBefore, itemBefore] = [await count('generalLedgerEntries'), await count('itemLedgerEntries')];

    const result = structured<any>(await client.callTool({ name: 'bc_post_document', arguments: { entity: 'salesInvoices', action: 'post', id: draft!.id } }));
    expect(result.documentNumber).toBe(draft!.number);
    expect(result.summary).toBe(
      `Post sales invoice ${draft!.number} for customer ${draft!.customerNumber} "${draft!.customerName}" (${draft!.totalAmountIncludingTax.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${draft!.currencyCode || 'LCY'}): writes customer ledger and G/L entries and takes the items out of inventory; the draft becomes a posted invoice with a new number.`,
    );
    const posted = (await api.get(api.company(`salesInvoices(${draft!.id})`))).body;
    expect(posted.status).toBe('Open');
    expect(posted.number).not.toBe(draft!.number);
    expect(result.posted).toMatchObject({ id: draft!.id, number: posted.number, status: 'Open' });
    expect(await count('generalLedgerEntries')).toBeGreaterThan(glBefore);
    expect(await count('itemLedgerEntries')).toBeGreaterThan(itemBefore);
    const [customerAfter] = await rows(`customers?$filter=${encodeURIComponent(`number eq '${draft!.customerNumber}'`)}`);
    expect(customerAfter!.balanceDue).toBeCloseTo(customerBefore!.balanceDue + draft!.totalAmountIncludingTax, 2);

    // A repeat (e.g. after a lost answer) finds it posted and posts nothing.
    const snapshot = sandbox.snapshot();
    const again = await client.callTool({ name: 'bc_post_document', arguments: { entity: 'salesInvoices', action: 'post', id: draft!.id } });
    expect(again.isError).toBe(true);
    expect(errorOf(again)).toMatchObject({ code: 'AlreadyPosted', status: 409 });
    expect(errorOf(again).text).toContain(`sales invoice ${posted.number} is already posted (status Open); nothing was posted`);
    expect(sandbox.snapshot()).toBe(snapshot);
  });

  it('receives and invoices a purchase order: a posted receipt and invoice, stock in, the order deleted', async () => {
    const client = await connect(['purchaseOrders']);
    const [order] = await rows('purchaseOrders?$top=1');
    const lines = (await api.get(api.company(`purchaseOrders(${order!.id})/purchaseOrderLines`))).body.value as Record<string, any>[];
    expect(lines.length).toBeGreaterThan(0);
    const [vendorBefore] = await rows(`vendors?$filter=${encodeURIComponent(`number eq '${order!.vendorNumber}'`)}`);

    const result = structured<any>(await client.callTool({ name: 'bc_post_document', arguments: { entity: 'purchaseOrders', action: 'receiveAndInvoice', id: order!.id } }));
    expect(result.summary).toMatch(new RegExp(`^Receive and invoice purchase order ${order!.number} for vendor ${order!.vendorNumber} `));
    expect((await api.get(api.company(`purchaseOrders(${order!.id})`))).status).toBe(404);
    const [invoice] = await rows(`purchaseInvoices?$filter=${encodeURIComponent(`orderNumber eq '${order!.number}'`)}`);
    expect(invoice).toMatchObject({ status: 'Open', vendorNumber: order!.vendorNumber });
    expect(result.posted).toMatchObject({ id: invoice!.id, number: invoice!.number, status: 'Open' });
    expect(await rows(`purchaseReceipts?$filter=${encodeURIComponent(`orderNumber eq '${order!.number}'`)}`)).toHaveLength(1);
    const [vendorAfter] = await rows(`vendors?$filter=${encodeURIComponent(`number eq '${order!.vendorNumber}'`)}`);
    expect(vendorAfter!.balance).toBeCloseTo(vendorBefore!.balance + invoice!.totalAmountIncludingTax, 2);

    // The order is gone: a second call says so, and posts nothing.
    const again = await client.callTool({ name: 'bc_post_document', arguments: { entity: 'purchaseOrders', action: 'receiveAndInvoice', id: order!.id } });
    expect(errorOf(again)).toMatchObject({ code: 'NotFound', status: 404 });
    expect(errorOf(again).text).toContain('it may have been posted already');
  });

  it('refuses, changing nothing: an unknown document, a pair BC does not have, a set not writable here, a BC refusal', async () => {
    const client = await connect(['salesInvoices', 'purchaseInvoices']);
    const snapshot = sandbox.snapshot();
    const unknown = await client.callTool({ name: 'bc_post_document', arguments: { entity: 'salesInvoices', action: 'post', id: '00000000-0000-4000-8000-00000000abcd' } });
    expect(errorOf(unknown)).toMatchObject({ code: 'NotFound', status: 404 });
    const wrongPair = await client.callTool({ name: 'bc_post_document', arguments: { entity: 'salesInvoices', action: 'receiveAndInvoice', id: '00000000-0000-4000-8000-00000000abcd' } });
    expect(errorOf(wrongPair).code).toBe('BadRequest_MethodNotImplemented');
    const [order] = await rows('salesOrders?$top=1');
    const notWritable = await client.callTool({ name: 'bc_post_document', arguments: { entity: 'salesOrders', action: 'shipAndInvoice', id: order!.id } });
    expect(errorOf(notWritable)).toMatchObject({ code: 'BadRequest_MethodNotAllowed', status: 405 });
    // The document differs from what the caller expected (e.g. what the approver saw).
    const [draft] = await rows(`salesInvoices?$filter=${encodeURIComponent("status eq 'Draft'")}`);
    const changed = await client.callTool({
      name: 'bc_post_document',
      arguments: { entity: 'salesInvoices', action: 'post', id: draft!.id, expected: { number: draft!.number, totalAmountIncludingTax: draft!.totalAmountIncludingTax + 1 } },
    });
    expect(errorOf(changed)).toMatchObject({ code: 'DocumentChanged', status: 409 });
    expect(sandbox.snapshot()).toBe(snapshot);
    // A draft purchase invoice without lines: BC's own refusal, passed on.
    const created = (await api.post(api.company('purchaseInvoices'), { vendorNumber: (await rows('vendors?$top=1'))[0]!.number })).body;
    const before = sandbox.snapshot();
    const empty = await client.callTool({ name: 'bc_post_document', arguments: { entity: 'purchaseInvoices', action: 'post', id: created.id } });
    expect(errorOf(empty)).toMatchObject({ code: 'Application_DialogException', status: 400 });
    expect(errorOf(empty).text).toContain('There is nothing to post');
    expect(sandbox.snapshot()).toBe(before);
  });
});
