// The governor end to end: many callers in several simulated containers (each its own BcClient and governor,
// sharing one DynamoDB) query the BC sandbox, which enforces BC's concurrency model (2 at once, no queue) and a
// low rate limit. With the governor no request is answered 429; without it, some are. Real time: the
// governor's waiting is what is under test, and the sandbox's limits bind within a few seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BcClient, NoCapacityError, withBcDeadline } from '../../../../../functions/core/bc/index.js';
import { CapacityGovernor, CapacityStore, DEFAULT_CAPACITY_LIMITS } from '../../../../../functions/core/capacity/index.js';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { freshScope } from '../../../../support/capacity.js';

let dynamo: TestDynamo;
let sandbox: BcSandbox;

beforeAll(async () => {
  dynamo = await startDynamo();
  // 30 requests per 2 s (15/s), 2 processed at once and none queued: every excess request is a 429.
  sandbox = await startBcSandbox({ concurrency: { maxActive: 2, maxQueued: 0 }, rateLimit: { limit: 30, windowMs: 2_000 } });
});
afterAll(async () => {
  await sandbox?.stop();
  await dynamo?.stop();
});

const CONTAINERS = 3;
const CALLERS_PER_CONTAINER = 6;

/** Runs every caller's query at once; returns how many succeeded and how many failed with which error code. */
async function storm(governed: boolean): Promise<{ succeeded: number; failures: Record<string, number> }> {
  sandbox.reset();
  sandbox.resetStats();
  // BC takes a while to answer, so requests overlap and the concurrency limit binds.
  sandbox.addFault({ entitySet: 'customers', method: 'GET', latencyMs: 20 });
  const scope = freshScope();
  const companyId = sandbox.companyIds()[0]!;
  const clients = Array.from({ length: CONTAINERS }, () => {
    const governor = governed
      ? new CapacityGovernor({
          store: new CapacityStore(dynamo.doc, dynamo.tables.STATE_TABLE, scope),
          // BC's limits as the sandbox sets them, with a margin; a short burst and token life fit its 2 s window.
          limits: { ...DEFAULT_CAPACITY_LIMITS, ratePerMinute: 15 * 60, concurrency: 2, safetyMargin: 0.8, burstSeconds: 0.25, tokenTtlMs: 250, highReserve: 0 },
        })
      : null;
    return new BcClient(
      { baseUrl: sandbox.url, tokenUrl: sandbox.tokenUrl, tenant: sandbox.tenant, environment: sandbox.environment, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, companyId, maxRetries: 0 },
      { governor },
    );
  });
  // Tokens first, so the storm is BC API requests only.
  await Promise.all(clients.map((client) => client.companies()));
  sandbox.resetStats();
  const failures: Record<string, number> = {};
  let succeeded = 0;
  await withBcDeadline(Date.now() + 20_000, () =>
    Promise.all(
      clients.flatMap((client) =>
        Array.from({ length: CALLERS_PER_CONTAINER }, async () => {
          try {
            const result = await client.query('customers', { top: 1 });
            expect(result.value).toHaveLength(1);
            succeeded++;
          } catch (error) {
            const code = (error as { code?: string }).code ?? 'unknown';
            failures[code] = (failures[code] ?? 0) + 1;
          }
        }),
      ),
    ),
  );
  return { succeeded, failures };
}

describe('capacity governor against the BC sandbox', () => {
  it('turns a 429 storm into a smooth flow: 0 answers 429 with the governor, some without', async () => {
    const off = await storm(false);
    const offStats = sandbox.stats();
    expect(offStats.byStatus['429'] ?? 0).toBeGreaterThan(0);
    expect(offStats.concurrency.rejected).toBeGreaterThan(0);
    expect(off.succeeded).toBeLessThan(CONTAINERS * CALLERS_PER_CONTAINER);

    const on = await storm(true);
    const onStats = sandbox.stats();
    expect(on.failures).toEqual({});
    expect(on.succeeded).toBe(CONTAINERS * CALLERS_PER_CONTAINER);
    expect(onStats.byStatus['429']).toBeUndefined();
    expect(onStats.concurrency.rejected).toBe(0);
    expect(onStats.byStatus['200']).toBe(CONTAINERS * CALLERS_PER_CONTAINER);
  }, 30_000);

  it("answers a caller the governor cannot admit before its deadline with the client's retryable NoCapacityError, BC never called", async () => {
    sandbox.reset();
    // One token a second and a bucket of one: the second query has no token within its 100 ms.
    const governor = new CapacityGovernor({
      store: new CapacityStore(dynamo.doc, dynamo.tables.STATE_TABLE, freshScope()),
      limits: { ...DEFAULT_CAPACITY_LIMITS, ratePerMinute: 60, concurrency: 2, safetyMargin: 1, burstSeconds: 1, tokenBatch: 1, highReserve: 0 },
    });
    const companyId = sandbox.companyIds()[0]!;
    const client = new BcClient(
      { baseUrl: sandbox.url, tokenUrl: sandbox.tokenUrl, tenant: sandbox.tenant, environment: sandbox.environment, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, companyId, maxRetries: 0 },
      { governor },
    );
    await withBcDeadline(Date.now() + 20_000, () => client.query('customers', { top: 1 }));
    sandbox.resetStats();
    const refused = await withBcDeadline(Date.now() + 100, () => client.query('customers', { top: 1 })).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NoCapacityError);
    expect(refused).toMatchObject({ kind: 'throttled', retryable: true, code: 'Client_NoCapacityBeforeDeadline' });
    expect((refused as NoCapacityError).retryAfterMs).toBeGreaterThan(0);
    expect(sandbox.stats().byStatus).toEqual({});
  });
});
