// Conformance generated from Microsoft's reference (reference/bc-api-v2.0-reference.json): for every entity set
// the sandbox serves, a fetched record carries exactly the documented properties with values of the documented
// types, every documented operation answers with its documented status, undocumented ones are refused with BC's
// code, and every error code the sandbox produces is one BC documents.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { servedEntitySets } from '../../../../local/bc-sandbox/schema.js';
import { SandboxClient, withSandboxClient } from '../../../support/sandbox-client.js';

interface ReferenceEntity {
  entityName: string;
  properties: Array<{ name: string; type: string }>;
  operationDetails?: Array<{ method: string; successStatus: string }>;
  operations: string[];
}
const reference = JSON.parse(readFileSync(new URL('../../../../reference/bc-api-v2.0-reference.json', import.meta.url), 'utf8')) as {
  entities: Record<string, ReferenceEntity>;
  errorCodes: Array<{ code: string }>;
};
const documentedCodes = new Set(reference.errorCodes.map((e) => e.code));

const typeChecks: Record<string, (v: unknown) => boolean> = {
  GUID: (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v),
  string: (v) => typeof v === 'string',
  decimal: (v) => typeof v === 'number',
  integer: (v) => Number.isInteger(v),
  int64: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  date: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
  datetime: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
};

let sandbox: BcSandbox;
let client: SandboxClient;
withSandboxClient((fixture) => ({ sandbox, client } = fixture));

function collectionPath(entitySet: string): string {
  return entitySet === 'companies' ? 'companies' : client.company(entitySet);
}

/** A valid POST body per writable entity set, and a PATCH to apply to what it created. */
async function writeFixtures(entitySet: string): Promise<{ create: Record<string, unknown>; change: Record<string, unknown> }> {
  const firstOrder = async (set: string) => (await client.list(client.company(`${set}?$top=1`)))[0].id as string;
  const item = (await client.list(client.company(`items?$filter=${encodeURIComponent("blocked eq false and type eq 'Inventory'")}&$top=1`)))[0];
  switch (entitySet) {
    case 'customers':
    case 'vendors':
      return { create: { displayName: `Conformance ${entitySet}` }, change: { displayName: 'Renamed' } };
    case 'items':
      return { create: { displayName: 'Conformance item', unitPrice: 12.5 }, change: { unitPrice: 13 } };
    case 'salesOrders':
      return { create: { customerNumber: '10000' }, change: { externalDocumentNumber: 'EXT-1' } };
    case 'purchaseOrders':
      return { create: { vendorNumber: '10000' }, change: { shipToContact: 'Receiving' } };
    case 'salesOrderLines':
      return { create: { documentId: await firstOrder('salesOrders'), lineObjectNumber: item.number, quantity: 1 }, change: { quantity: 2 } };
    case 'purchaseOrderLines':
      return { create: { documentId: await firstOrder('purchaseOrders'), itemId: item.id, quantity: 1 }, change: { quantity: 3 } };
    case 'locations':
      return { create: { code: 'CONF', displayName: 'Conformance' }, change: { city: 'Reno' } };
    case 'paymentTerms':
      return { create: { code: 'CONF', displayName: 'Net 10', dueDateCalculation: '10D' }, change: { discountPercent: 1 } };
    case 'currencies':
      return { create: { code: 'CNF', displayName: 'Conformance currency', symbol: 'C' }, change: { symbol: 'K' } };
    default:
      throw new Error(`No write fixture for ${entitySet}`);
  }
}

// The curated entities, whose reference entries carry per-operation examples and statuses; every other set of
// the catalogue is checked by catalogue-conformance.test.ts.
const curatedSets = servedEntitySets.filter((s) => reference.entities[s]?.operationDetails);

