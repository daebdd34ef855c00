// BC capacity: 500 query tasks from 20 sessions against the BC sandbox with limits that bind within a minute
// (5 processed at once + 95 queued, 300 requests per 60 s, ~100 ms per request), with the capacity governor off
// and on, side by side. Driven at the governed layer: the query lanes' containers (5 normal, 2 high, as
// lib/config.ts sizes them) are simulated, each with its own BcClient (and governor) taking one task at a time
// from its lane, all sharing one DynamoDB (dynalite, in this process) and one sandbox; the full local cloud would
// add minutes of Lambda plumbing without changing what BC sees. A task that fails is requeued like the worker
// queue does (3 attempts, backoff 2 s · 2^n, or the governor's retry-after). BENCH_CAPACITY_TASKS scales it.
// The 19 batch sessions' tasks are all queued at the start (a backlog that keeps the rate binding); session 0 is
// interactive: its tasks reach the high lane one at a time, spread over the run (a user's messages), so each
// one meets the contention. Per lane: the task's latency (from when a container takes it) and the wait for capacity of its BC
// requests, over all requests and over those that had to wait for the shared budget (the local token batch
// of a container serves most requests of a busy one without waiting at all). BENCH_CAPACITY_HIGH=backlog queues the
// interactive session's tasks at the start too (then the high lane alone asks for more than the rate).
import { performance } from 'node:perf_hooks';
import { BcClient, withBcDeadline } from '../functions/core/bc/index.js';
import { CapacityGovernor, CapacityStore, DEFAULT_CAPACITY_LIMITS, currentBcPriority, withBcPriority, type CapacityLimits } from '../functions/core/capacity/index.js';
import { startBcSandbox, type BcSandbox } from '../local/bc-sandbox/index.js';
import { startDynamo, type TestDynamo } from '../test/support/dynamo.js';
import { percentile } from './support/stats.js';

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
  dynamoByKind: { reads: number; writes: number; conflicts: number };
  latency: Record<Lane, number[]>;
  waits: Record<Lane, number[]>;
}

type Lane = 'high' | 'normal';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

