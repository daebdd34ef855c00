// The sandbox's itemReservations API exists only while the extension of bc-extension/ is "installed"
// (startBcSandbox `itemReservations`, `setItemReservationsApi`): otherwise every request under
// api/bcagent/inventory/v1.0 — collection, record, $metadata, service document, $batch — gets BC's answer for a
// route no extension publishes (404 BadRequest_NotFound), while the standard API is unaffected. Requests are
// still counted, so a test can prove a caller never tried.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';

let sandbox: BcSandbox;
let token: string;
let company: string;

beforeAll(async () => {
  sandbox = await startBcSandbox({ itemReservations: false });
  token = await sandbox.getToken();
  company = sandbox.companyIds()[0]!;
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(() => {
  sandbox.setItemReservationsApi(false);
  sandbox.resetStats();
});

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const reservations = () => `${sandbox.inventoryApiUrl}/companies(${company})/itemReservations`;
/** BC's answer (its message ends with the request's CorrelationId, as BC's do). */
const notPublished = (url: string) => ({
  status: 404,
  body: { error: { code: 'BadRequest_NotFound', message: expect.stringMatching(new RegExp(`^No HTTP resource was found that matches the request URI '${escape(new URL(url).origin + new URL(url).pathname)}'\\.`)) } },
});
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('without the reservations extension', () => {
  it('answers every part of the inventory API with BC 404 for an unpublished route, and still counts the request', async () => {
    for (const url of [reservations(), `${sandbox.inventoryApiUrl}/$metadata`, sandbox.inventoryApiUrl, `${reservations()}(${company})`]) {
      expect(await call('GET', url)).toEqual(notPublished(url));
    }
    expect(await call('POST', reservations(), { itemNumber: '1896-S', locationCode: 'MAIN', quantity: 1 })).toEqual(notPublished(reservations()));
    expect(sandbox.stats().byRoute['GET itemReservations']).toBe(2);
    expect(sandbox.stats().byRoute['POST itemReservations']).toBe(1);
  });

  it('refuses a $batch sent to the inventory API whole, and an operation aimed at it inside a standard $batch', async () => {
    const inventoryBatch = `${sandbox.inventoryApiUrl}/$batch`;
    expect(await call('POST', inventoryBatch, { requests: [{ id: '1', method: 'GET', url: `companies(${company})/items` }] })).toEqual(notPublished(inventoryBatch));
    const standard = await call('POST', `${sandbox.apiUrl}/$batch`, {
      requests: [
        { id: '1', method: 'GET', url: `companies(${company})/items?$top=1` },
        { id: '2', method: 'GET', url: reservations() },
      ],
    });
    expect(standard.status).toBe(200);
    expect(standard.body.responses.map((r: { status: number }) => r.status)).toEqual([200, 404]);
    expect(standard.body.responses[1].body.error.code).toBe('BadRequest_NotFound');
  });

  it('leaves the standard API as it is', async () => {
    const items = await call('GET', `${sandbox.apiUrl}/companies(${company})/items?$top=1`);
    expect(items.status).toBe(200);
    expect(items.body.value).toHaveLength(1);
  });
});

describe('installing the extension', () => {
  it('serves the API at once, and removing it hides the reservations already made (kept for a reinstall)', async () => {
    sandbox.setItemReservationsApi(true);
    expect(sandbox.itemReservationsApi()).toBe(true);
    const item = (await call('GET', `${sandbox.apiUrl}/companies(${company})/items?$filter=type eq 'Inventory' and inventory gt 5&$top=1`)).body.value[0];
    const made = await call('POST', reservations(), { itemId: item.id, locationCode: 'MAIN', quantity: 1, sourceType: 'Other', description: 'extension test' });
    expect(made.status).toBe(201);
    expect((await call('GET', `${reservations()}(${made.body.id})`)).status).toBe(200);

    sandbox.setItemReservationsApi(false);
    expect((await call('GET', `${reservations()}(${made.body.id})`)).status).toBe(404);
    sandbox.setItemReservationsApi(true);
    const removed = await call('DELETE', `${reservations()}(${made.body.id})`, undefined, { 'if-match': made.body['@odata.etag'] });
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
  });
});
