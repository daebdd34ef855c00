// Everything around the API: the seed, OAuth tokens and their expiry, BC's rate limit, fault injection and the
// admin contract of ARCHITECTURE §10, request statistics, reset, persistence, addressing errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { buildSeed } from '../../../../local/bc-sandbox/seed.js';
import { SandboxClient, filter } from '../../../support/sandbox-client.js';

let clock = Date.parse('2026-03-01T12:00:00Z');
let sandbox: BcSandbox;
let client: SandboxClient;

beforeAll(async () => {
  sandbox = await startBcSandbox({ now: () => clock, tokenTtlSeconds: 600, environments: ['sandbox', 'production'] });
  client = await SandboxClient.connect(sandbox);
});
beforeEach(() => {
  sandbox.reset();
  sandbox.resetStats();
});
afterAll(async () => {
  await sandbox?.stop();
});

const tokenRequest = (form: Record<string, string>, tenant = 'local') =>
  fetch(`${sandbox.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
const goodForm = { grant_type: 'client_credentials', client_id: 'local-client', client_secret: 'local-secret', scope: 'https://api.businesscentral.dynamics.com/.default' };

describe('seed', () => {
  it('is deterministic and has the demo data the design asks for', async () => {
    expect(JSON.stringify(buildSeed())).toBe(JSON.stringify(buildSeed()));
    const companies = await client.list('companies');
    expect(companies.length).toBeGreaterThanOrEqual(2);
    const count = async (set: string) => (await client.list(client.company(set))).length;
    expect(await count('customers')).toBeGreaterThanOrEqual(30);
    expect(await count('vendors')).toBe(15);
    expect(await count('items')).toBe(40);
    expect((await client.list(client.company('items') + filter("type eq 'Inventory' and inventory gt 0"))).length).toBeGreaterThanOrEqual(38);
    expect(await client.list(client.company('items') + filter('blocked eq true'))).toHaveLength(1);
    expect(await client.list(client.company('customers') + filter("contains(displayName, '''')"))).not.toHaveLength(0);
    // Numbers are Code fields: BC sorts them as text, so 100000 comes before 20000.
    const vendorNumbers = (await client.list(client.company('vendors'))).map((v) => v.number);
    expect(vendorNumbers.slice(0, 3)).toEqual(['10000', '100000', '110000']);
    expect([...vendorNumbers].sort((a, b) => Number(a) - Number(b)).slice(0, 3)).toEqual(['10000', '20000', '30000']);
    for (const set of ['salesOrders', 'salesOrderLines', 'purchaseOrders', 'purchaseOrderLines', 'locations', 'paymentTerms', 'currencies', 'itemLedgerEntries']) {
      expect(await count(set), set).toBeGreaterThan(0);
    }
    const second = await client.list(`companies(${companies[1].id})/customers`);
    expect(second.length).toBeGreaterThan(0);
  });
});

describe('OAuth', () => {
  it('issues bearer tokens for client credentials', async () => {
    const response = await tokenRequest(goodForm);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    expect(typeof body.access_token).toBe('string');
  });

  it('answers bad credentials the way Entra does', async () => {
    const cases: Array<[Record<string, string>, string, number, string]> = [
      [{ ...goodForm, client_secret: 'wrong' }, 'local', 401, 'invalid_client'],
      [{ ...goodForm, client_id: 'someone-else' }, 'local', 400, 'unauthorized_client'],
      [{ ...goodForm, grant_type: 'password' }, 'local', 400, 'unsupported_grant_type'],
      [{ ...goodForm, scope: 'https://api.businesscentral.dynamics.com/user_impersonation' }, 'local', 400, 'invalid_scope'],
      [goodForm, 'other-tenant', 400, 'invalid_request'],
    ];
    for (const [form, tenant, status, error] of cases) {
      const response = await tokenRequest(form, tenant);
      expect(response.status, error).toBe(status);
      expect(((await response.json()) as { error: string }).error).toBe(error);
    }
  });

  it('refuses API calls without a valid, unexpired token with 401 and BC error body', async () => {
    for (const authorization of [undefined, 'Bearer nonsense', 'Basic bG9jYWw6c2VjcmV0']) {
      const response = await fetch(`${sandbox.apiUrl}/companies`, { headers: authorization ? { Authorization: authorization } : {} });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('Authentication_InvalidCredentials');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const shortLived = await SandboxClient.connect(sandbox);
    expect((await shortLived.get('companies')).status).toBe(200);
    clock += 599_000;
    expect((await shortLived.get('companies')).status).toBe(200);
    clock += 2_000;
    expect((await shortLived.get('companies')).status).toBe(401);
    client = await SandboxClient.connect(sandbox);
  });
});

describe('addressing', () => {
  it('serves every configured environment and refuses unknown tenants and environments', async () => {
    const token = await sandbox.getToken();
    const get = (url: string) => fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    expect((await get(`${sandbox.url}/v2.0/local/production/api/v2.0/companies`)).status).toBe(200);
    for (const url of [`${sandbox.url}/v2.0/local/staging/api/v2.0/companies`, `${sandbox.url}/v2.0/contoso/sandbox/api/v2.0/companies`]) {
      const response = await get(url);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('Internal_TenantUnavailable');
    }
    expect((await get(`${sandbox.url}/v2.0/local/sandbox/api/v1.0/companies`)).status).toBe(404);
  });

  it('listens on loopback only', async () => {
    await expect(startBcSandbox({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback/);
    expect(new URL(sandbox.url).hostname).toBe('127.0.0.1');
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After beyond the window limit and recovers when the window slides', async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const limited = await startBcSandbox({ now: () => now, rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const limitedClient = await SandboxClient.connect(limited);
      for (let i = 0; i < 3; i++) expect((await limitedClient.get('companies')).status).toBe(200);
      now += 10_000;
      const throttled = await limitedClient.get('companies');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('50');
      expect(throttled.body.error.message).toContain('CorrelationId');
      now += 50_001;
      expect((await limitedClient.get('companies')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it("defaults to BC online's documented limit of 6000 requests per five minutes", async () => {
    const { defaultRateLimit } = await import('../../../../local/bc-sandbox/rate-limit.js');
    expect(defaultRateLimit).toEqual({ limit: 6000, windowMs: 300_000 });
  });
});

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${sandbox.url}/_admin/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('fault injection (admin API)', () => {
  beforeEach(() => sandbox.clearFaults());

  it('injects a status for one entity set and method, count times', async () => {
    expect((await admin('POST', 'faults', { entitySet: 'customers', method: 'get', status: 500, count: 2 })).status).toBe(201);
    const customers = client.company('customers');
    const first = await client.get(customers);
    expect(first.status).toBe(500);
    expect(first.body.error.code).toBe('Internal_ServerError');
    expect((await client.get(client.company('vendors'))).status).toBe(200);
    expect((await client.post(customers, { displayName: 'Unaffected' })).status).toBe(201);
    expect((await client.get(customers)).status).toBe(500);
    expect((await client.get(customers)).status).toBe(200);
  });

  it('applies rate deterministically and sends Retry-After with 429', async () => {
    await admin('POST', 'faults', { status: 429, rate: 0.5, retryAfterSeconds: 2 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const response = await client.get('companies');
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 429, 200, 429, 200, 429]);
    expect(retryAfter).toBe('2');
    expect((await admin('GET', 'faults')).body.value[0]).toMatchObject({ fired: 3, matched: 6 });
    expect((await admin('DELETE', 'faults')).status).toBe(204);
    expect((await client.get('companies')).status).toBe(200);
  });

  it('adds latency, and hangs until the client gives up', async () => {
    await admin('POST', 'faults', { entitySet: 'items', latencyMs: 60, count: 1 });
    const started = performance.now();
    expect((await client.get(client.company('items?$top=1'))).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    await admin('POST', 'faults', { entitySet: 'vendors', hang: true, count: 1 });
    const token = await sandbox.getToken();
    await expect(
      fetch(`${sandbox.apiUrl}/${client.company('vendors')}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(150) }),
    ).rejects.toThrow();
    expect((await client.get(client.company('vendors?$top=1'))).status).toBe(200);
  });

  it('refuses malformed rules', async () => {
    for (const rule of [{ status: 200 }, { rate: 2, status: 500 }, { count: 0, status: 500 }, { entitySet: 'items' }, { status: 500, colour: 'red' }, 'x']) {
      expect((await admin('POST', 'faults', rule)).status, JSON.stringify(rule)).toBe(400);
    }
  });
});

