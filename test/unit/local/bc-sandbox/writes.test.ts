// Writes with BC's validation: number series, required fields, references, blocked items and customers,
// ETags and If-Match, document totals recomputed from lines, cascading deletes, and the bound actions.
import { beforeAll, describe, expect, it } from 'vitest';
import type { BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { SandboxClient, filter, withSandboxClient } from '../../../support/sandbox-client.js';

let sandbox: BcSandbox;
let client: SandboxClient;
const path = (set: string) => client.company(set);
withSandboxClient((fixture) => ({ sandbox, client } = fixture), { resetEach: true });

async function orderableItem(offset = 0): Promise<any> {
  return (await client.list(path('items') + filter("blocked eq false and type eq 'Inventory'", `&$skip=${offset}&$top=1`)))[0];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The opening entry at MAIN plus the seed's postings since (its posted invoices ship from and receive into MAIN). */
async function onHandAtMainOf(item: any): Promise<number> {
  const entries = await client.list(path('itemLedgerEntries') + filter(`itemNumber eq '${item.number}'`));
  const opening = entries.filter((e) => e.description === 'Opening inventory')[0].quantity as number;
  return opening + entries.filter((e) => e.description !== 'Opening inventory').reduce((sum, e) => sum + (e.quantity as number), 0);
}

describe('master data', () => {
  it('numbers new customers from the series, accepts a manual number once, and refuses duplicates', async () => {
    const first = await client.post(path('customers'), { displayName: 'Series One' });
    const second = await client.post(path('customers'), { displayName: 'Series Two' });
    expect([first.body.number, second.body.number]).toEqual(['C00010', 'C00020']);
    expect(first.body.blocked).toBe(' ');
    expect(first.headers.get('location')).toContain(`customers(${first.body.id})`);
    expect((await client.post(path('customers'), { displayName: 'Manual', number: 'M-1' })).body.number).toBe('M-1');
    const duplicate = await client.post(path('customers'), { displayName: 'Again', number: 'M-1' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.code).toBe('Internal_EntityWithSameKeyExists');
  });

  it('checks required fields, types and references', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['customers', {}, 'BadRequest_RequiredParamNotProvided'],
      ['customers', { displayName: 'x', creditLimit: '100' }, 'BadRequest'],
      ['customers', { displayName: 'x', taxLiable: 'yes' }, 'BadRequest'],
      ['customers', { displayName: 'x', currencyCode: 'XXX' }, 'Internal_RecordNotFound'],
      ['customers', { displayName: 'x', paymentTermsId: '00000000-0000-0000-0000-0000000000ff' }, 'Internal_RecordNotFound'],
      ['customers', [], 'BadRequest'],
      ['currencies', { code: 'eur', displayName: 'dup' }, 'Internal_EntityWithSameKeyExists'],
      ['items', { displayName: 'x', inventory: 5 }, 'BadRequest_InvalidOperation'],
    ];
    for (const [set, body, code] of cases) {
      const response = await client.post(path(set), body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code, JSON.stringify(body)).toBe(code);
    }
    const linked = await client.post(path('customers'), { displayName: 'Euro buyer', currencyCode: 'EUR' });
    const [euro] = await client.list(path('currencies') + filter("code eq 'EUR'"));
    expect(linked.body.currencyId).toBe(euro.id);
  });

  it('refuses to delete a customer or an item that open orders use', async () => {
    const [order] = await client.list(path('salesOrders?$top=1&$expand=salesOrderLines'));
    const customer = await client.get(path(`customers(${order.customerId})`));
    const refused = await client.delete(path(`customers(${order.customerId})`), customer.body['@odata.etag']);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('Application_DialogException');
    const item = await client.get(path(`items(${order.salesOrderLines[0].itemId})`));
    expect((await client.delete(path(`items(${item.body.id})`), '*')).body.error.code).toBe('Application_DialogException');
  });
});

describe('ETags and If-Match', () => {
  it('changes the ETag on every write and requires a current one', async () => {
    const created = await client.post(path('vendors'), { displayName: 'ETag Vendor' });
    const etag1 = created.body['@odata.etag'];
    const missing = await client.patch(path(`vendors(${created.body.id})`), { city: 'Oslo' }, undefined);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('BadRequest_InvalidToken');
    const first = await client.patch(path(`vendors(${created.body.id})`), { city: 'Oslo' }, etag1);
    expect(first.status).toBe(200);
    const etag2 = first.body['@odata.etag'];
    expect(etag2).not.toBe(etag1);
    expect(first.headers.get('etag')).toBe(etag2);
    const stale = await client.patch(path(`vendors(${created.body.id})`), { city: 'Bergen' }, etag1);
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('Request_EntityChanged');
    expect((await client.get(path(`vendors(${created.body.id})`))).body.city).toBe('Oslo');
    const star = await client.patch(path(`vendors(${created.body.id})`), { city: 'Bergen' }, '*');
    expect(star.status).toBe(200);
    expect(star.body['@odata.etag']).not.toBe(etag2);
    expect((await client.delete(path(`vendors(${created.body.id})`), etag2)).status).toBe(412);
    expect((await client.delete(path(`vendors(${created.body.id})`), undefined)).body.error.code).toBe('BadRequest_InvalidToken');
    expect((await client.delete(path(`vendors(${created.body.id})`), star.body['@odata.etag'])).status).toBe(204);
  });
});

describe('sales and purchase documents', () => {
  it('creates an order from the customer, numbered by the series, refusing manual numbers', async () => {
    const [customer] = await client.list(path('customers') + filter("number eq '20000'"));
    const order = await client.post(path('salesOrders'), { customerNumber: '20000' });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ number: '101011', customerId: customer.id, customerName: customer.displayName, sellToCity: customer.city, status: 'Draft', totalAmountIncludingTax: 0 });
    const manual = await client.post(path('salesOrders'), { customerNumber: '20000', number: 'SO-1' });
    // The API page makes the number non-editable (the series assigns it): BC refuses it as read-only.
    expect(manual.body.error).toMatchObject({ code: 'BadRequest_InvalidOperation' });
    expect(manual.body.error.message).toContain("Control 'number' is read-only");
    const none = await client.post(path('salesOrders'), { externalDocumentNumber: 'x' });
    expect(none.body.error.message).toContain('A customerNumber or a customerId must be provided');
    const unknown = await client.post(path('purchaseOrders'), { vendorNumber: '99999' });
    expect(unknown.body.error.code).toBe('Internal_RecordNotFound');
    const [blocked] = await client.list(path('customers') + filter("blocked eq 'All'"));
    const refused = await client.post(path('salesOrders'), { customerId: blocked.id });
    expect(refused.body.error.code).toBe('Application_FieldValidationException');
  });

  it('recomputes totals from lines on every line change, with tax and the invoice discount', async () => {
    const order = (await client.post(path('salesOrders'), { customerNumber: '10000' })).body;
    const customer = (await client.get(path(`customers(${order.customerId})`))).body;
    const item = await orderableItem();
    const linesPath = path(`salesOrders(${order.id})/salesOrderLines`);
    const line1 = await client.post(linesPath, { itemId: item.id, quantity: 3 });
    expect(line1.status).toBe(201);
    expect(line1.body).toMatchObject({ documentId: order.id, sequence: 10000, lineObjectNumber: item.number, unitPrice: item.unitPrice, description: item.displayName });
    const line2 = await client.post(path('salesOrderLines'), { documentId: order.id, lineObjectNumber: item.number, quantity: 2, discountPercent: 10 });
    expect(line2.body.sequence).toBe(20000);
    const taxPercent = customer.taxLiable && item.taxGroupCode === 'FURNITURE' ? 6 : 0;
    const expectTotals = async (discount: number) => {
      const lines = await client.list(linesPath);
      const excl = round2(lines.reduce((s, l) => s + l.amountExcludingTax, 0) - discount);
      const current = (await client.get(path(`salesOrders(${order.id})`))).body;
      expect(current.totalAmountExcludingTax).toBeCloseTo(excl, 2);
      expect(current.totalTaxAmount).toBeCloseTo(round2((excl * taxPercent) / 100), 1);
      expect(current.totalAmountIncludingTax).toBeCloseTo(current.totalAmountExcludingTax + current.totalTaxAmount, 2);
      return current;
    };
    expect(line2.body.amountExcludingTax).toBeCloseTo(round2(2 * item.unitPrice * 0.9), 2);
    const before = await expectTotals(0);
    const changed = await client.patch(path(`salesOrderLines(${line1.body.id})`), { quantity: 5 }, line1.body['@odata.etag']);
    expect(changed.body.amountExcludingTax).toBeCloseTo(round2(5 * item.unitPrice), 2);
    const after = await expectTotals(0);
    expect(after.totalAmountExcludingTax).toBeGreaterThan(before.totalAmountExcludingTax);
    expect(after['@odata.etag']).not.toBe(before['@odata.etag']);
    await client.patch(path(`salesOrders(${order.id})`), { discountAmount: 10 }, '*');
    await expectTotals(10);
    await client.delete(path(`salesOrderLines(${line2.body.id})`), '*');
    await expectTotals(10);
  });

  it('refuses blocked or unknown items and bad quantities on lines', async () => {
    const [order] = await client.list(path('purchaseOrders?$top=1'));
    const [blocked] = await client.list(path('items') + filter('blocked eq true'));
    const linesPath = path(`purchaseOrders(${order.id})/purchaseOrderLines`);
    expect((await client.post(linesPath, { itemId: blocked.id, quantity: 1 })).body.error.code).toBe('Application_FieldValidationException');
    expect((await client.post(linesPath, { lineObjectNumber: 'NOPE-1', quantity: 1 })).body.error.code).toBe('Internal_RecordNotFound');
    expect((await client.post(linesPath, { lineObjectNumber: (await orderableItem()).number, quantity: -1 })).body.error.code).toBe('Application_FieldValidationException');
    expect((await client.post(path('purchaseOrderLines'), { quantity: 1 })).body.error.code).toBe('BadRequest_RequiredParamNotProvided');
  });

  it('deletes an order together with its lines', async () => {
    const [order] = await client.list(path('salesOrders?$top=1&$expand=salesOrderLines'));
    expect(order.salesOrderLines.length).toBeGreaterThan(0);
    expect((await client.delete(path(`salesOrders(${order.id})`), order['@odata.etag'])).status).toBe(204);
    expect(await client.list(path('salesOrderLines') + filter(`documentId eq ${order.id}`))).toEqual([]);
    expect((await client.get(path(`salesOrders(${order.id})/salesOrderLines`))).status).toBe(404);
  });
});

