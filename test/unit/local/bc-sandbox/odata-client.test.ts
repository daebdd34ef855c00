// The sandbox as OData tooling sees it: a metadata-driven client (@odata/client) reads the navigation properties
// from `$metadata` (parsed with @sap-ux/edmx-parser), queries and expands them, and sends multipart `$batch`
// requests; the service document, `odata.metadata=none` and the OData-Version header are served as OData
// specifies. Bad multipart bodies get a clear 400 and change nothing; a failed change set rolls back whole.
import { OData, parseMultiPartContent } from '@odata/client';
import { parse } from '@sap-ux/edmx-parser';
import type { RawMetadata, RawV4NavigationProperty } from '@sap-ux/vocabularies-types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { SandboxClient, filter } from '../../../support/sandbox-client.js';

let sandbox: BcSandbox;
let client: SandboxClient;
let odata: ReturnType<typeof OData.New4>;
let metadata: RawMetadata;

beforeAll(async () => {
  sandbox = await startBcSandbox();
  client = await SandboxClient.connect(sandbox);
  const authorization = `Bearer ${await sandbox.getToken()}`;
  // The client's default transport is the runtime's fetch; the service root is where $batch lives.
  odata = OData.New4({ serviceEndpoint: `${sandbox.apiUrl}/`, commonHeaders: { Authorization: authorization } });
  metadata = parse((await client.get('$metadata')).body as string);
});
beforeEach(() => sandbox.reset());
afterAll(async () => {
  await sandbox?.stop();
});

/** The OData v4 navigation properties $metadata declares for an entity type. */
function navigations(name: string, document = metadata): RawV4NavigationProperty[] {
  const type = document.schema.entityTypes.find((t) => t.name === name);
  if (!type) throw new Error(`$metadata declares no entity type ${name}`);
  return type.navigationProperties.filter((n): n is RawV4NavigationProperty => 'targetTypeName' in n);
}
const set = (path: string) => `companies(${client.companyId})/${path}`;

/** A multipart/mixed body from parts (each a list of lines), CRLF-separated as RFC 2046 wants. */
function multipart(boundary: string, parts: string[][]): string {
  return `${parts.map((lines) => `--${boundary}\r\n${lines.join('\r\n')}`).join('\r\n')}\r\n--${boundary}--\r\n`;
}
const httpPart = (requestLine: string, body?: unknown, contentId?: string) => [
  'Content-Type: application/http',
  'Content-Transfer-Encoding: binary',
  ...(contentId ? [`Content-ID: ${contentId}`] : []),
  '',
  requestLine,
  ...(body === undefined ? [''] : ['Content-Type: application/json', '', JSON.stringify(body)]),
];
const changeset = (boundary: string, parts: string[][]) => [`Content-Type: multipart/mixed; boundary=${boundary}`, '', multipart(boundary, parts)];

