// Local cloud figures: synthesis (cached or not), start until every part answers, and per Lambda its bundle
// size (minified index.mjs), what dominates it (esbuild's metafile from the CDK bundling, grouped by package)
// and its module init time, then what the first events cost the functions a chat message runs.
// Init is measured on fresh workers in rounds over every function (a burst of load on this shared machine then
// touches every function alike, not one), as the worker thread's CPU time: its median (the target's figure),
// its least (the cost with the least interference) and the wall-time median beside it. Targets: start ≤ 60 s
// on 2 cores and each bundle ≤ 500 KB (issue 2), each init ≤ 150 ms CPU (issue 13).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FunctionRunner, type InvocationStats, type LocalCloud, PROJECT_ROOT, shortFunctionName, startLocalCloud, synthesizeDevStack, waitUntilAnswering,
} from '../local/cloud/index.js';
import { median } from './support/stats.js';

const BUNDLE_TARGET_KB = 500;
const INIT_TARGET_MS = 150;
/** Fresh workers per function (rounds); BENCH_INIT_SAMPLES overrides. */
const INIT_SAMPLES = Number(process.env.BENCH_INIT_SAMPLES ?? 9);
/** Standard sets only: the stack's default list names the custom itemReservations API the MCP config refuses. */
const WRITABLE_SETS = 'customers,vendors,items,salesOrders,salesOrderLines,purchaseOrders,purchaseOrderLines';
/** Messages whose first run starts the functions of a query, an analysis and a write (up to its approval). */
const FIRST_EVENT_MESSAGES = [
  'count customers',
  'get vendor 10000 then analyze vendors by balance; count items',
  "create customer displayName='Cold Start Co'",
];
const TOP_INPUTS = 3;

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/** What an input file belongs to: its npm package, or functions/<area>/<module> for the project's own code. */
export function inputGroup(path: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  const own = /(functions\/(?:core\/)?[^/]+)/.exec(path);
  return own ? own[1]! : path;
}