describe('bound actions', () => {
  it('receiveAndInvoice posts item entries, raises inventory and the vendor balance, and removes the order', async () => {
    const [order] = await client.list(path('purchaseOrders?$top=1&$expand=purchaseOrderLines,vendor'));
    const itemBefore = (await client.get(path(`items(${order.purchaseOrderLines[0].itemId})`))).body;
    const entriesBefore = (await client.list(path('itemLedgerEntries'))).length;
    const response = await client.post(path(`purchaseOrders(${order.id})/Microsoft.NAV.receiveAndInvoice`), undefined);
    expect(response.status).toBe(204);
    const received = order.purchaseOrderLines.filter((l: any) => l.itemId === itemBefore.id).reduce((s: number, l: any) => s + l.quantity, 0);
    expect((await client.get(path(`items(${itemBefore.id})`))).body.inventory).toBe(itemBefore.inventory + received);
    // The entries point at the posted receipt, which names the order it came from.
    const [receipt] = await client.list(path('purchaseReceipts') + filter(`orderNumber eq '${order.number}'`));
    const entries = await client.list(path('itemLedgerEntries') + filter(`documentNumber eq '${receipt.number}'`));
    expect(entries).toHaveLength(order.purchaseOrderLines.length);
    expect(entries.every((e) => e.entryType === 'Purchase' && e.quantity > 0 && e.sourceNumber === order.vendorNumber)).toBe(true);
    expect((await client.list(path('itemLedgerEntries'))).length).toBe(entriesBefore + entries.length);
    expect((await client.get(path(`vendors(${order.vendorId})`))).body.balance).toBeCloseTo(order.vendor.balance + order.totalAmountIncludingTax, 2);
    expect((await client.get(path(`purchaseOrders(${order.id})`))).status).toBe(404);
  });

  it('shipAndInvoice lowers inventory, and refuses to ship more than is on hand without posting anything', async () => {
    const item = await orderableItem(2);
    const order = (await client.post(path('salesOrders'), { customerNumber: '30000' })).body;
    await client.post(path(`salesOrders(${order.id})/salesOrderLines`), { itemId: item.id, quantity: item.inventory + 1 });
    const refused = await client.post(path(`salesOrders(${order.id})/Microsoft.NAV.shipAndInvoice`), undefined);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('Application_DialogException');
    expect((await client.get(path(`items(${item.id})`))).body.inventory).toBe(item.inventory);
    const [line] = await client.list(path(`salesOrders(${order.id})/salesOrderLines`));
    await client.patch(path(`salesOrderLines(${line.id})`), { quantity: 2 }, line['@odata.etag']);
    expect((await client.post(path(`salesOrders(${order.id})/Microsoft.NAV.shipAndInvoice`), undefined)).status).toBe(204);
    expect((await client.get(path(`items(${item.id})`))).body.inventory).toBe(item.inventory - 2);
  });

  it('refuses actions on the wrong entity, with the wrong method, and on empty orders', async () => {
    const [order] = await client.list(path('salesOrders?$top=1'));
    expect((await client.post(path(`salesOrders(${order.id})/Microsoft.NAV.receiveAndInvoice`), undefined)).body.error.code).toBe('BadRequest_ResourceNotFound');
    const [customer] = await client.list(path('customers?$top=1'));
    expect((await client.post(path(`customers(${customer.id})/Microsoft.NAV.shipAndInvoice`), undefined)).body.error.code).toBe('BadRequest_MethodNotImplemented');
    expect((await client.get(path(`salesOrders(${order.id})/Microsoft.NAV.shipAndInvoice`))).status).toBe(405);
    const empty = (await client.post(path('purchaseOrders'), { vendorNumber: '20000' })).body;
    const response = await client.post(path(`purchaseOrders(${empty.id})/Microsoft.NAV.receiveAndInvoice`), undefined);
    expect(response.body.error.message).toContain('There is nothing to post');
  });
});

