// BC capacity: 500 query tasks from 20 sessions against the BC sandbox with limits that bind within a minute
// (5 processed at once + 95 queued, 300 requests per 60 s, ~100 ms per request), with the capacity governor off
// and on, side by side. Driven at the governed layer: the query lanes' containers (5 normal, 2 high, as
// lib/config.ts sizes them) are simulated, each with its own BcClient (and governor) taking one task at a time
// from its lane, all sharing one DynamoDB (dynalite, in this process) and one sandbox; the full local cloud would
// add minutes of Lambda plumbing without changing what BC sees. A task that fails is requeued like the worker
// queue does (3 attempts, backoff 2 s · 2^n, or the governor's retry-after). BENCH_CAPACITY_TASKS scales it.
import { performance } from 'node:perf_hooks';
import { BcClient, withBcDeadline } from '../functions/core/bc/index.js';
import { CapacityGovernor, CapacityStore, DEFAULT_CAPACITY_LIMITS, withBcPriority, type CapacityLimits } from '../functions/core/capacity/index.js';
import { startBcSandbox, type BcSandbox } from '../local/bc-sandbox/index.js';
import { startDynamo, type TestDynamo } from '../test/support/dynamo.js';

const SESSIONS = 20;
const NORMAL_CONTAINERS = 5;
const HIGH_CONTAINERS = 2;
const RATE_PER_MINUTE = 300;
const CONCURRENCY = 5;
const BC_LATENCY_MS = 100;
/** A worker invocation's time for its BC calls (the query worker's timeout less its reserve, shortened). */
const TASK_DEADLINE_MS = 30_000;
const MAX_ATTEMPTS = 3;
const BASE_BACKOFF_MS = 2_000;

const LIMITS: CapacityLimits = { ...DEFAULT_CAPACITY_LIMITS, ratePerMinute: RATE_PER_MINUTE, concurrency: CONCURRENCY, safetyMargin: 0.95 };

