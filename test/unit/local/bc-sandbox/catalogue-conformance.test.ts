// Every entity set of the catalogue (≥ 40, generated from Microsoft's docs and API pages) against the reference:
// the sandbox serves it with records carrying exactly the documented properties, answers GET by id, refuses the
// operations the docs do not list with BC's code, and refuses a write to each read-only field with BC's own
// error (BadRequest_InvalidOperation, "Control '<field>' is read-only") — balanceDue included.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entitySetNames, findEntitySet } from '../../../../functions/core/bc/entities.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { servedEntitySets } from '../../../../local/bc-sandbox/schema.js';
import { catalogueOf } from '../../../../scripts/gen-bc-entities.js';
import { SandboxClient } from '../../../support/sandbox-client.js';

const reference = JSON.parse(readFileSync(new URL('../../../../reference/bc-api-v2.0-reference.json', import.meta.url), 'utf8'));

let sandbox: BcSandbox;
let client: SandboxClient;
beforeAll(async () => {
  sandbox = await startBcSandbox();
  client = await SandboxClient.connect(sandbox);
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('the catalogue', () => {
  it('has at least 40 API v2.0 entity sets, all generated from the reference and all served', () => {
    expect(entitySetNames.length).toBeGreaterThanOrEqual(40);
    for (const name of ['salesInvoices', 'salesInvoiceLines', 'salesQuotes', 'salesQuoteLines', 'salesCreditMemos', 'purchaseInvoices',
      'purchaseInvoiceLines', 'purchaseReceipts', 'contacts', 'employees', 'accounts', 'generalLedgerEntries', 'dimensions', 'dimensionValues',
      'itemCategories', 'unitsOfMeasure', 'journals', 'journalLines', 'countriesRegions', 'paymentMethods', 'shipmentMethods', 'taxGroups',
      'projects', 'bankAccounts', 'customerPayments', 'vendorPayments', 'attachments']) {
      expect(entitySetNames, name).toContain(name);
    }
    expect(JSON.parse(JSON.stringify(catalogueOf(reference)))).toEqual(JSON.parse(readFileSync(new URL('../../../../functions/core/bc/entities.json', import.meta.url), 'utf8')));
    expect([...servedEntitySets].sort()).toEqual([...entitySetNames].sort());
  });

  it('never turns a field the docs are silent on into a writable one without its API page saying so', () => {
    expect(findEntitySet('customers')!.properties.find((p) => p.name === 'balanceDue')!.readOnly).toBe(true);
    expect(findEntitySet('customers')!.properties.find((p) => p.name === 'displayName')!.readOnly).toBe(false);
    for (const [entitySet, entity] of Object.entries<any>(reference.entities)) {
      for (const property of entity.properties) {
        const generated = findEntitySet(entitySet)!.properties.find((p) => p.name === property.name)!;
        if (!generated.readOnly) expect(property.editableInApiPage, `${entitySet}.${property.name}`).toBe(true);
      }
    }
    expect(findEntitySet('generalLedgerEntries')!.properties.every((p) => p.readOnly)).toBe(true);
  });
});

const typeOk = (type: string, v: unknown): boolean =>
  ({ GUID: typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v), decimal: typeof v === 'number', integer: Number.isInteger(v), int64: Number.isInteger(v),
    boolean: typeof v === 'boolean', date: typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) } as Record<string, boolean>)[type] ?? (v !== undefined && v !== null);

function pathOf(entitySet: string, parentId?: string): string {
  const parent = findEntitySet(entitySet)!.parentPath;
  return parent && parentId ? client.company(`${parent.replace('{id}', parentId)}/${entitySet}`) : client.company(entitySet);
}

describe.each(servedEntitySets.filter((s) => s !== 'companies').map((s) => [s]))('%s', (entitySet) => {
  const definition = findEntitySet(entitySet)!;
  const documented = reference.entities[entitySet];

  async function firstRecord(): Promise<{ path: string; record: Record<string, any> }> {
    if (!definition.parentPath) {
      const [record] = await client.list(`${pathOf(entitySet)}?$top=1`);
      return { path: pathOf(entitySet), record };
    }
    const parentSet = definition.parentPath.replace('({id})', '');
    for (const parent of await client.list(client.company(parentSet))) {
      const [record] = await client.list(pathOf(entitySet, parent.id));
      if (record) return { path: pathOf(entitySet, parent.id), record };
    }
    throw new Error(`no ${entitySet} under any ${parentSet}`);
  }

  it('serves seeded records with exactly the documented properties, typed as documented, and by id', async () => {
    const { path, record } = await firstRecord();
    expect(Object.keys(record).filter((k) => k !== '@odata.etag').sort()).toEqual(documented.properties.map((p: any) => p.name).sort());
    for (const property of documented.properties) expect(typeOk(property.type, record[property.name]), `${property.name}=${JSON.stringify(record[property.name])}`).toBe(true);
    const byId = await client.get(`${path}(${record.id})`);
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(record.id);
  });

  it('refuses undocumented operations and every read-only field on write with BC\'s error', async () => {
    const { path, record } = await firstRecord();
    if (!definition.operations.includes('POST')) {
      const refused = await client.post(path, {});
      expect(refused.status).toBe(405);
      expect(refused.body.error.code).toBe('BadRequest_MethodNotAllowed');
    }
    if (!definition.operations.includes('PATCH')) {
      const refused = await client.patch(`${path}(${record.id})`, {}, '*');
      expect(refused.status).toBe(405);
      return;
    }
    for (const property of definition.properties.filter((p) => p.readOnly)) {
      const response = await client.patch(`${path}(${record.id})`, { [property.name]: record[property.name] }, '*');
      expect(response.status, property.name).toBe(400);
      expect(response.body.error.code).toBe('BadRequest_InvalidOperation');
      expect(response.body.error.message).toContain(`Control '${property.name}' is read-only`);
    }
    const unchanged = await client.get(`${path}(${record.id})`);
    expect(unchanged.body['@odata.etag']).toBe(record['@odata.etag']);
  });
});