/** The bundle's largest contributors (bytes in the output), grouped by package. */
export function largestInputs(metafile: Metafile, count: number): Array<{ group: string; bytes: number }> {
  const output = Object.entries(metafile.outputs).find(([name]) => name.endsWith('.mjs'))?.[1];
  if (!output) return [];
  const groups = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const group = inputGroup(path);
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  return [...groups].map(([group, bytes]) => ({ group, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, count);
}


export async function run(): Promise<void> {
  const synthStarted = performance.now();
  const synth = await synthesizeDevStack({ outdir: join(PROJECT_ROOT, '.local', 'bench-cdk.out') });
  const synthMs = performance.now() - synthStarted;
  console.log(`synthesis: ${(synthMs / 1000).toFixed(1)} s${synth.cached ? ' (cached: sources unchanged)' : ''}`);

  const stateDir = await mkdtemp(join(tmpdir(), 'bench-local-cloud-'));
  try {
    const started = performance.now();
    const cloud = await startLocalCloud({
      stateDir,
      synthDir: synth.assemblyDir,
      ports: { api: 0, aws: 0, bc: 0, mcp: 0, websocket: 0 },
      env: { BC_WRITABLE_ENTITY_SETS: WRITABLE_SETS },
      onLog: () => undefined,
      onError: () => undefined,
    });
    try {
      await waitUntilAnswering(cloud.urls, 30_000);
      const startMs = performance.now() - started;
      console.log(`local cloud start (assembly ready → every part answers): ${startMs.toFixed(0)} ms`);
      console.log(`npm start estimate (synthesis as above + start): ${((synthMs + startMs) / 1000).toFixed(1)} s (target ≤ 60 s)`);

      const functions = await Promise.all(
        cloud.lambda.functions.map(async (fn) => {
          const metafile = fn.codeDir
            ? (JSON.parse(await readFile(join(fn.codeDir, 'index.meta.json'), 'utf8').catch(() => '{"outputs":{}}')) as Metafile)
            : { outputs: {} };
          return {
            ref: fn.name,
            name: shortFunctionName(fn.name).replace(/Function$/, ''),
            bundleKb: fn.codeDir ? (await stat(join(fn.codeDir, 'index.mjs'))).size / 1024 : Number.NaN,
            inputs: largestInputs(metafile, TOP_INPUTS),
            cpu: [] as number[],
            wall: [] as number[],
            error: undefined as string | undefined,
          };
        }),
      );
      for (let round = 0; round < INIT_SAMPLES; round += 1) {
        for (const fn of functions) {
          if (fn.error) continue;
          try {
            const { initMs, initCpuMs } = await cloud.lambda.measureInit(fn.ref);
            fn.wall.push(initMs);
            fn.cpu.push(initCpuMs);
          } catch (error) {
            fn.error = (error as Error).message;
          }
        }
      }

      // CPU time still grows with contention (shared caches and cores): the machine's load says how much to trust it.
      const load = loadavg()[0]!.toFixed(1);
      console.log(`\ninit: ${INIT_SAMPLES} fresh workers per function, in rounds over all functions (worker-thread CPU ms: median and least; wall ms: median); load average ${load} at the end`);
      console.log(`${'function'.padEnd(32)} ${'bundle KB'.padStart(9)} ${'cpu ms'.padStart(7)} ${'least'.padStart(6)} ${'wall ms'.padStart(8)}  largest inputs (KB)`);
      const over: string[] = [];
      for (const fn of functions) {
        const flags: string[] = [];
        const cpuMs = fn.error ? Number.NaN : median(fn.cpu);
        if (fn.error) flags.push(`init failed: ${fn.error}`);
        else if (cpuMs > INIT_TARGET_MS) flags.push('init');
        if (fn.bundleKb > BUNDLE_TARGET_KB) flags.push('bundle');
        if (flags.length) over.push(`${fn.name} (${flags.join(', ')})`);
        const inputs = fn.inputs.map(({ group, bytes }) => `${group} ${(bytes / 1024).toFixed(0)}`).join(', ');
        const figures = fn.error
          ? 'failed'.padStart(7 + 1 + 6 + 1 + 8)
          : `${cpuMs.toFixed(0).padStart(7)} ${Math.min(...fn.cpu).toFixed(0).padStart(6)} ${median(fn.wall).toFixed(0).padStart(8)}`;
        console.log(`${fn.name.padEnd(32)} ${fn.bundleKb.toFixed(1).padStart(9)} ${figures}  ${inputs}${flags.length ? `  ← over: ${flags.join(', ')}` : ''}`);
      }
      console.log(`targets: bundle ≤ ${BUNDLE_TARGET_KB} KB, init ≤ ${INIT_TARGET_MS} ms (worker-thread CPU, median)`);
      console.log(over.length ? `over target: ${over.join('; ')}` : 'every function within target');

      await printFirstEvents(cloud, new Map(functions.map((fn) => [fn.ref, fn.name])));
    } finally {
      await cloud.stop();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * What a first event costs beyond init: every function gets one fresh environment, started one at a time (its
 * init is measured above), then each message is sent twice; per function, its first invocation in the first
 * message that runs it (on the fresh environment: lazy loads, first connections, first schema builds) is
 * printed beside its first invocation in that message's second run (warm). Wall time: the runtime reports no
 * CPU time per invocation, so these figures move with the machine's load more than the init ones do.
 */
async function printFirstEvents(cloud: LocalCloud, names: Map<string, string>): Promise<void> {
  for (const ref of names.keys()) await cloud.lambda.prewarm(ref);
  const calls: Array<{ ref: string; run: string; stats: InvocationStats }> = [];
  let run = '';
  // Every invocation of the local Lambda service goes through FunctionRunner.invoke: observe its stats.
  const invoke = FunctionRunner.prototype.invoke;
  FunctionRunner.prototype.invoke = async function observed(this: FunctionRunner, ...args: Parameters<typeof invoke>) {
    const outcome = await invoke.apply(this, args);
    calls.push({ ref: this.name, run, stats: outcome.stats });
    return outcome;
  };
  try {
    const token = await cloud.token({ sub: 'bench', tenant: 'local' });
    const sessionId = `cold-${Date.now().toString(36)}`;
    for (const [index, text] of FIRST_EVENT_MESSAGES.entries()) {
      for (const repeat of [1, 2]) {
        run = `${index}/${repeat}`;
        const status = await askAndWait(cloud, token, sessionId, text);
        if (!['succeeded', 'awaiting_approval'].includes(status)) throw new Error(`${text}: the plan ended ${status}`);
      }
    }
  } finally {
    FunctionRunner.prototype.invoke = invoke;
  }
  // durationMs covers the init of an invocation that had to start an environment: the event's own share is the rest.
  const eventMs = (stats: InvocationStats) => stats.durationMs - (stats.initMs ?? 0);
  console.log(`\nfirst event on a fresh environment vs the same event warm (messages: ${FIRST_EVENT_MESSAGES.map((m) => `"${m}"`).join(', ')}), wall ms:`);
  console.log(`${'function'.padEnd(32)} ${'first'.padStart(7)} ${'warm'.padStart(7)}  message`);
  for (const [ref, name] of names) {
    const first = calls.find((call) => call.ref === ref && call.run.endsWith('/1'));
    if (!first) continue;
    const index = first.run.split('/')[0]!;
    const warm = calls.find((call) => call.ref === ref && call.run === `${index}/2`);
    console.log(
      `${name.padEnd(32)} ${eventMs(first.stats).toFixed(0).padStart(7)} ${(warm ? eventMs(warm.stats).toFixed(0) : '-').padStart(7)}  "${FIRST_EVENT_MESSAGES[Number(index)]}"`,
    );
  }
}

/** Posts a chat message and polls its plan until it settles; resolves with the plan's status. */
async function askAndWait(cloud: LocalCloud, token: string, sessionId: string, text: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const posted = await fetch(`${cloud.urls.api}/v1/sessions/${sessionId}/messages`, { method: 'POST', headers, body: JSON.stringify({ text }) });
  if (posted.status !== 202) throw new Error(`POST message: ${posted.status} ${await posted.text()}`);
  const { planId } = (await posted.json()) as { planId: string };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status } = (await (await fetch(`${cloud.urls.api}/v1/plans/${planId}`, { headers })).json()) as { status: string };
    if (['succeeded', 'failed', 'cancelled', 'awaiting_approval'].includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`plan ${planId} still ${status} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
