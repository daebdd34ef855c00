// OData query options as BC supports them, the ones BC refuses, and injection attempts that must never widen
// a result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { SandboxClient, filter } from '../../../support/sandbox-client.js';

let sandbox: BcSandbox;
let client: SandboxClient;
let customers: string;
let items: string;

beforeAll(async () => {
  sandbox = await startBcSandbox();
  client = await SandboxClient.connect(sandbox);
  customers = client.company('customers');
  items = client.company('items');
});
afterAll(async () => {
  await sandbox?.stop();
});

async function numbers(path: string): Promise<string[]> {
  return (await client.list(path)).map((r) => r.number as string);
}

describe('$filter', () => {
  it('supports comparison operators on strings, numbers, booleans and dates', async () => {
    expect(await numbers(customers + filter("number eq '10000'"))).toEqual(['10000']);
    expect((await numbers(customers + filter("number ne '10000'"))).length).toBe(31);
    const all = await client.list(items);
    const expensive = all.filter((i) => i.unitPrice > 500).map((i) => i.number);
    expect(await numbers(items + filter('unitPrice gt 500'))).toEqual(expensive);
    expect(await numbers(items + filter('unitPrice ge 500 and unitPrice le 1000'))).toEqual(
      all.filter((i) => i.unitPrice >= 500 && i.unitPrice <= 1000).map((i) => i.number),
    );
    expect(await numbers(items + filter('blocked eq true'))).toEqual(all.filter((i) => i.blocked).map((i) => i.number));
    const orders = await client.list(client.company('salesOrders') + filter('orderDate lt 2026-01-09'));
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((o) => o.orderDate < '2026-01-09')).toBe(true);
  });

  it('supports or within one field, in, parentheses and not', async () => {
    expect(await numbers(customers + filter("number eq '10000' or number eq '20000'"))).toEqual(['10000', '20000']);
    expect(await numbers(customers + filter("number in ('30000', '10000')"))).toEqual(['10000', '30000']);
    expect(await numbers(customers + filter("(number eq '10000' or number eq '20000') and city ne 'Nowhere'"))).toEqual(['10000', '20000']);
    expect((await numbers(customers + filter("not (number eq '10000')"))).includes('10000')).toBe(false);
  });

  it('supports startswith, endswith, contains, tolower and toupper', async () => {
    const all = await client.list(customers);
    expect(await numbers(customers + filter("startswith(displayName, 'A')"))).toEqual(all.filter((c) => c.displayName.startsWith('A')).map((c) => c.number));
    expect(await numbers(customers + filter("endswith(displayName, 'Inc.')"))).toEqual(all.filter((c) => c.displayName.endsWith('Inc.')).map((c) => c.number));
    expect(await numbers(customers + filter("contains(displayName, 'Toys')"))).toEqual(all.filter((c) => c.displayName.includes('Toys')).map((c) => c.number));
    expect(await numbers(customers + filter("tolower(displayName) eq 'relecloud'"))).toEqual(all.filter((c) => c.displayName === 'Relecloud').map((c) => c.number));
    expect(await numbers(customers + filter("contains(toupper(displayName), 'TOYS')"))).toEqual(all.filter((c) => c.displayName.includes('Toys')).map((c) => c.number));
  });

  it('compares GUIDs and enum values', async () => {
    const [first] = await client.list(`${customers}?$top=1`);
    expect(await numbers(customers + filter(`id eq ${first.id}`))).toEqual([first.number]);
    expect(await numbers(customers + filter(`id eq '${first.id}'`))).toEqual([first.number]);
    const blocked = await client.list(customers + filter("blocked eq 'All'"));
    expect(blocked.length).toBe(1);
    expect(await numbers(customers + filter("blocked eq Microsoft.NAV.customerBlocked'All'"))).toEqual([blocked[0].number]);
    expect((await client.get(customers + filter("blocked eq 'Sometimes'"))).body.error.code).toBe('Application_EvaluateException');
  });

  it("escapes quotes in literals as '' and matches the customer with an apostrophe", async () => {
    const found = await client.list(customers + filter("displayName eq 'O''Brien Outdoor Supply'"));
    expect(found.map((c) => c.displayName)).toEqual(["O'Brien Outdoor Supply"]);
  });

  it('rejects what BC rejects: or across fields, unknown fields, bad syntax, type mismatches, unsupported functions', async () => {
    const cases: Array<[string, number, string]> = [
      ["number eq '10000' or city eq 'Miami'", 400, 'BadRequest_MethodNotImplemented'],
      ["colour eq 'red'", 400, 'BadRequest_NotFound'],
      ['number eq', 400, 'BadRequest_NotFound'],
      ["number eq '10000", 400, 'BadRequest_NotFound'],
      ['number eq 10000', 400, 'BadRequest'],
      ["creditLimit gt 'a lot'", 400, 'BadRequest'],
      ["length(displayName) gt 3", 400, 'BadRequest_MethodNotImplemented'],
      ['number eq number', 400, 'BadRequest_MethodNotImplemented'],
      ["displayName eq null", 400, 'BadRequest_MethodNotImplemented'],
      ["any(x: x eq 'a')", 400, 'BadRequest_NotFound'],
    ];
    for (const [expression, status, code] of cases) {
      const response = await client.get(customers + filter(expression));
      expect(response.status, expression).toBe(status);
      expect(response.body.error.code, expression).toBe(code);
    }
  });
});

