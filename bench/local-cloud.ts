// Local cloud figures: synthesis (cached or not), start until every part answers, and per Lambda its
// bundle size (minified index.mjs) and module init time in a fresh worker. Targets from issue 2:
// start ≤ 60 s on 2 cores, each bundle ≤ 500 KB, each init ≤ 150 ms.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, shortFunctionName, startLocalCloud, synthesizeDevStack, waitUntilAnswering } from '../local/cloud/index.js';

const BUNDLE_TARGET_KB = 500;
const INIT_TARGET_MS = 150;

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

      console.log('\nfunction                          bundle KB   init ms');
      for (const fn of cloud.lambda.functions) {
        const bundleKb = fn.codeDir ? (await stat(join(fn.codeDir, 'index.mjs'))).size / 1024 : Number.NaN;
        let init: string;
        try {
          init = (await cloud.lambda.prewarm(fn.name)).toFixed(0);
        } catch (error) {
          init = `failed: ${(error as Error).message}`;
        }
        const flags = [bundleKb > BUNDLE_TARGET_KB ? 'bundle over target' : '', Number(init) > INIT_TARGET_MS ? 'init over target' : '']
          .filter(Boolean)
          .join(', ');
        console.log(`${shortFunctionName(fn.name).padEnd(33)} ${bundleKb.toFixed(1).padStart(9)} ${init.padStart(9)}${flags ? `  (${flags})` : ''}`);
      }
      console.log(`targets: bundle ≤ ${BUNDLE_TARGET_KB} KB, init ≤ ${INIT_TARGET_MS} ms`);
    } finally {
      await cloud.stop();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}
