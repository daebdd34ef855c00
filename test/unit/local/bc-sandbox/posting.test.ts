// Posting and the other API v2.0 bound actions as BC runs them: each action's effects on documents, item ledger
// entries, inventory, G/L entries and partner balances; posted invoices refusing changes; and every refusal
// (already posted, no lines, no quantity, unknown id, short stock, injected fault, not emulated) leaving the
// whole data set byte-for-byte unchanged.
import { describe, expect, it } from 'vitest';
import { OData } from '@odata/client';
import type { BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { SandboxClient, filter, withSandboxClient } from '../../../support/sandbox-client.js';

let sandbox: BcSandbox;
let client: SandboxClient;
const path = (set: string) => client.company(set);
withSandboxClient((fixture) => ({ sandbox, client } = fixture), { resetEach: true });

const round2 = (n: number) => Math.round(n * 100) / 100;
const act = (set: string, id: string, action: string) => client.post(path(`${set}(${id})/Microsoft.NAV.${action}`), undefined);
const one = async (set: string, id: string) => (await client.get(path(`${set}(${id})`))).body;

async function stockedItems(count: number, skip = 0): Promise<any[]> {
  return client.list(path('items') + filter("blocked eq false and type eq 'Inventory' and inventory gt 20", `&$skip=${skip}&$top=${count}`));
}

/** A draft document with item lines, made through the API as a client would. */
type DraftSet = 'salesInvoices' | 'purchaseInvoices' | 'salesQuotes' | 'salesOrders' | 'salesCreditMemos';
async function draft(set: DraftSet, partner: Record<string, string>, lines: Array<[any, number]>): Promise<any> {
  const lineSet = {
    salesInvoices: 'salesInvoiceLines', purchaseInvoices: 'purchaseInvoiceLines', salesQuotes: 'salesQuoteLines', salesOrders: 'salesOrderLines', salesCreditMemos: 'salesCreditMemoLines',
  }[set];
  const created = await client.post(path(set), partner);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  for (const [item, quantity] of lines) {
    const line = await client.post(path(`${set}(${created.body.id})/${lineSet}`), { itemId: item.id, quantity });
    expect(line.status, JSON.stringify(line.body)).toBe(201);
  }
  return one(set, created.body.id);
}

async function glEntries(documentNumber: string): Promise<any[]> {
  return client.list(path('generalLedgerEntries') + filter(`documentNumber eq '${documentNumber}'`));
}

/** Net amount (debit - credit) per account number. */
function byAccount(entries: any[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.accountNumber] = round2((out[e.accountNumber] ?? 0) + e.debitAmount - e.creditAmount);
  return out;
}

/** Performs a request that must be refused with `status` and a message matching `message`, changing nothing. */
async function refused(request: () => Promise<{ status: number; body: any }>, status: number, message: RegExp | string): Promise<any> {
  const before = sandbox.snapshot();
  const response = await request();
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.message).toMatch(message);
  expect(sandbox.snapshot()).toBe(before);
  return response.body.error;
}