async function postBatch(body: string, contentType = 'multipart/mixed; boundary=batch_1') {
  const response = await fetch(`${sandbox.apiUrl}/$batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await sandbox.getToken()}`, 'Content-Type': contentType },
    body,
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

describe('$metadata for metadata-driven clients', () => {
  it('declares navigation properties with their types, partners and foreign keys, and answers with OData-Version', async () => {
    const response = await client.get('$metadata');
    expect(response.headers.get('odata-version')).toBe('4.0');
    const customer = navigations('customer');
    expect(customer.map((n) => n.name)).toEqual(expect.arrayContaining(['currency', 'paymentTerm', 'shipmentMethod', 'paymentMethod']));
    const paymentTerm = customer.find((n) => n.name === 'paymentTerm')!;
    expect(paymentTerm).toMatchObject({ targetTypeName: 'Microsoft.NAV.paymentTerm', isCollection: false, containsTarget: true });
    expect(paymentTerm.referentialConstraint).toEqual([expect.objectContaining({ sourceProperty: 'paymentTermsId', targetProperty: 'id' })]);
    const lines = navigations('salesOrder').find((n) => n.name === 'salesOrderLines')!;
    expect(lines).toMatchObject({ targetTypeName: 'Microsoft.NAV.salesOrderLine', isCollection: true, partner: 'salesOrder' });
    const back = navigations('salesOrderLine').find((n) => n.name === 'salesOrder')!;
    expect(back).toMatchObject({ partner: 'salesOrderLines', containsTarget: false });
    // Every declared navigation names a type the document declares.
    const declared = new Set(metadata.schema.entityTypes.map((t) => `Microsoft.NAV.${t.name}`));
    for (const type of metadata.schema.entityTypes) for (const n of navigations(type.name)) expect(declared.has(n.targetTypeName), `${type.name}.${n.name}`).toBe(true);
    const company = navigations('company').map((n) => n.name);
    expect(company).toEqual(expect.arrayContaining(['customers', 'salesOrders', 'items']));
  });

  it('the custom inventory API declares the company → itemReservations containment and the reservation navigations', async () => {
    const response = await client.get(`${sandbox.inventoryApiUrl}/$metadata`);
    const inventory = parse(response.body as string);
    expect(navigations('company', inventory).map((n) => n.name)).toContain('itemReservations');
    expect(navigations('itemReservation', inventory).map((n) => n.name)).toEqual(['item', 'location']);
  });
});

describe('an OData client against the sandbox', () => {
  it('queries and expands every single-valued navigation $metadata declares for customers', async () => {
    // Those with a foreign key: the relations a client can follow (pictures and computed details have none).
    const expandable = navigations('customer')
      .filter((n) => !n.isCollection && (n.referentialConstraint?.length ?? 0) > 0)
      .map((n) => n.name);
    const customers = await odata.getEntitySet<Record<string, any>>(set('customers')).query(odata.newOptions().top(3).expand(expandable));
    expect(customers).toHaveLength(3);
    const withTerms = customers.find((c) => c.paymentTermsId !== '00000000-0000-0000-0000-000000000000')!;
    expect(withTerms.paymentTerm).toMatchObject({ id: withTerms.paymentTermsId });
    expect(expandable).toEqual(expect.arrayContaining(['currency', 'paymentTerm', 'shipmentMethod', 'paymentMethod']));
    for (const name of expandable) expect(Object.keys(customers[0]!)).toContain(name);
    const one = await odata.getEntitySet<Record<string, any>>(set('customers')).retrieve(withTerms.id, odata.newOptions().expand('paymentTerm'));
    expect(one.paymentTerm.code).toBe(withTerms.paymentTerm.code);
  });

  it('expands the collection navigation of a document (salesOrder → salesOrderLines)', async () => {
    const [order] = await odata.getEntitySet<Record<string, any>>(set('salesOrders')).query(odata.newOptions().top(1).expand(['salesOrderLines', 'customer']));
    expect(order!.customer.id).toBe(order!.customerId);
    const lines = await client.list(set(`salesOrders(${order!.id})/salesOrderLines`));
    expect(order!.salesOrderLines.map((l: { id: string }) => l.id).sort()).toEqual(lines.map((l) => l.id).sort());
  });

  it('sends a multipart $batch: a read and a write (in its own change set), answered part by part', async () => {
    const responses = await odata.execBatchRequests([
      odata.newBatchRequest({ collection: set('customers'), params: odata.newOptions().top(1).select(['number', 'displayName']) }),
      odata.newBatchRequest({ collection: set('vendors'), method: 'POST', entity: { displayName: 'Multipart Vendor' } }),
      odata.newBatchRequest({ collection: set('vendors'), method: 'POST', entity: {} }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 201, 400]);
    const [read, created, refused]: any[] = await Promise.all(responses.map((r) => r.json()));
    expect(read.value[0]).toHaveProperty('number');
    expect(created).toMatchObject({ displayName: 'Multipart Vendor' });
    expect(refused.error.code).toBe('BadRequest_RequiredParamNotProvided');
    // The write happened once, the refused one not at all.
    expect(await client.list(set('vendors') + filter("displayName eq 'Multipart Vendor'"))).toHaveLength(1);
  });
});

describe('multipart $batch', () => {
  it('runs a change set atomically; `$<Content-ID>` addresses what an earlier operation of it created', async () => {
    const [item] = await client.list(set('items') + filter('blocked eq false', '&$top=1'));
    const [customer] = await client.list(set('customers?$top=1'));
    const body = multipart('batch_1', [
      changeset('cs_1', [
        httpPart(`POST ${set('salesOrders')} HTTP/1.1`, { customerId: customer.id }, 'order'),
        httpPart('POST $order/salesOrderLines HTTP/1.1', { itemId: item.id, quantity: 2 }, 'line'),
      ]),
      httpPart(`GET ${set('salesOrders')}?$top=1&$orderby=number%20desc&$expand=salesOrderLines HTTP/1.1`),
    ]);
    const response = await postBatch(body);
    expect(response.status, response.text).toBe(200);
    const boundary = response.contentType.split('=').pop()!;
    const [order, line, read] = await parseMultiPartContent(response.text, boundary);
    expect([order!.status, line!.status, read!.status]).toEqual([201, 201, 200]);
    const created: any = await order!.json();
    expect(await line!.json()).toMatchObject({ documentId: created.id, quantity: 2 });
    // Content-IDs are echoed on the responses of the parts that had one, and only there.
    expect(response.text.match(/^Content-ID: .*$/gm)).toEqual(['Content-ID: order', 'Content-ID: line']);
    const latest: any = await read!.json();
    expect(latest.value[0].salesOrderLines).toHaveLength(1);
  });

  it('a failing change set answers with one error response and leaves nothing behind', async () => {
    const before = await client.list(set('vendors'));
    const body = multipart('batch_1', [
      changeset('cs_1', [httpPart(`POST ${set('vendors')} HTTP/1.1`, { displayName: 'Rolled back' }, '1'), httpPart(`POST ${set('vendors')} HTTP/1.1`, {}, '2')]),
      httpPart(`POST ${set('vendors')} HTTP/1.1`, { displayName: 'Outside the change set' }),
    ]);
    const response = await postBatch(body);
    expect(response.status, response.text).toBe(200);
    const parts = await parseMultiPartContent(response.text, response.contentType.split('=').pop()!);
    expect(parts.map((p) => p.status)).toEqual([400, 201]);
    const failure: any = await parts[0]!.json();
    expect(failure.error.code).toBe('BadRequest_RequiredParamNotProvided');
    const after = await client.list(set('vendors'));
    expect(after.map((v) => v.displayName).sort()).toEqual([...before.map((v) => v.displayName), 'Outside the change set'].sort());
  });

  it('refuses malformed batches with a 400 that says why, and applies none of their operations', async () => {
    const vendors = (await client.list(set('vendors'))).length;
    const write = httpPart(`POST ${set('vendors')} HTTP/1.1`, { displayName: 'Never' });
    const cases: Array<[string, string, RegExp]> = [
      [multipart('batch_1', [write]), 'multipart/mixed', /boundary/],
      [`--batch_1\r\n${write.join('\r\n')}\r\n`, 'multipart/mixed; boundary=batch_1', /multipart/i],
      [multipart('batch_1', [write, ['Content-Type: text/plain', '', 'hello']]), 'multipart/mixed; boundary=batch_1', /application\/http/],
      [multipart('batch_1', [changeset('cs', [httpPart(`GET ${set('vendors')} HTTP/1.1`)])]), 'multipart/mixed; boundary=batch_1', /GET/],
      [multipart('batch_1', [write, ['Content-Type: application/http', '', 'NOT A REQUEST LINE']]), 'multipart/mixed; boundary=batch_1', /request line/],
      [multipart('batch_1', [write, [...httpPart(`POST ${set('vendors')} HTTP/1.1`).slice(0, -1), 'Content-Type: application/json', '', '{"displayName":']]), 'multipart/mixed; boundary=batch_1', /Invalid Request Body/],
      [multipart('batch_1', Array.from({ length: 101 }, () => httpPart(`GET ${set('vendors')} HTTP/1.1`))), 'multipart/mixed; boundary=batch_1', /at most 100/],
      [multipart('batch_1', [httpPart('GET $nope/salesOrderLines HTTP/1.1')]), 'multipart/mixed; boundary=batch_1', /./],
    ];
    for (const [body, contentType, message] of cases.slice(0, -1)) {
      const response = await postBatch(body, contentType);
      expect(response.status, body.slice(0, 200)).toBe(400);
      expect(JSON.parse(response.text).error.message).toMatch(message);
    }
    // An unknown reference fails that operation only (inside a 200 batch response).
    const [body, contentType] = cases.at(-1)!;
    const unknown = await postBatch(body, contentType);
    expect(unknown.status).toBe(200);
    expect(unknown.text).toMatch(/HTTP\/1\.1 400[\s\S]*names no earlier operation/);
    expect(await client.list(set('vendors'))).toHaveLength(vendors);
  });

  it('JSON batches keep working and honour atomicityGroup through the same executor', async () => {
    const response = await client.post('$batch', {
      requests: [
        { id: 'a', method: 'POST', url: set('vendors'), body: { displayName: 'Group member' }, atomicityGroup: 'g' },
        { id: 'b', method: 'POST', url: set('vendors'), body: {}, atomicityGroup: 'g' },
        { id: 'c', method: 'POST', url: set('vendors'), body: { displayName: 'After the group' }, dependsOn: ['g'] },
        { id: 'd', method: 'POST', url: set('vendors'), body: { displayName: 'Independent' } },
      ],
    });
    expect(response.body.responses.map((r: { status: number }) => r.status)).toEqual([424, 400, 424, 201]);
    expect(await client.list(set('vendors') + filter("displayName eq 'Group member'"))).toHaveLength(0);
    expect(await client.list(set('vendors') + filter("displayName eq 'Independent'"))).toHaveLength(1);
    // A group rolls back to where it began, so its members must be adjacent.
    const split = await client.post('$batch', {
      requests: [
        { id: 'a', method: 'POST', url: set('vendors'), body: { displayName: 'Split A' }, atomicityGroup: 'g' },
        { id: 'x', method: 'POST', url: set('vendors'), body: { displayName: 'Between' } },
        { id: 'b', method: 'POST', url: set('vendors'), body: {}, atomicityGroup: 'g' },
      ],
    });
    expect(split.status).toBe(400);
    expect(split.body.error.message).toMatch(/adjacent/);
    expect(await client.list(set('vendors') + filter("displayName eq 'Between'"))).toHaveLength(0);
  });
});

describe('service document and metadata levels', () => {
  it('serves the JSON service document at the service root, listing the entity sets of $metadata', async () => {
    for (const root of [sandbox.apiUrl, sandbox.inventoryApiUrl]) {
      const response = await client.get(`${root}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('odata-version')).toBe('4.0');
      expect(response.body['@odata.context']).toBe(`${root}/$metadata`);
      const sets = parse((await client.get(`${root}/$metadata`)).body as string).schema.entitySets.map((s) => s.name);
      expect(response.body.value.map((s: { name: string }) => s.name)).toEqual(sets);
      expect(response.body.value[0]).toEqual({ name: 'companies', kind: 'EntitySet', url: 'companies' });
    }
    expect((await client.post('', {})).status).toBe(405);
  });

  it('odata.metadata=none drops @odata.context and @odata.etag (also in expanded records) but keeps nextLink and count', async () => {
    const path = set('customers?$top=3&$count=true&$expand=paymentTerm');
    const minimal = await client.get(path);
    expect(minimal.body['@odata.context']).toBeDefined();
    expect(minimal.headers.get('content-type')).toContain('odata.metadata=minimal');
    const none = await client.get(path, { Accept: 'application/json;odata.metadata=none' });
    expect(none.headers.get('content-type')).toContain('odata.metadata=none');
    expect(none.headers.get('odata-version')).toBe('4.0');
    expect(JSON.stringify(none.body)).not.toMatch(/@odata\.(context|etag)/);
    expect(none.body['@odata.count']).toBe(minimal.body['@odata.count']);
    const stripped = JSON.parse(JSON.stringify(minimal.body, (key, value) => (key === '@odata.context' || key === '@odata.etag' ? undefined : value)));
    expect(none.body).toEqual(stripped);

    const paged = await client.get(set('items'), { Accept: 'application/json;odata.metadata=none', Prefer: 'odata.maxpagesize=2' });
    expect(paged.body['@odata.nextLink']).toContain('skiptoken');
    const [customer] = minimal.body.value;
    const single = await client.get(set(`customers(${customer.id})?$format=application/json;odata.metadata=none`));
    expect(single.body).not.toHaveProperty('@odata.etag');
    // The ETag header stays: it is HTTP, not payload control information, and PATCH needs it.
    expect(single.headers.get('etag')).toBe(customer['@odata.etag']);
  });

  it('sends OData-Version on errors too', async () => {
    const response = await client.get(set('nope'));
    expect(response.status).toBe(404);
    expect(response.headers.get('odata-version')).toBe('4.0');
  });
});