describe('injection never widens a result', () => {
  it('treats quotes inside a literal as data', async () => {
    const attempts = ["x' or displayName ne 'x", "O'Brien", "' or 1 eq 1 or '", "x'' or ''1'' eq ''1"];
    for (const attempt of attempts) {
      const escaped = attempt.replace(/'/g, "''");
      const response = await client.get(customers + filter(`displayName eq '${escaped}'`));
      expect(response.status, attempt).toBe(200);
      expect(response.body.value, attempt).toEqual([]);
    }
  });

  it('refuses a tautology appended with or, and an unescaped quote', async () => {
    for (const expression of ["number eq '10000' or 1 eq 1", "number eq '10000' or true", "number eq '' or '1' eq '1'", "displayName eq 'O'Brien'"]) {
      const response = await client.get(customers + filter(expression));
      expect(response.status, expression).toBe(400);
    }
  });

  it('refuses field names outside the schema in every option', async () => {
    for (const query of ['$select=number,password', '$orderby=secret desc', '$expand=ledger', `$filter=${encodeURIComponent("Customer.number eq '1'")}`]) {
      const response = await client.get(`${customers}?${query}`);
      expect(response.status, query).toBe(400);
      expect(['BadRequest_NotFound', 'BadRequest_MethodNotImplemented']).toContain(response.body.error.code);
    }
  });
});

describe('$select, $orderby, $top, $skip, $count', () => {
  it('selects only the named properties plus the ETag', async () => {
    const response = await client.get(`${customers}?$select=number,displayName&$top=1`);
    expect(Object.keys(response.body.value[0])).toEqual(['@odata.etag', 'number', 'displayName']);
    expect(response.body['@odata.context']).toMatch(/customers\(number,displayName\)$/);
  });

  it('orders by several keys in both directions', async () => {
    const all = await client.list(customers);
    const expected = [...all]
      .sort((a, b) => a.city.localeCompare(b.city) || b.number.localeCompare(a.number))
      .map((c) => c.number);
    expect(await numbers(`${customers}?$orderby=city asc,number desc`)).toEqual(expected);
  });

  it('applies $skip then $top and counts every match', async () => {
    const all = await numbers(customers);
    const response = await client.get(`${customers}?$skip=5&$top=3&$count=true`);
    expect(response.body.value.map((c: { number: string }) => c.number)).toEqual(all.slice(5, 8));
    expect(response.body['@odata.count']).toBe(32);
    const filtered = await client.get(customers + filter("startswith(displayName, 'A')", '&$count=true&$top=1'));
    expect(filtered.body['@odata.count']).toBeGreaterThan(1);
    expect(filtered.body.value).toHaveLength(1);
  });

  it('refuses invalid and unsupported options', async () => {
    for (const [query, code] of [
      ['$top=-1', 'BadRequest_NotFound'],
      ['$skip=abc', 'BadRequest_NotFound'],
      ['$count=maybe', 'BadRequest_NotFound'],
      ['$search=blue', 'BadRequest_MethodNotImplemented'],
      ['$apply=aggregate(creditLimit with sum as total)', 'BadRequest_MethodNotImplemented'],
      ['$compute=creditLimit mul 2 as double', 'BadRequest_MethodNotImplemented'],
      ['$format=xml', 'BadRequest_MethodNotImplemented'],
      ['$orderby=number sideways', 'BadRequest_NotFound'],
    ] as const) {
      const response = await client.get(`${customers}?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code, query).toBe(code);
    }
  });

  it('answers $count as a path segment with plain text', async () => {
    const response = await client.get(`${customers}/$count`);
    expect(response.body).toBe('32');
    const filtered = await client.get(`${customers}/$count` + filter("number in ('10000', '20000')"));
    expect(filtered.body).toBe('2');
  });
});

describe('server-driven paging', () => {
  it('honours Prefer: odata.maxpagesize with nextLinks that cover every record once', async () => {
    const seen: string[] = [];
    let next: string | undefined = `${sandbox.apiUrl}/${customers}?$select=number&$orderby=number desc`;
    let pages = 0;
    while (next) {
      const response: { headers: Headers; body: any } = await client.get(next, { Prefer: 'odata.maxpagesize=7' });
      expect(response.headers.get('preference-applied')).toBe('odata.maxpagesize=7');
      expect(response.body.value.length).toBeLessThanOrEqual(7);
      seen.push(...response.body.value.map((c: { number: string }) => c.number));
      next = response.body['@odata.nextLink'];
      pages++;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual([...(await numbers(customers))].reverse());
  });

  it('pages within $top and applies the server maximum without a preference', async () => {
    const small = await startBcSandbox({ maxPageSize: 10 });
    try {
      const smallClient = await SandboxClient.connect(small);
      const first = await smallClient.get(`${smallClient.company('customers')}?$top=15`);
      expect(first.body.value).toHaveLength(10);
      const second = await smallClient.get(first.body['@odata.nextLink']);
      expect(second.body.value).toHaveLength(5);
      expect(second.body['@odata.nextLink']).toBeUndefined();
    } finally {
      await small.stop();
    }
  });
});

describe('$expand', () => {
  it('expands lines and the customer of sales orders, with nested options', async () => {
    const response = await client.get(
      `${client.company('salesOrders')}?$top=2&$expand=salesOrderLines($select=sequence,quantity;$orderby=sequence desc),customer($select=number,displayName)`,
    );
    expect(response.status).toBe(200);
    for (const order of response.body.value) {
      expect(order.customer).toEqual({ '@odata.etag': expect.any(String), number: order.customerNumber, displayName: order.customerName });
      expect(order.salesOrderLines.length).toBeGreaterThan(0);
      const sequences = order.salesOrderLines.map((l: { sequence: number }) => l.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
      expect(Object.keys(order.salesOrderLines[0])).toEqual(['@odata.etag', 'sequence', 'quantity']);
    }
  });

  it('expands purchase order lines and vendor, and refuses navigations that are not served', async () => {
    const [order] = await client.list(client.company('purchaseOrders?$top=1&$expand=purchaseOrderLines,vendor'));
    expect(order.vendor.id).toBe(order.vendorId);
    const lines = await client.list(client.company(`purchaseOrders(${order.id})/purchaseOrderLines`));
    expect(order.purchaseOrderLines.map((l: { id: string }) => l.id)).toEqual(lines.map((l) => l.id));
    const refused = await client.get(client.company('purchaseOrders?$expand=attachments'));
    expect(refused.body.error.code).toBe('BadRequest_MethodNotImplemented');
  });
});

describe('item ledger entries', () => {
  it('filters on entry type values and refuses values the enum does not have', async () => {
    const entries = client.company('itemLedgerEntries');
    const adjustments = await client.list(entries + filter("entryType eq 'Positive Adjmt.'"));
    expect(adjustments.length).toBeGreaterThan(0);
    expect(await client.list(entries + filter("entryType eq 'Positive_x0020_Adjmt_x002E_'"))).toHaveLength(adjustments.length);
    expect((await client.get(entries + filter("entryType eq 'Gift'"))).body.error.code).toBe('Application_EvaluateException');
    const metadata = (await client.get('$metadata')).body as string;
    expect(metadata).toContain('<EnumType Name="itemLedgerEntryType"><Member Name="Purchase" Value="0"/>');
    expect(metadata).toContain('<Member Name="Positive_x0020_Adjmt_x002E_"');
  });
});