describe('salesInvoices/Microsoft.NAV.post', () => {
  it('posts a draft: Open under a posted number, stock out, receivable, sales and tax in the G/L, customer owes the total', async () => {
    const [a, b] = await stockedItems(2);
    const invoice = await draft('salesInvoices', { customerNumber: '10000' }, [[a, 3], [b, 2]]);
    expect(invoice).toMatchObject({ status: 'Draft', number: expect.stringMatching(/^S-INV\d+$/) });
    expect(invoice.totalAmountIncludingTax).toBeGreaterThan(0);
    expect(invoice.remainingAmount).toBe(invoice.totalAmountIncludingTax);
    const customer = (await client.list(path('customers') + filter("number eq '10000'")))[0];

    const response = await act('salesInvoices', invoice.id, 'post');
    expect(response.status).toBe(204);
    expect(response.body).toBe('');

    const posted = await one('salesInvoices', invoice.id);
    expect(posted).toMatchObject({ id: invoice.id, status: 'Open', remainingAmount: invoice.totalAmountIncludingTax, totalAmountIncludingTax: invoice.totalAmountIncludingTax });
    expect(posted.number).toMatch(/^PS-INV\d+$/);
    expect((await one('items', a.id)).inventory).toBe(a.inventory - 3);
    expect((await one('items', b.id)).inventory).toBe(b.inventory - 2);

    const entries = await client.list(path('itemLedgerEntries') + filter(`documentNumber eq '${posted.number}'`));
    expect(entries.map((e) => [e.itemNumber, e.quantity, e.entryType, e.documentType, e.sourceNumber]).sort()).toEqual(
      [[a.number, -3, 'Sale', 'Sales Invoice', '10000'], [b.number, -2, 'Sale', 'Sales Invoice', '10000']].sort(),
    );
    const gl = await glEntries(posted.number);
    const accounts = byAccount(gl);
    expect(accounts['13100']).toBe(invoice.totalAmountIncludingTax);
    expect(accounts['40200']).toBe(-invoice.totalAmountExcludingTax);
    expect(accounts['22100'] ?? 0).toBe(-invoice.totalTaxAmount);
    const cost = round2(3 * a.unitCost + 2 * b.unitCost);
    expect(accounts['50100']).toBe(cost);
    expect(accounts['14100']).toBe(-cost);
    expect(round2(gl.reduce((sum, e) => sum + e.debitAmount - e.creditAmount, 0))).toBe(0);
    expect(gl.every((e) => e.documentType === 'Invoice' && e.postingDate === invoice.postingDate)).toBe(true);
    expect((await one('customers', customer.id)).balanceDue).toBe(round2(customer.balanceDue + invoice.totalAmountIncludingTax));
  });

  it('makes the posted invoice read-only: header and lines refuse PATCH, DELETE and new lines, changing nothing', async () => {
    const [item] = await stockedItems(1);
    const invoice = await draft('salesInvoices', { customerNumber: '20000' }, [[item, 1]]);
    await act('salesInvoices', invoice.id, 'post');
    const posted = (await client.get(path(`salesInvoices(${invoice.id})`))).body;
    const [line] = await client.list(path(`salesInvoices(${invoice.id})/salesInvoiceLines`));
    const message = /The invoice has been posted and can no longer be modified/;
    await refused(() => client.patch(path(`salesInvoices(${invoice.id})`), { externalDocumentNumber: 'X' }, posted['@odata.etag']), 400, message);
    await refused(() => client.delete(path(`salesInvoices(${invoice.id})`), posted['@odata.etag']), 400, message);
    await refused(() => client.post(path(`salesInvoices(${invoice.id})/salesInvoiceLines`), { itemId: item.id, quantity: 1 }), 400, message);
    await refused(() => client.patch(path(`salesInvoiceLines(${line.id})`), { quantity: 5 }, line['@odata.etag']), 400, message);
    await refused(() => client.delete(path(`salesInvoiceLines(${line.id})`), line['@odata.etag']), 400, message);
  });

  it('refuses to set an invoice\'s status or remaining amount by hand (only posting sets them)', async () => {
    const [draftInvoice] = await client.list(path('salesInvoices') + filter("status eq 'Draft'"));
    const error = await refused(() => client.patch(path(`salesInvoices(${draftInvoice.id})`), { status: 'Open' }, '*'), 400, /Control 'status' is read-only/);
    expect(error.code).toBe('BadRequest_InvalidOperation');
    await refused(() => client.post(path('purchaseInvoices'), { vendorNumber: '10000', status: 'Open' }), 400, /Control 'status' is read-only/);
    await refused(() => client.patch(path(`salesInvoices(${draftInvoice.id})`), { remainingAmount: 0 }, '*'), 400, /Control 'remainingAmount' is read-only/);
  });

  it('refuses an already posted invoice, one without lines, one with a line without quantity, and an unknown id, changing nothing', async () => {
    const [open] = await client.list(path('salesInvoices') + filter("status eq 'Open'"));
    const error = await refused(() => act('salesInvoices', open.id, 'post'), 400, /The action can be applied to a draft invoice only/);
    expect(error.code).toBe('Application_DialogException');

    const empty = (await client.post(path('salesInvoices'), { customerNumber: '10000' })).body;
    await refused(() => act('salesInvoices', empty.id, 'post'), 400, /Please add at least one line item to the invoice/);

    const [item] = await stockedItems(1);
    const noQuantity = await draft('salesInvoices', { customerNumber: '10000' }, [[item, 0]]);
    await refused(() => act('salesInvoices', noQuantity.id, 'post'), 400, /do not have a quantity specified/);

    const unknown = await refused(() => act('salesInvoices', '0f000000-0000-4000-8000-000000000001', 'post'), 404, /does not exist/);
    expect(unknown.code).toBe('Internal_RecordNotFound');
  });

  it('keeps an item a draft invoice uses from being deleted', async () => {
    const item = (await client.post(path('items'), { displayName: 'Only on an invoice', unitPrice: 10 })).body;
    const invoice = await draft('salesInvoices', { customerNumber: '10000' }, [[item, 1]]);
    await refused(() => client.delete(path(`items(${item.id})`), '*'), 400, /outstanding Sales Invoice that includes this item/);
    expect((await client.delete(path(`salesInvoices(${invoice.id})`), '*')).status).toBe(204);
    expect((await client.delete(path(`items(${item.id})`), '*')).status).toBe(204);
  });

  it('keeps a customer with a draft invoice from being deleted', async () => {
    const customer = (await client.post(path('customers'), { displayName: 'Only invoiced' })).body;
    const invoice = (await client.post(path('salesInvoices'), { customerId: customer.id })).body;
    await refused(() => client.delete(path(`customers(${customer.id})`), '*'), 400, /outstanding Sales Invoice for this customer/);
    expect((await client.delete(path(`salesInvoices(${invoice.id})`), '*')).status).toBe(204);
    expect((await client.delete(path(`customers(${customer.id})`), '*')).status).toBe(204);
  });

  it('refuses to sell more than is on hand without posting any line', async () => {
    const [plenty, scarce] = await stockedItems(2);
    const invoice = await draft('salesInvoices', { customerNumber: '10000' }, [[plenty, 1], [scarce, scarce.inventory + 1]]);
    await refused(() => act('salesInvoices', invoice.id, 'post'), 400, new RegExp(`insufficient quantity of Item ${scarce.number}`));
  });

  it('changes nothing when a fault is injected on the action, and posts once the fault is gone', async () => {
    const [item] = await stockedItems(1);
    const invoice = await draft('salesInvoices', { customerNumber: '10000' }, [[item, 1]]);
    sandbox.addFault({ entitySet: 'salesInvoices', method: 'POST', status: 503, count: 1 });
    const faulted = await refused(() => act('salesInvoices', invoice.id, 'post'), 503, /Injected fault/);
    expect(faulted.code).toBe('Internal_ServiceUnavailable');
    expect((await act('salesInvoices', invoice.id, 'post')).status).toBe(204);
    expect((await one('salesInvoices', invoice.id)).status).toBe('Open');
  });

  it('refuses GET on an action, actions a set does not declare, and declared actions the sandbox does not emulate', async () => {
    const [draftInvoice] = await client.list(path('salesInvoices') + filter("status eq 'Draft'"));
    expect((await client.get(path(`salesInvoices(${draftInvoice.id})/Microsoft.NAV.post`))).status).toBe(405);
    await refused(() => act('salesInvoices', draftInvoice.id, 'shipAndInvoice'), 404, /Resource not found/);
    const notEmulated = await refused(() => act('salesInvoices', draftInvoice.id, 'send'), 400, /does not emulate Microsoft\.NAV\.send/);
    expect(notEmulated.code).toBe('BadRequest_MethodNotImplemented');
  });
});