interface Outcome {
  elapsedS: number;
  bcRequests: number;
  bcOk: number;
  answered429: number;
  rejectedForConcurrency: number;
  peakQueued: number;
  tasksSucceeded: number;
  tasksFailed: number;
  requeues: number;
  noCapacity: number;
  dynamoCalls: number;
  highMedianMs: number;
  normalMedianMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function scenario(sandbox: BcSandbox, dynamo: TestDynamo, governed: boolean, totalTasks: number): Promise<Outcome> {
  sandbox.reset();
  sandbox.addFault({ entitySet: 'customers', method: 'GET', latencyMs: BC_LATENCY_MS });
  const scope = `bench#${governed ? 'on' : 'off'}#${Date.now()}`;
  const companyId = sandbox.companyIds()[0]!;
  const containers = Array.from({ length: NORMAL_CONTAINERS + HIGH_CONTAINERS }, (_, index) => {
    const governor = governed ? new CapacityGovernor({ store: new CapacityStore(dynamo.doc, dynamo.tables.STATE_TABLE, scope), limits: LIMITS }) : null;
    const client = new BcClient(
      { baseUrl: sandbox.url, tokenUrl: sandbox.tokenUrl, tenant: sandbox.tenant, environment: sandbox.environment, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, companyId },
      { governor },
    );
    return { governor, client, lane: (index < NORMAL_CONTAINERS ? 'normal' : 'high') as 'normal' | 'high' };
  });
  sandbox.resetStats();
  // Tasks of the 20 sessions, interleaved as they arrive; session 0 is interactive (the high lane).
  const queues: Record<'high' | 'normal', number[]> = { high: [], normal: [] };
  for (let task = 0; task < totalTasks; task++) queues[task % SESSIONS === 0 ? 'high' : 'normal'].push(task);
  let requeues = 0;
  let tasksSucceeded = 0;
  let tasksFailed = 0;
  const latencies: Record<'high' | 'normal', number[]> = { high: [], normal: [] };
  const started = performance.now();
  await Promise.all(
    containers.map(async ({ client, lane }) => {
      while (queues[lane].shift() !== undefined) {
        const taskStarted = performance.now();
        for (let attempt = 1; ; attempt++) {
          try {
            await withBcPriority(lane, () => withBcDeadline(Date.now() + TASK_DEADLINE_MS, () => client.query('customers', { top: 5 })));
            tasksSucceeded++;
            latencies[lane].push(performance.now() - taskStarted);
            break;
          } catch (error) {
            if (attempt >= MAX_ATTEMPTS) {
              tasksFailed++;
              break;
            }
            requeues++;
            const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
            await sleep(retryAfterMs ?? Math.random() * BASE_BACKOFF_MS * 2 ** attempt);
          }
        }
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const stats = sandbox.stats();
  const dynamoCalls = containers.reduce((sum, { governor }) => sum + (governor?.storeCalls ?? 0), 0);
  const noCapacity = containers.reduce((sum, { governor }) => sum + (governor?.stats.noCapacity ?? 0), 0);
  return {
    elapsedS,
    bcRequests: stats.total,
    bcOk: stats.byStatus['200'] ?? 0,
    answered429: stats.byStatus['429'] ?? 0,
    rejectedForConcurrency: stats.concurrency.rejected,
    peakQueued: stats.concurrency.peakQueued,
    tasksSucceeded,
    tasksFailed,
    requeues,
    noCapacity,
    dynamoCalls,
    highMedianMs: median(latencies.high),
    normalMedianMs: median(latencies.normal),
  };
}

export async function run(): Promise<void> {
  const totalTasks = Number(process.env.BENCH_CAPACITY_TASKS ?? 500);
  const dynamo = await startDynamo();
  const sandbox = await startBcSandbox({ concurrency: { maxActive: CONCURRENCY, maxQueued: 95 }, rateLimit: { limit: RATE_PER_MINUTE, windowMs: 60_000 } });
  try {
    console.log(
      `driver: BC client (the governed layer) in ${NORMAL_CONTAINERS} + ${HIGH_CONTAINERS} simulated query-lane containers (normal + high) serving ${SESSIONS} sessions, against the BC sandbox ` +
        `(${CONCURRENCY} at once + 95 queued, ${RATE_PER_MINUTE}/min, ~${BC_LATENCY_MS} ms per request) and dynalite; ${totalTasks} query tasks, ` +
        `governor margin ${LIMITS.safetyMargin}, session 0's tasks in the high lane`,
    );
    const off = await scenario(sandbox, dynamo, false, totalTasks);
    const on = await scenario(sandbox, dynamo, true, totalTasks);
    const configuredPerS = RATE_PER_MINUTE / 60;
    const rows: Array<[string, (o: Outcome) => string]> = [
      ['elapsed', (o) => `${o.elapsedS.toFixed(1)} s`],
      ['BC throughput (200s / s)', (o) => `${(o.bcOk / o.elapsedS).toFixed(2)}`],
      ['  vs configured rate', (o) => `${((o.bcOk / o.elapsedS / configuredPerS) * 100).toFixed(1)} %`],
      ['BC requests', (o) => String(o.bcRequests)],
      ['rejected for concurrency', (o) => String(o.rejectedForConcurrency)],
      ['peak queued at BC', (o) => String(o.peakQueued)],
      ['answered 429', (o) => `${o.answered429} (${((o.answered429 / Math.max(1, o.bcRequests)) * 100).toFixed(1)} %)`],
      ['tasks succeeded', (o) => `${o.tasksSucceeded}/${totalTasks}`],
      ['tasks requeued / failed', (o) => `${o.requeues} / ${o.tasksFailed}`],
      ['no capacity before deadline', (o) => String(o.noCapacity)],
      ['task median: high / normal', (o) => `${o.highMedianMs.toFixed(0)} / ${o.normalMedianMs.toFixed(0)} ms`],
      ['DynamoDB calls per BC request', (o) => (o.dynamoCalls === 0 ? '-' : (o.dynamoCalls / Math.max(1, o.bcRequests)).toFixed(2))],
    ];
    console.log(`${''.padEnd(32)}${'governor off'.padEnd(22)}governor on`);
    for (const [label, value] of rows) console.log(`${label.padEnd(32)}${value(off).padEnd(22)}${value(on)}`);
  } finally {
    await sandbox.stop();
    await dynamo.stop();
  }
}