describe.each(curatedSets.map((s) => [s]))('%s conforms to the reference', (entitySet) => {
  const documented = reference.entities[entitySet]!;
  const documentedMethods = new Set((documented.operationDetails ?? []).map((o) => o.method));
  const statusOf = (method: string) => Number(documented.operationDetails!.find((o) => o.method === method)!.successStatus.split(' ')[0]);

  it('returns records with exactly the documented properties, typed as documented', async () => {
    const response = await client.get(collectionPath(entitySet));
    expect(response.status).toBe(200);
    expect(response.body['@odata.context']).toContain('$metadata#');
    const records = response.body.value as Array<Record<string, unknown>>;
    expect(records.length).toBeGreaterThan(0);
    const names = documented.properties.map((p) => p.name).sort();
    for (const record of records) {
      expect(Object.keys(record).filter((k) => k !== '@odata.etag').sort()).toEqual(names);
      expect(record['@odata.etag']).toMatch(/^W\/".+"$/);
      for (const property of documented.properties) {
        const check = typeChecks[property.type] ?? ((v: unknown) => typeof v === 'string');
        expect(check(record[property.name]), `${entitySet}.${property.name} = ${JSON.stringify(record[property.name])} is not ${property.type}`).toBe(true);
      }
    }
  });

  it('answers GET by id with the record and its ETag', async () => {
    const [first] = await client.list(`${collectionPath(entitySet)}?$top=1`);
    const response = await client.get(`${collectionPath(entitySet)}(${first.id})`);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(first.id);
    expect(response.body['@odata.context']).toMatch(/\/\$entity$/);
    expect(response.headers.get('etag')).toBe(response.body['@odata.etag']);
  });

  it('performs every documented write with the documented status and refuses the others', async () => {
    const path = collectionPath(entitySet);
    if (!documentedMethods.has('POST')) {
      const refused = await client.post(path, {});
      expect(refused.status).toBe(405);
      expect(refused.body.error.code).toBe('BadRequest_MethodNotAllowed');
      const [first] = await client.list(`${path}?$top=1`);
      for (const method of ['PATCH', 'DELETE']) {
        const response = await client.request(method, `${path}(${first.id})`, method === 'PATCH' ? {} : undefined, { 'If-Match': '*' });
        expect(response.status).toBe(405);
        expect(documentedCodes.has(response.body.error.code)).toBe(true);
      }
      return;
    }
    const fixtures = await writeFixtures(entitySet);
    const created = await client.post(path, fixtures.create);
    expect(created.status, JSON.stringify(created.body)).toBe(statusOf('POST'));
    expect(Object.keys(created.body).filter((k) => !k.startsWith('@odata.')).sort()).toEqual(documented.properties.map((p) => p.name).sort());
    const updated = await client.patch(`${path}(${created.body.id})`, fixtures.change, created.body['@odata.etag']);
    expect(updated.status, JSON.stringify(updated.body)).toBe(statusOf('PATCH'));
    for (const [key, value] of Object.entries(fixtures.change)) expect(updated.body[key]).toEqual(value);
    const deleted = await client.delete(`${path}(${created.body.id})`, updated.body['@odata.etag']);
    expect(deleted.status).toBe(statusOf('DELETE'));
    expect((await client.get(`${path}(${created.body.id})`)).status).toBe(404);
  });
});

describe('$metadata', () => {
  it('describes every served entity set with its documented properties', async () => {
    const response = await client.get('$metadata');
    expect(response.status).toBe(200);
    const xml = response.body as string;
    for (const entitySet of servedEntitySets) {
      const documented = reference.entities[entitySet]!;
      expect(xml).toContain(`<EntitySet Name="${entitySet}" EntityType="Microsoft.NAV.${documented.entityName}"`);
      const typeXml = new RegExp(`<EntityType Name="${documented.entityName}">(.*?)</EntityType>`).exec(xml)?.[1] ?? '';
      for (const property of documented.properties) expect(typeXml).toContain(`<Property Name="${property.name}"`);
    }
    expect(xml).toContain('<Action Name="shipAndInvoice" IsBound="true">');
    expect(xml).toContain('<Action Name="receiveAndInvoice" IsBound="true">');
  });
});

describe('error codes', () => {
  it('are codes BC documents, in BC error bodies with a correlation id', async () => {
    const customers = client.company('customers');
    const [customer] = await client.list(`${customers}?$top=1`);
    const cases: Array<[string, Promise<{ status: number; headers: Headers; body: any }>]> = [
      ['unknown entity set', client.get(client.company('widgets'))],
      ['unknown company', client.get('companies(00000000-0000-0000-0000-000000000001)/customers')],
      ['unknown record', client.get(`${customers}(00000000-0000-0000-0000-000000000001)`)],
      ['bad key', client.get(`${customers}(not-a-guid)`)],
      ['unknown filter field', client.get(`${customers}?$filter=${encodeURIComponent("nope eq 'x'")}`)],
      ['filter syntax', client.get(`${customers}?$filter=${encodeURIComponent('number eq')}`)],
      ['or across fields', client.get(`${customers}?$filter=${encodeURIComponent("number eq '1' or city eq 'x'")}`)],
      ['unsupported option', client.get(`${customers}?$apply=groupby((city))`)],
      ['read-only property', client.post(customers, { displayName: 'x', lastModifiedDateTime: '2026-01-01T00:00:00Z' })],
      ['unknown property', client.post(customers, { displayName: 'x', colour: 'red' })],
      ['bad date', client.post(client.company('salesOrders'), { customerNumber: '10000', orderDate: '2026-02-30' })],
      ['bad GUID', client.post(client.company('salesOrders'), { customerId: 'nope' })],
      ['bad enum', client.patch(`${customers}(${customer.id})`, { blocked: 'Sometimes' }, '*')],
      ['too long', client.post(customers, { displayName: 'x'.repeat(101) })],
      ['missing If-Match', client.patch(`${customers}(${customer.id})`, { displayName: 'y' }, undefined)],
      ['stale If-Match', client.patch(`${customers}(${customer.id})`, { displayName: 'y' }, 'W/"stale"')],
      ['required', client.post(client.company('locations'), { displayName: 'no code' })],
      ['related record', client.post(client.company('salesOrders'), { customerNumber: 'NOPE' })],
      ['duplicate', client.post(customers, { displayName: 'dup', number: '10000' })],
      ['method', client.post('companies', { name: 'x' })],
    ];
    for (const [label, pending] of cases) {
      const response = await pending;
      expect(response.status, label).toBeGreaterThanOrEqual(400);
      expect(documentedCodes.has(response.body.error.code), `${label}: ${response.body.error.code}`).toBe(true);
      const correlationId = response.headers.get('ms-correlation-x');
      expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('request-id')).toBe(correlationId);
      expect(response.body.error.message).toContain(`CorrelationId:  ${correlationId}.`);
    }
  });
});