describe('salesInvoices/Microsoft.NAV.cancel and makeCorrectiveCreditMemo', () => {
  it('cancels a posted invoice with a posted corrective credit memo that reverses stock, G/L and the balance', async () => {
    const [item] = await stockedItems(1);
    const customer = (await client.list(path('customers') + filter("number eq '30000'")))[0];
    const invoice = await draft('salesInvoices', { customerNumber: '30000' }, [[item, 4]]);
    await refused(() => act('salesInvoices', invoice.id, 'cancel'), 400, /The action can be applied to a posted invoice only/);
    await act('salesInvoices', invoice.id, 'post');
    const posted = await one('salesInvoices', invoice.id);

    expect((await act('salesInvoices', invoice.id, 'cancel')).status).toBe(204);
    const canceled = await one('salesInvoices', invoice.id);
    expect(canceled).toMatchObject({ status: 'Canceled', remainingAmount: 0, number: posted.number });
    const [memo] = await client.list(path('salesCreditMemos') + filter(`invoiceNumber eq '${posted.number}'`));
    expect(memo).toMatchObject({ status: 'Corrective', invoiceId: invoice.id, customerNumber: '30000', totalAmountIncludingTax: posted.totalAmountIncludingTax });
    expect(memo.number).toMatch(/^PS-CR\d+$/);
    expect(await client.list(path(`salesCreditMemos(${memo.id})/salesCreditMemoLines`))).toHaveLength(1);
    expect((await one('items', item.id)).inventory).toBe(item.inventory);
    expect((await one('customers', customer.id)).balanceDue).toBe(customer.balanceDue);
    const reversal = byAccount(await glEntries(memo.number));
    const original = byAccount(await glEntries(posted.number));
    for (const account of Object.keys(original)) expect(reversal[account], account).toBe(-original[account]!);
    const [back] = await client.list(path('itemLedgerEntries') + filter(`documentNumber eq '${memo.number}'`));
    expect(back).toMatchObject({ quantity: 4, entryType: 'Sale', documentType: 'Sales Credit Memo' });

    await refused(() => act('salesInvoices', invoice.id, 'cancel'), 400, /already been canceled/);
  });

  it('makes a draft corrective credit memo from a posted invoice without touching the ledgers', async () => {
    const [open] = await client.list(path('salesInvoices') + filter("status eq 'Open'"));
    const glBefore = (await client.list(path('generalLedgerEntries'))).length;
    expect((await act('salesInvoices', open.id, 'makeCorrectiveCreditMemo')).status).toBe(204);
    const [memo] = await client.list(path('salesCreditMemos') + filter(`invoiceId eq ${open.id}`));
    expect(memo).toMatchObject({ status: 'Draft', invoiceNumber: open.number, totalAmountIncludingTax: open.totalAmountIncludingTax });
    const invoiceLines = await client.list(path(`salesInvoices(${open.id})/salesInvoiceLines`));
    expect(await client.list(path(`salesCreditMemos(${memo.id})/salesCreditMemoLines`))).toHaveLength(invoiceLines.length);
    expect((await client.list(path('generalLedgerEntries'))).length).toBe(glBefore);
    expect((await one('salesInvoices', open.id)).status).toBe('Open');
  });
});