describe('statistics and reset', () => {
  it('counts requests in total and by method and entity set', async () => {
    await admin('DELETE', 'stats');
    await client.get(client.company('customers'));
    await client.get(client.company('customers?$top=1'));
    await client.post(client.company('vendors'), { displayName: 'Counted' });
    await client.get('companies');
    const stats = (await admin('GET', 'stats')).body;
    expect(stats.total).toBe(4);
    expect(stats.byRoute).toEqual({ 'GET customers': 2, 'POST vendors': 1, 'GET companies': 1 });
    expect(sandbox.stats().byStatus).toMatchObject({ 200: 3, 201: 1 });
    expect((await admin('DELETE', 'stats')).status).toBe(204);
    expect(sandbox.stats().total).toBe(0);
  });

  it('restores the seed on POST /_admin/reset', async () => {
    const created = await client.post(client.company('vendors'), { displayName: 'Temporary' });
    expect((await admin('POST', 'reset')).status).toBe(204);
    expect((await client.get(client.company(`vendors(${created.body.id})`))).status).toBe(404);
    expect(await client.list(client.company('vendors'))).toHaveLength(15);
  });
});

describe('persistence', () => {
  it('keeps data in the state file across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bc-sandbox-'));
    const stateFile = join(dir, 'nested', 'bc-sandbox.json');
    try {
      const first = await startBcSandbox({ stateFile });
      const firstClient = await SandboxClient.connect(first);
      const created = await firstClient.post(firstClient.company('vendors'), { displayName: 'Survives Restart' });
      await first.stop();
      const second = await startBcSandbox({ stateFile });
      try {
        const secondClient = await SandboxClient.connect(second);
        const found = await secondClient.get(secondClient.company(`vendors(${created.body.id})`));
        expect(found.body.displayName).toBe('Survives Restart');
        expect(found.body['@odata.etag']).toBe(created.body['@odata.etag']);
        second.reset();
        expect((await secondClient.get(secondClient.company(`vendors(${created.body.id})`))).status).toBe(404);
      } finally {
        await second.stop();
      }
      const third = await startBcSandbox({ stateFile });
      const thirdClient = await SandboxClient.connect(third);
      expect(await thirdClient.list(thirdClient.company('vendors') + filter("displayName eq 'Survives Restart'"))).toEqual([]);
      await third.stop();
      writeFileSync(stateFile, '{ not json');
      await expect(startBcSandbox({ stateFile })).rejects.toThrow(/not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
