// BC's concurrency model in the sandbox: N requests processed at once per environment, M queued, 429 beyond
// (BC's error body and Retry-After), counters in the admin stats. Slots are held with `hang` faults, so nothing
// here depends on timing: each step waits for a counter to reach a value.
import { afterEach, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { concurrencyFromEnv } from '../../../../local/bc-sandbox/concurrency.js';
import { rateLimitFromEnv } from '../../../../local/bc-sandbox/rate-limit.js';

let sandbox: BcSandbox | undefined;
const inFlight: AbortController[] = [];

afterEach(async () => {
  for (const controller of inFlight.splice(0)) controller.abort();
  await sandbox?.stop();
  sandbox = undefined;
});

async function start(concurrency: { maxActive?: number; maxQueued?: number }): Promise<{ sandbox: BcSandbox; get: (path: string, environment?: string) => { response: Promise<Response>; abort: () => void } }> {
  sandbox = await startBcSandbox({ concurrency, environments: ['sandbox', 'production'] });
  const token = await sandbox.getToken();
  const s = sandbox;
  const get = (path: string, environment = 'sandbox') => {
    const controller = new AbortController();
    inFlight.push(controller);
    const response = fetch(`${s.url}/v2.0/${s.tenant}/${environment}/api/v2.0/${path}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    // An aborted request rejects; the tests that abort one do not read it.
    response.catch(() => undefined);
    return { response, abort: () => controller.abort() };
  };
  return { sandbox: s, get };
}

const companyPath = (s: BcSandbox, set: string) => `companies(${s.companyIds()[0]})/${set}`;

describe('BC sandbox concurrency limit', () => {
  it('processes N at once, queues M, answers 429 with BC error body and Retry-After beyond, and serves the queue in order', async () => {
    const { sandbox: s, get } = await start({ maxActive: 2, maxQueued: 1 });
    s.addFault({ entitySet: 'customers', method: 'GET', hang: true, count: 2 });
    const first = get(companyPath(s, 'customers'));
    get(companyPath(s, 'customers'));
    await expect.poll(() => s.stats().concurrency.active).toBe(2);

    const queued = get(companyPath(s, 'items'));
    await expect.poll(() => s.stats().concurrency.queued).toBe(1);

    const rejected = await get(companyPath(s, 'vendors')).response;
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('1');
    const body = (await rejected.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('Application_TooManyRequests');
    expect(body.error.message).toMatch(/concurrent requests.*CorrelationId:/);

    // The first hung request goes away: its slot passes to the queued request, which is answered.
    first.abort();
    const served = await queued.response;
    expect(served.status).toBe(200);
    expect(((await served.json()) as { value: unknown[] }).value.length).toBeGreaterThan(0);

    const stats = s.stats();
    expect(stats.concurrency).toMatchObject({ maxActive: 2, maxQueued: 1, peakActive: 2, peakQueued: 1, waited: 1, rejected: 1 });
    expect(stats.byStatus['429']).toBe(1);
    // The admin route shows the same counters; DELETE clears them but not the request still in progress.
    const admin = (await (await fetch(`${s.url}/_admin/stats`)).json()) as { concurrency: { rejected: number; active: number } };
    expect(admin.concurrency.rejected).toBe(1);
    expect((await fetch(`${s.url}/_admin/stats`, { method: 'DELETE' })).status).toBe(204);
    expect(s.stats().concurrency).toMatchObject({ rejected: 0, waited: 0, active: 1 });
  });

  it('lets a queued client that goes away give up its place, so it never takes a slot later', async () => {
    const { sandbox: s, get } = await start({ maxActive: 1, maxQueued: 1 });
    s.addFault({ entitySet: 'customers', method: 'GET', hang: true, count: 1 });
    const holder = get(companyPath(s, 'customers'));
    await expect.poll(() => s.stats().concurrency.active).toBe(1);
    const leaving = get(companyPath(s, 'items'));
    await expect.poll(() => s.stats().concurrency.queued).toBe(1);
    leaving.abort();
    await expect.poll(() => s.stats().concurrency.queued).toBe(0);

    // The place is free again: a new request queues instead of being refused, and is served once the holder leaves.
    const next = get(companyPath(s, 'vendors'));
    await expect.poll(() => s.stats().concurrency.queued).toBe(1);
    holder.abort();
    expect((await next.response).status).toBe(200);
    await expect.poll(() => s.stats().concurrency.active).toBe(0);
    expect(s.stats().concurrency.rejected).toBe(0);
  });

  it('counts each environment separately', async () => {
    const { sandbox: s, get } = await start({ maxActive: 1, maxQueued: 0 });
    s.addFault({ entitySet: 'customers', method: 'GET', hang: true, count: 1 });
    get(companyPath(s, 'customers'));
    await expect.poll(() => s.stats().concurrency.active).toBe(1);
    expect((await get(companyPath(s, 'items')).response).status).toBe(429);
    // The other environment has its own slots.
    expect((await get('companies', 'production').response).status).toBe(200);
  });

  it('defaults to BC online (5 active, 95 queued) and reads the npm start variables', async () => {
    const { sandbox: s } = await start({});
    expect(s.stats().concurrency).toMatchObject({ maxActive: 5, maxQueued: 95, active: 0, queued: 0 });
    expect(concurrencyFromEnv({ BC_SANDBOX_MAX_CONCURRENT: '2', BC_SANDBOX_MAX_QUEUED: '0' })).toEqual({ maxActive: 2, maxQueued: 0 });
    expect(concurrencyFromEnv({})).toEqual({});
    expect(() => concurrencyFromEnv({ BC_SANDBOX_MAX_CONCURRENT: '0' })).toThrow(/BC_SANDBOX_MAX_CONCURRENT must be an integer ≥ 1/);
    expect(() => concurrencyFromEnv({ BC_SANDBOX_MAX_QUEUED: 'many' })).toThrow(/BC_SANDBOX_MAX_QUEUED/);
    expect(rateLimitFromEnv({ BC_SANDBOX_RATE_LIMIT: '600', BC_SANDBOX_RATE_WINDOW_SECONDS: '60' })).toEqual({ limit: 600, windowMs: 60_000 });
    expect(() => rateLimitFromEnv({ BC_SANDBOX_RATE_LIMIT: '-1' })).toThrow(/BC_SANDBOX_RATE_LIMIT/);
    await expect(startBcSandbox({ concurrency: { maxActive: 0 } })).rejects.toThrow(/maxActive/);
  });
});