describe('salesCreditMemos/Microsoft.NAV.post', () => {
  it('posts the corrective memo of an invoice: stock back, G/L reversed, the invoice and the memo are Paid', async () => {
    const [item] = await stockedItems(1, 2);
    const customer = (await client.list(path('customers') + filter("number eq '20000'")))[0];
    const invoice = await draft('salesInvoices', { customerNumber: '20000' }, [[item, 3]]);
    await act('salesInvoices', invoice.id, 'post');
    const posted = await one('salesInvoices', invoice.id);
    await act('salesInvoices', invoice.id, 'makeCorrectiveCreditMemo');
    const [memo] = await client.list(path('salesCreditMemos') + filter(`invoiceId eq ${invoice.id}`));
    expect(memo.number).toMatch(/^S-CR\d+$/);

    expect((await act('salesCreditMemos', memo.id, 'post')).status).toBe(204);
    const postedMemo = await one('salesCreditMemos', memo.id);
    expect(postedMemo).toMatchObject({ status: 'Paid', number: expect.stringMatching(/^PS-CR\d+$/) });
    expect(await one('salesInvoices', invoice.id)).toMatchObject({ status: 'Paid', remainingAmount: 0 });
    expect((await one('items', item.id)).inventory).toBe(item.inventory);
    expect((await one('customers', customer.id)).balanceDue).toBe(customer.balanceDue);
    const reversal = byAccount(await glEntries(postedMemo.number));
    const original = byAccount(await glEntries(posted.number));
    for (const account of Object.keys(original)) expect(reversal[account], account).toBe(-original[account]!);
    expect(reversal['13100']).toBe(-posted.totalAmountIncludingTax);

    await refused(() => act('salesCreditMemos', memo.id, 'post'), 400, /The action can be applied to a draft credit memo only/);
    await refused(() => client.patch(path(`salesCreditMemos(${memo.id})`), { externalDocumentNumber: 'X' }, '*'), 400, /The credit memo has been posted and can no longer be modified/);
    // A paid invoice can no longer be canceled.
    await refused(() => act('salesInvoices', invoice.id, 'cancel'), 400, /fully or partially paid/);
  });

  it('posts a stand-alone credit memo for a customer, and refuses one with nothing to post', async () => {
    const [item] = await stockedItems(1, 1);
    const customer = (await client.list(path('customers') + filter("number eq '40000'")))[0];
    const memo = await draft('salesCreditMemos', { customerNumber: '40000' }, [[item, 1]]);
    expect((await act('salesCreditMemos', memo.id, 'post')).status).toBe(204);
    expect((await one('salesCreditMemos', memo.id)).status).toBe('Open');
    expect((await one('items', item.id)).inventory).toBe(item.inventory + 1);
    expect((await one('customers', customer.id)).balanceDue).toBe(round2(customer.balanceDue - memo.totalAmountIncludingTax));
    const empty = (await client.post(path('salesCreditMemos'), { customerNumber: '40000' })).body;
    await refused(() => act('salesCreditMemos', empty.id, 'post'), 400, /There is nothing to post/);
  });
});