describe('itemReservations custom API', () => {
  let reservations: string;
  beforeAll(() => {
    reservations = `${sandbox.inventoryApiUrl}/companies(${client.companyId})/itemReservations`;
  });

  it('reserves up to the quantity available at a location and no more', async () => {
    const item = await orderableItem();
    const [main] = await client.list(path('locations') + filter("code eq 'MAIN'"));
    const [order] = await client.list(path('salesOrders?$top=1'));
    const onHandAtMain = await onHandAtMainOf(item);
    const first = await client.post(reservations, { itemNumber: item.number, locationCode: 'MAIN', quantity: onHandAtMain - 1, sourceType: 'Sales Order', sourceId: order.id });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ itemId: item.id, locationId: main.id, sourceNumber: order.number, quantity: onHandAtMain - 1 });
    const tooMuch = await client.post(reservations, { itemId: item.id, locationId: main.id, quantity: 2 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.code).toBe('Application_DialogException');
    const last = await client.post(reservations, { itemId: item.id, locationCode: 'MAIN', quantity: 1 });
    expect(last.status).toBe(201);
    const listed = await client.list(`${reservations}?$filter=${encodeURIComponent(`itemId eq ${item.id}`)}`);
    expect(listed.map((r) => r.id).sort()).toEqual([first.body.id, last.body.id].sort());
    expect((await client.get(`${reservations}(${first.body.id})`)).body.quantity).toBe(onHandAtMain - 1);
    expect((await client.delete(`${reservations}(${first.body.id})`, first.body['@odata.etag'])).status).toBe(204);
    expect((await client.post(reservations, { itemId: item.id, locationCode: 'MAIN', quantity: 2 })).status).toBe(201);
  });

  it('validates items, locations, sources and quantities, and does not allow PATCH', async () => {
    const [blocked] = await client.list(path('items') + filter('blocked eq true'));
    const item = await orderableItem();
    const cases: Array<[unknown, string]> = [
      [{ itemId: blocked.id, locationCode: 'MAIN', quantity: 1 }, 'Application_FieldValidationException'],
      [{ itemNumber: 'NOPE', locationCode: 'MAIN', quantity: 1 }, 'Internal_RecordNotFound'],
      [{ itemId: item.id, locationCode: 'NOWHERE', quantity: 1 }, 'Internal_RecordNotFound'],
      [{ itemId: item.id, locationCode: 'MAIN', quantity: 0 }, 'Application_FieldValidationException'],
      [{ itemId: item.id, locationCode: 'MAIN', quantity: 1, sourceType: 'Sales Order' }, 'BadRequest_RequiredParamNotProvided'],
      [{ itemId: item.id, locationCode: 'MAIN', quantity: 1, colour: 'red' }, 'BadRequest'],
    ];
    for (const [body, code] of cases) {
      const response = await client.post(reservations, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code, JSON.stringify(body)).toBe(code);
    }
    const created = await client.post(reservations, { itemId: item.id, locationCode: 'MAIN', quantity: 1 });
    expect((await client.patch(`${reservations}(${created.body.id})`, { quantity: 2 }, '*')).status).toBe(405);
  });

  it('makes reserved stock unavailable to other orders when shipping', async () => {
    const item = await orderableItem(4);
    const [main] = await client.list(path('locations') + filter("code eq 'MAIN'"));
    const onHandAtMain = await onHandAtMainOf(item);
    await client.post(reservations, { itemId: item.id, locationId: main.id, quantity: onHandAtMain - 1 });
    const order = (await client.post(path('salesOrders'), { customerNumber: '40000' })).body;
    await client.post(path(`salesOrders(${order.id})/salesOrderLines`), { itemId: item.id, quantity: 2, locationId: main.id });
    const response = await client.post(path(`salesOrders(${order.id})/Microsoft.NAV.shipAndInvoice`), undefined);
    expect(response.body.error.code).toBe('Application_DialogException');
  });
});

