// Local cloud figures: synthesis (cached or not), start until every part answers, and per Lambda its bundle
// size (minified index.mjs), what dominates it (esbuild's metafile from the CDK bundling, grouped by package)
// and its module init time: the median over several fresh workers, wall time and the worker thread's CPU time
// (the machine is shared: wall time moves with the load, CPU time much less). Targets: start ≤ 60 s on 2 cores
// and each bundle ≤ 500 KB (issue 2), each init ≤ 150 ms (issue 13).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, shortFunctionName, startLocalCloud, synthesizeDevStack, waitUntilAnswering } from '../local/cloud/index.js';

const BUNDLE_TARGET_KB = 500;
const INIT_TARGET_MS = 150;
/** Fresh workers per function; BENCH_INIT_SAMPLES overrides. */
const INIT_SAMPLES = Number(process.env.BENCH_INIT_SAMPLES ?? 5);
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
      onLog: () => undefined,
    });
    try {
      await waitUntilAnswering(cloud.urls, 30_000);
      const startMs = performance.now() - started;
      console.log(`local cloud start (assembly ready → every part answers): ${startMs.toFixed(0)} ms`);
      console.log(`npm start estimate (synthesis as above + start): ${((synthMs + startMs) / 1000).toFixed(1)} s (target ≤ 60 s)`);

      console.log(`\ninit: median of ${INIT_SAMPLES} fresh workers each (wall ms / worker-thread CPU ms)`);
      console.log(`${'function'.padEnd(40)} ${'bundle KB'.padStart(9)} ${'init ms'.padStart(8)} ${'cpu ms'.padStart(7)}  largest inputs (KB)`);
      const over: string[] = [];
      for (const fn of cloud.lambda.functions) {
        const name = shortFunctionName(fn.name).replace(/Function$/, '');
        const bundleKb = fn.codeDir ? (await stat(join(fn.codeDir, 'index.mjs'))).size / 1024 : Number.NaN;
        const metafile = fn.codeDir
          ? (JSON.parse(await readFile(join(fn.codeDir, 'index.meta.json'), 'utf8').catch(() => '{"outputs":{}}')) as Metafile)
          : { outputs: {} };
        const inputs = largestInputs(metafile, TOP_INPUTS)
          .map(({ group, bytes }) => `${group} ${(bytes / 1024).toFixed(0)}`)
          .join(', ');
        let initText: string;
        let cpuText = '';
        const flags: string[] = [];
        try {
          const samples = [];
          for (let i = 0; i < INIT_SAMPLES; i += 1) samples.push(await cloud.lambda.measureInit(fn.name));
          const initMs = median(samples.map((s) => s.initMs));
          const cpuMs = median(samples.map((s) => s.initCpuMs));
          initText = initMs.toFixed(0);
          cpuText = cpuMs.toFixed(0);
          if (initMs > INIT_TARGET_MS) flags.push('init');
        } catch (error) {
          initText = 'failed';
          flags.push(`init failed: ${(error as Error).message}`);
        }
        if (bundleKb > BUNDLE_TARGET_KB) flags.push('bundle');
        if (flags.length) over.push(`${name} (${flags.join(', ')})`);
        console.log(
          `${name.padEnd(40)} ${bundleKb.toFixed(1).padStart(9)} ${initText.padStart(8)} ${cpuText.padStart(7)}  ${inputs}${flags.length ? `  ← over: ${flags.join(', ')}` : ''}`,
        );
      }
      console.log(`targets: bundle ≤ ${BUNDLE_TARGET_KB} KB, init ≤ ${INIT_TARGET_MS} ms (wall median)`);
      console.log(over.length ? `over target: ${over.join('; ')}` : 'every function within target');
    } finally {
      await cloud.stop();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}