describe('salesOrders/Microsoft.NAV.shipAndInvoice', () => {
  it('creates the posted shipment and invoice, moves stock against the shipment and deletes the order', async () => {
    const [a, b] = await stockedItems(2, 3);
    const customer = (await client.list(path('customers') + filter("number eq '40000'")))[0];
    const order = await draft('salesOrders', { customerNumber: '40000' }, [[a, 2], [b, 1]]);
    expect((await act('salesOrders', order.id, 'shipAndInvoice')).status).toBe(204);

    const [shipment] = await client.list(path('salesShipments') + filter(`orderNumber eq '${order.number}'`));
    expect(shipment).toMatchObject({ customerNumber: '40000', number: expect.stringMatching(/^S-SHPT\d+$/) });
    expect((await client.list(path(`salesShipments(${shipment.id})/salesShipmentLines`))).map((l) => l.quantity).sort()).toEqual([1, 2]);
    const [invoice] = await client.list(path('salesInvoices') + filter(`orderNumber eq '${order.number}'`));
    expect(invoice).toMatchObject({ status: 'Open', orderId: order.id, totalAmountIncludingTax: order.totalAmountIncludingTax, remainingAmount: order.totalAmountIncludingTax });
    expect(invoice.number).toMatch(/^PS-INV\d+$/);
    expect(await client.list(path(`salesInvoices(${invoice.id})/salesInvoiceLines`))).toHaveLength(2);

    const entries = await client.list(path('itemLedgerEntries') + filter(`documentNumber eq '${shipment.number}'`));
    expect(entries.every((e) => e.documentType === 'Sales Shipment' && e.quantity < 0)).toBe(true);
    expect(entries).toHaveLength(2);
    expect((await one('items', a.id)).inventory).toBe(a.inventory - 2);
    expect(byAccount(await glEntries(invoice.number))['13100']).toBe(order.totalAmountIncludingTax);
    expect((await one('customers', customer.id)).balanceDue).toBe(round2(customer.balanceDue + order.totalAmountIncludingTax));
    expect((await client.get(path(`salesOrders(${order.id})`))).status).toBe(404);
    expect(await client.list(path('salesOrderLines') + filter(`documentId eq ${order.id}`))).toEqual([]);
  });

  it('refuses an order without lines', async () => {
    const order = (await client.post(path('salesOrders'), { customerNumber: '10000' })).body;
    await refused(() => act('salesOrders', order.id, 'shipAndInvoice'), 400, /Please add at least one line item/);
  });
});