async function scenario(sandbox: BcSandbox, dynamo: TestDynamo, governed: boolean, totalTasks: number): Promise<Outcome> {
  sandbox.reset();
  sandbox.addFault({ entitySet: 'customers', method: 'GET', latencyMs: BC_LATENCY_MS });
  const scope = `bench#${governed ? 'on' : 'off'}#${Date.now()}`;
  const companyId = sandbox.companyIds()[0]!;
  const waits: Record<Lane, number[]> = { high: [], normal: [] };
  const containers = Array.from({ length: NORMAL_CONTAINERS + HIGH_CONTAINERS }, (_, index) => {
    const governor = governed ? new CapacityGovernor({ store: new CapacityStore(dynamo.doc, dynamo.tables.STATE_TABLE, scope), limits: LIMITS }) : null;
    // The transport's view of the governor, timing each admission by the lane of the work in progress.
    const timed = governor && {
      acquire: async (priority?: undefined, deadline?: number) => {
        const asked = performance.now();
        const permit = await governor.acquire(priority, deadline);
        waits[currentBcPriority()].push(performance.now() - asked);
        return permit;
      },
      throttled: (retryAfterMs: number | undefined) => governor.throttled(retryAfterMs),
    };
    const client = new BcClient(
      { baseUrl: sandbox.url, tokenUrl: sandbox.tokenUrl, tenant: sandbox.tenant, environment: sandbox.environment, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, companyId },
      { governor: timed },
    );
    return { governor, client, lane: (index < NORMAL_CONTAINERS ? 'normal' : 'high') as 'normal' | 'high' };
  });
  sandbox.resetStats();
  // Tasks of the 20 sessions: the batch sessions' all queued now, the interactive session's (the high lane) one
  // every SESSIONS / rate seconds, so they spread over the run.
  const started = performance.now();
  const queues: Record<Lane, number[]> = { high: [], normal: [] };
  const highTasks = Array.from({ length: totalTasks }, (_, task) => task).filter((task) => task % SESSIONS === 0);
  for (let task = 0; task < totalTasks; task++) if (task % SESSIONS !== 0) queues.normal.push(task);
  const arrivalGapMs = process.env.BENCH_CAPACITY_HIGH === 'backlog' ? 0 : (SESSIONS / (RATE_PER_MINUTE / 60)) * 1000;
  let highArrived = 0;
  const arrivals = highTasks.map((task, i) =>
    sleep(i * arrivalGapMs).then(() => {
      queues.high.push(task);
      highArrived++;
    }),
  );
  let requeues = 0;
  let tasksSucceeded = 0;
  let tasksFailed = 0;
  const latencies: Record<Lane, number[]> = { high: [], normal: [] };
  const next = async (lane: Lane): Promise<number | undefined> => {
    for (;;) {
      const arrived = queues[lane].shift();
      if (arrived !== undefined || lane === 'normal' || highArrived === highTasks.length) return arrived;
      await sleep(20);
    }
  };
  await Promise.all([
    ...arrivals,
    ...containers.map(async ({ client, lane }) => {
      while ((await next(lane)) !== undefined) {
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
  ]);
  const elapsedS = (performance.now() - started) / 1000;
  const stats = sandbox.stats();
  const dynamoCalls = containers.reduce((sum, { governor }) => sum + (governor?.storeCalls ?? 0), 0);
  const dynamoByKind = { reads: 0, writes: 0, conflicts: 0 };
  for (const { governor } of containers) {
    const counters = governor?.storeCounters;
    if (!counters) continue;
    dynamoByKind.reads += counters.reads;
    dynamoByKind.writes += counters.writes;
    dynamoByKind.conflicts += counters.conflicts;
  }
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
    dynamoByKind,
    latency: latencies,
    waits,
  };
}

function ms(value: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(0);
}

/** A wait statistic per lane; '-' without a governor (nothing waits for one). */
function waitOf(o: Outcome, stat: (waits: number[]) => number, unit = ' ms'): string {
  if (o.waits.high.length + o.waits.normal.length === 0) return '-';
  return `${ms(stat(o.waits.high))} / ${ms(stat(o.waits.normal))}${unit}`;
}

export async function run(): Promise<void> {
  const totalTasks = Number(process.env.BENCH_CAPACITY_TASKS ?? 500);
  const dynamo = await startDynamo();
  const sandbox = await startBcSandbox({ concurrency: { maxActive: CONCURRENCY, maxQueued: 95 }, rateLimit: { limit: RATE_PER_MINUTE, windowMs: 60_000 } });
  try {
    console.log(
      `driver: BC client (the governed layer) in ${NORMAL_CONTAINERS} + ${HIGH_CONTAINERS} simulated query-lane containers (normal + high) serving ${SESSIONS} sessions, against the BC sandbox ` +
        `(${CONCURRENCY} at once + 95 queued, ${RATE_PER_MINUTE}/min, ~${BC_LATENCY_MS} ms per request) and dynalite; ${totalTasks} query tasks, ` +
        `governor margin ${LIMITS.safetyMargin}; the 19 batch sessions' tasks queued at the start, interactive session 0's tasks ` +
        (process.env.BENCH_CAPACITY_HIGH === 'backlog' ? '(the high lane) queued at the start too' : `(the high lane) arriving one every ${(SESSIONS / (RATE_PER_MINUTE / 60)).toFixed(0)} s`),
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
      ['task latency median: high / normal', (o) => `${ms(percentile(o.latency.high, 50))} / ${ms(percentile(o.latency.normal, 50))} ms`],
      ['task latency p95: high / normal', (o) => `${ms(percentile(o.latency.high, 95))} / ${ms(percentile(o.latency.normal, 95))} ms`],
      ['capacity wait median: high / normal', (o) => waitOf(o, (w) => percentile(w, 50))],
      ['capacity wait p95: high / normal', (o) => waitOf(o, (w) => percentile(w, 95))],
      ['capacity wait mean: high / normal', (o) => waitOf(o, mean)],
      ['requests that waited: high / normal', (o) => waitOf(o, (w) => (w.filter((v) => v > 1).length / Math.max(1, w.length)) * 100, ' %')],
      ['  their wait median: high / normal', (o) => waitOf(o, (w) => percentile(w.filter((v) => v > 1), 50))],
      ['  their wait p95: high / normal', (o) => waitOf(o, (w) => percentile(w.filter((v) => v > 1), 95))],
      ['DynamoDB calls per BC request', (o) => (o.dynamoCalls === 0 ? '-' : (o.dynamoCalls / Math.max(1, o.bcRequests)).toFixed(2))],
      ['  reads / writes (lost races)', (o) => (o.dynamoCalls === 0 ? '-' : `${o.dynamoByKind.reads} / ${o.dynamoByKind.writes} (${o.dynamoByKind.conflicts})`)],
    ];
    console.log(`${''.padEnd(38)}${'governor off'.padEnd(22)}governor on`);
    for (const [label, value] of rows) console.log(`${label.padEnd(38)}${value(off).padEnd(22)}${value(on)}`);
  } finally {
    await sandbox.stop();
    await dynamo.stop();
  }
}