describe('deep insert', () => {
  it('creates an order with its lines in one POST and returns them on $expand', async () => {
    const item = await orderableItem();
    const response = await client.post(`${path('salesOrders')}?$expand=salesOrderLines`, {
      customerNumber: '10000',
      salesOrderLines: [
        { itemId: item.id, quantity: 2 },
        { lineObjectNumber: item.number, quantity: 1 },
      ],
    });
    expect(response.status).toBe(201);
    expect(response.body.salesOrderLines.map((l: { sequence: number; quantity: number }) => [l.sequence, l.quantity])).toEqual([[10000, 2], [20000, 1]]);
    expect(response.body.totalAmountExcludingTax).toBeCloseTo(round2(3 * item.unitPrice), 2);
  });

  it('creates nothing when one line is invalid', async () => {
    const [blocked] = await client.list(path('items') + filter('blocked eq true'));
    const item = await orderableItem();
    const ordersBefore = (await client.list(path('purchaseOrders'))).length;
    const response = await client.post(path('purchaseOrders'), {
      vendorNumber: '10000',
      purchaseOrderLines: [{ itemId: item.id, quantity: 1 }, { itemId: blocked.id, quantity: 1 }],
    });
    expect(response.body.error.code).toBe('Application_FieldValidationException');
    expect((await client.list(path('purchaseOrders'))).length).toBe(ordersBefore);
    expect((await client.post(path('purchaseOrders'), { vendorNumber: '10000', purchaseOrderLines: {} })).status).toBe(400);
  });
});