describe('purchase posting', () => {
  it('posts a draft purchase invoice: stock in, inventory and tax against payables, the vendor is owed the total', async () => {
    const [draftInvoice] = await client.list(path('purchaseInvoices') + filter("status eq 'Draft'") + '&$expand=purchaseInvoiceLines');
    expect(draftInvoice.number).toMatch(/^P-INV\d+$/);
    const vendor = await one('vendors', draftInvoice.vendorId);
    const line = draftInvoice.purchaseInvoiceLines[0];
    const item = await one('items', line.itemId);
    const sameItem = draftInvoice.purchaseInvoiceLines.filter((l: any) => l.itemId === item.id).reduce((s: number, l: any) => s + l.quantity, 0);

    expect((await act('purchaseInvoices', draftInvoice.id, 'post')).status).toBe(204);
    const posted = await one('purchaseInvoices', draftInvoice.id);
    expect(posted).toMatchObject({ status: 'Open', number: expect.stringMatching(/^PP-INV\d+$/) });
    expect((await one('items', item.id)).inventory).toBe(item.inventory + sameItem);
    const entries = await client.list(path('itemLedgerEntries') + filter(`documentNumber eq '${posted.number}'`));
    expect(entries.every((e) => e.entryType === 'Purchase' && e.documentType === 'Purchase Invoice' && e.quantity > 0 && e.sourceNumber === vendor.number)).toBe(true);
    const accounts = byAccount(await glEntries(posted.number));
    expect(accounts['20100']).toBe(-draftInvoice.totalAmountIncludingTax);
    expect(round2((accounts['14100'] ?? 0) + (accounts['50100'] ?? 0))).toBe(draftInvoice.totalAmountExcludingTax);
    expect((await one('vendors', vendor.id)).balance).toBe(round2(vendor.balance + draftInvoice.totalAmountIncludingTax));

    await refused(() => act('purchaseInvoices', draftInvoice.id, 'post'), 400, /draft invoice only/);
    await refused(() => client.patch(path(`purchaseInvoices(${draftInvoice.id})`), { vendorInvoiceNumber: 'X' }, '*'), 400, /can no longer be modified/);
  });

  it('refuses a purchase invoice with nothing to post', async () => {
    const empty = (await client.post(path('purchaseInvoices'), { vendorNumber: '10000' })).body;
    expect(empty.number).toMatch(/^P-INV\d+$/);
    await refused(() => act('purchaseInvoices', empty.id, 'post'), 400, /There is nothing to post/);
  });

  it('receiveAndInvoice creates the posted receipt and invoice, and deletes the order', async () => {
    const [order] = await client.list(path('purchaseOrders?$top=1&$expand=purchaseOrderLines'));
    expect((await act('purchaseOrders', order.id, 'receiveAndInvoice')).status).toBe(204);
    const [receipt] = await client.list(path('purchaseReceipts') + filter(`orderNumber eq '${order.number}'`));
    expect(receipt).toMatchObject({ vendorNumber: order.vendorNumber, number: expect.stringMatching(/^P-RCPT\d+$/) });
    const receiptLines = await client.list(path(`purchaseReceipts(${receipt.id})/purchaseReceiptLines`));
    expect(receiptLines.map((l) => l.unitCost).sort()).toEqual(order.purchaseOrderLines.map((l: any) => l.directUnitCost).sort());
    const [invoice] = await client.list(path('purchaseInvoices') + filter(`orderNumber eq '${order.number}'`));
    expect(invoice).toMatchObject({ status: 'Open', totalAmountIncludingTax: order.totalAmountIncludingTax });
    expect(byAccount(await glEntries(invoice.number))['20100']).toBe(-order.totalAmountIncludingTax);
    expect((await client.get(path(`purchaseOrders(${order.id})`))).status).toBe(404);
  });
});

describe('salesQuotes/Microsoft.NAV.makeInvoice and makeOrder', () => {
  it('turns a quote into a draft invoice with its lines and totals, deletes the quote, and the invoice posts', async () => {
    const [item] = await stockedItems(1, 5);
    const quote = await draft('salesQuotes', { customerNumber: '10000' }, [[item, 2]]);
    expect(quote.number).toMatch(/^S-QUO\d+$/);
    expect((await act('salesQuotes', quote.id, 'makeInvoice')).status).toBe(204);
    expect((await client.get(path(`salesQuotes(${quote.id})`))).status).toBe(404);
    expect(await client.list(path('salesQuoteLines') + filter(`documentId eq ${quote.id}`))).toEqual([]);
    const invoices = await client.list(path('salesInvoices') + filter("status eq 'Draft' and customerNumber eq '10000'"));
    const invoice = invoices.find((i) => i.totalAmountIncludingTax === quote.totalAmountIncludingTax)!;
    expect(invoice).toBeDefined();
    expect(invoice.number).toMatch(/^S-INV\d+$/);
    expect(await client.list(path(`salesInvoices(${invoice.id})/salesInvoiceLines`))).toMatchObject([{ itemId: item.id, quantity: 2 }]);
    expect((await act('salesInvoices', invoice.id, 'post')).status).toBe(204);
    expect((await one('items', item.id)).inventory).toBe(item.inventory - 2);
  });

  it('turns a quote into a sales order that ships and invoices', async () => {
    const [item] = await stockedItems(1, 6);
    const quote = await draft('salesQuotes', { customerNumber: '20000' }, [[item, 1]]);
    expect((await act('salesQuotes', quote.id, 'makeOrder')).status).toBe(204);
    const [order] = await client.list(path('salesOrders') + filter("customerNumber eq '20000' and status eq 'Draft'") + '&$orderby=number desc&$top=1');
    expect(order.totalAmountIncludingTax).toBe(quote.totalAmountIncludingTax);
    expect((await client.list(path(`salesOrders(${order.id})/salesOrderLines`)))[0]).toMatchObject({ itemId: item.id, quantity: 1, shipQuantity: 1 });
    expect((await act('salesOrders', order.id, 'shipAndInvoice')).status).toBe(204);
    expect((await one('items', item.id)).inventory).toBe(item.inventory - 1);
  });
});

describe('seed', () => {
  it('is consistent: balances, net changes and inventory equal the sums of their entries', async () => {
    const customers = await client.list(path('customers'));
    const invoices = await client.list(path('salesInvoices'));
    expect(invoices.filter((i) => i.status === 'Open').length).toBeGreaterThanOrEqual(3);
    expect(invoices.filter((i) => i.status === 'Draft').length).toBeGreaterThanOrEqual(1);
    for (const customer of customers) {
      const owed = invoices.filter((i) => i.customerId === customer.id && i.status === 'Open').reduce((s, i) => s + i.remainingAmount, 0);
      expect(customer.balanceDue, customer.number).toBe(round2(owed));
    }
    const purchaseInvoices = await client.list(path('purchaseInvoices'));
    expect(purchaseInvoices.filter((i) => i.status === 'Open').length).toBeGreaterThanOrEqual(2);
    for (const vendor of await client.list(path('vendors'))) {
      const owed = purchaseInvoices.filter((i) => i.vendorId === vendor.id && i.status === 'Open').reduce((s, i) => s + i.totalAmountIncludingTax, 0);
      expect(vendor.balance, vendor.number).toBe(round2(owed));
    }
    const gl = await client.list(path('generalLedgerEntries'));
    expect(gl.length).toBeGreaterThan(0);
    expect(gl.reduce((s, e) => s + e.debitAmount - e.creditAmount, 0)).toBeCloseTo(0, 6);
    const perAccount = byAccount(gl);
    for (const account of await client.list(path('accounts'))) expect(account.netChange, account.number).toBeCloseTo(perAccount[account.number] ?? 0, 6);
    const itemEntries = await client.list(path('itemLedgerEntries'));
    for (const item of await client.list(path('items'))) {
      const sum = itemEntries.filter((e) => e.itemNumber === item.number).reduce((s, e) => s + e.quantity, 0);
      expect(item.inventory, item.number).toBe(sum);
    }
  });
});

describe('journals/Microsoft.NAV.post', () => {
  let journals = 0;
  async function journalWith(lines: Array<Record<string, unknown>>): Promise<any> {
    const created = await client.post(path('journals'), { code: `TEST${++journals}`, displayName: 'Test journal' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const journal = created.body;
    let lineNumber = 0;
    for (const line of lines) {
      const created = await client.post(path(`journals(${journal.id})/journalLines`), { lineNumber: (lineNumber += 10000), postingDate: '2026-02-02', ...line });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    return journal;
  }

  it('posts each line against its balancing account, moves the customer balance and empties the journal', async () => {
    const customer = (await client.list(path('customers') + filter("number eq '10000'")))[0];
    const journal = await journalWith([
      { accountType: 'Customer', accountNumber: '10000', amount: -100, documentNumber: 'PAY-1', balanceAccountType: 'G/L Account', balancingAccountNumber: '10100', description: 'Payment' },
      { accountType: 'G/L Account', accountNumber: '60200', amount: 250, documentNumber: 'RENT-1', balanceAccountType: 'G/L Account', balancingAccountNumber: '10100', description: 'Rent' },
    ]);
    expect((await act('journals', journal.id, 'post')).status).toBe(204);
    expect(byAccount(await glEntries('PAY-1'))).toEqual({ '13100': -100, '10100': 100 });
    expect(byAccount(await glEntries('RENT-1'))).toEqual({ '60200': 250, '10100': -250 });
    expect((await one('customers', customer.id)).balanceDue).toBe(round2(customer.balanceDue - 100));
    expect(await client.list(path(`journals(${journal.id})/journalLines`))).toEqual([]);
    expect((await client.get(path(`journals(${journal.id})`))).status).toBe(200);
  });

  it('refuses an unbalanced journal, an unknown account and an empty journal, changing nothing', async () => {
    const unbalanced = await journalWith([{ accountType: 'G/L Account', accountNumber: '60200', amount: 80, documentNumber: 'X-1' }]);
    await refused(() => act('journals', unbalanced.id, 'post'), 400, /Document No\. X-1 is out of balance by 80/);
    const unknown = await journalWith([{ accountType: 'G/L Account', accountNumber: '99999', amount: 5, documentNumber: 'X-2', balancingAccountNumber: '10100' }]);
    await refused(() => act('journals', unknown.id, 'post'), 400, /The G\/L Account does not exist\. Identification fields and values: No\.='99999'/);
    const empty = await journalWith([]);
    await refused(() => act('journals', empty.id, 'post'), 400, /There is nothing to post/);
  });
});

describe('bound actions in $batch', () => {
  it('an atomicity group that posts one invoice and fails on a second rolls the first posting back', async () => {
    const [item] = await stockedItems(1);
    const good = await draft('salesInvoices', { customerNumber: '10000' }, [[item, 1]]);
    const [alreadyPosted] = await client.list(path('salesInvoices') + filter("status eq 'Open'"));
    const before = sandbox.snapshot();
    const response = await client.post('$batch', {
      requests: [
        { id: '1', atomicityGroup: 'g', method: 'POST', url: path(`salesInvoices(${good.id})/Microsoft.NAV.post`) },
        { id: '2', atomicityGroup: 'g', method: 'POST', url: path(`salesInvoices(${alreadyPosted.id})/Microsoft.NAV.post`) },
      ],
    });
    expect(response.status).toBe(200);
    const statuses = response.body.responses.map((r: { status: number }) => r.status);
    expect(statuses).toContain(400);
    expect(sandbox.snapshot()).toBe(before);
    expect((await one('salesInvoices', good.id)).status).toBe('Draft');

    const alone = await client.post('$batch', { requests: [{ id: '1', method: 'POST', url: path(`salesInvoices(${good.id})/Microsoft.NAV.post`) }] });
    expect(alone.body.responses[0].status).toBe(204);
    expect((await one('salesInvoices', good.id)).status).toBe('Open');
  });
});

describe('OData clients', () => {
  it('$metadata declares the bound actions with their binding type', async () => {
    const xml = (await client.get('$metadata')).body as string;
    for (const [action, type] of [['post', 'salesInvoice'], ['cancel', 'salesInvoice'], ['shipAndInvoice', 'salesOrder'], ['makeInvoice', 'salesQuote'], ['post', 'purchaseInvoice'], ['receiveAndInvoice', 'purchaseOrder']]) {
      expect(xml).toContain(`<Action Name="${action}" IsBound="true"><Parameter Name="bindingParameter" Type="Microsoft.NAV.${type}"/></Action>`);
    }
  });

  it('an OData client invokes a bound action by name', async () => {
    const odata = OData.New4({ serviceEndpoint: `${sandbox.apiUrl}/`, commonHeaders: { Authorization: `Bearer ${await sandbox.getToken()}` } });
    const [item] = await stockedItems(1);
    const invoice = await draft('salesInvoices', { customerNumber: '10000' }, [[item, 1]]);
    await odata.getEntitySet(path('salesInvoices')).action('Microsoft.NAV.post', invoice.id);
    expect((await one('salesInvoices', invoice.id)).status).toBe('Open');
  });
});
