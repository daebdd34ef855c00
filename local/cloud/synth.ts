// Synthesizes the dev stack in-process for the local cloud, skipping the work when nothing that shapes the
// template or the bundles changed since the last run (a hash of the CDK and function sources).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTemplate, type CfnTemplate } from './template/types.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEV_STACK_NAME = 'BcAgent-dev';

/** What decides the template and bundles; the local cloud (local/) is the runtime that reads them, not an input. */
const SOURCE_DIRS = ['lib', 'functions'];
// package.json: its `sideEffects` shapes what esbuild keeps in each bundle.
const SOURCE_FILES = ['package.json', 'package-lock.json', 'cdk.json', 'tsconfig.json'];

export interface SynthesizedStack {
  /** The cloud assembly directory (template and `asset.*` directories). */
  assemblyDir: string;
  stackName: string;
  template: CfnTemplate;
  /** True when the assembly from an earlier run was reused. */
  cached: boolean;
}

export interface SynthOptions {
  /**
   * Root of the synthesized assemblies, e.g. `.local/cdk.out`. Each assembly lives in a directory named by
   * its source hash, so processes sharing the root (parallel test runs, `npm start`) never replace an
   * assembly another one is reading.
   */
  outdir: string;
  /** Synthesize even if the sources are unchanged. */
  force?: boolean;
}

const LATEST_FILE = 'latest';
/** Assemblies of older sources are removed once this old (nobody still runs on them). */
const STALE_AFTER_MS = 60 * 60 * 1000;

export async function synthesizeDevStack(options: SynthOptions): Promise<SynthesizedStack> {
  const root = resolve(options.outdir);
  const hash = await sourceHash(PROJECT_ROOT);
  const name = hash.slice(0, 16);
  const assemblyDir = join(root, name);
  const cached = !options.force && existsSync(join(assemblyDir, `${DEV_STACK_NAME}.template.json`));
  if (!cached) {
    // Synthesize beside the target and rename it into place, so a reader never sees half an assembly.
    await mkdir(root, { recursive: true });
    const staging = join(root, `.staging-${process.pid}-${Date.now()}`);
    try {
      await synthInto(staging);
      if (options.force) await rm(assemblyDir, { recursive: true, force: true });
      await rename(staging, assemblyDir).catch((error: NodeJS.ErrnoException) => {
        // Another process synthesized the same sources first: use theirs.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  if (cached) {
    // Marks the assembly as in use so another process's pruning leaves it alone.
    const now = new Date();
    await utimes(assemblyDir, now, now);
  }
  await writeLatest(root, name);
  await pruneStale(root, name);
  return { ...(await readAssembly(assemblyDir)), cached };
}

/** The assembly the last synthesis under `root` produced or reused, if any. */
export async function latestAssemblyDir(root: string): Promise<string | undefined> {
  const name = (await readFile(join(root, LATEST_FILE), 'utf8').catch(() => '')).trim();
  return name && existsSync(join(root, name, `${DEV_STACK_NAME}.template.json`)) ? join(root, name) : undefined;
}

/** Reads an assembly synthesized earlier (e.g. by the test run's global setup). */
export async function readAssembly(assemblyDir: string): Promise<Omit<SynthesizedStack, 'cached'>> {
  const templatePath = join(assemblyDir, `${DEV_STACK_NAME}.template.json`);
  const template = parseTemplate(await readFile(templatePath, 'utf8'), templatePath);
  return { assemblyDir, stackName: DEV_STACK_NAME, template };
}

async function writeLatest(root: string, name: string): Promise<void> {
  const temp = join(root, `.${LATEST_FILE}-${process.pid}-${Date.now()}`);
  await writeFile(temp, name);
  await rename(temp, join(root, LATEST_FILE));
}

async function pruneStale(root: string, current: string): Promise<void> {
  const now = Date.now();
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === current) continue;
    const path = join(root, entry.name);
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
    if (now - mtimeMs > STALE_AFTER_MS) await rm(path, { recursive: true, force: true });
  }
}

async function synthInto(outdir: string): Promise<void> {
  // Loaded on demand: the CDK and the stack are only needed when the cache misses.
  const [{ App }, { BcAgentStack }, { configFor }, { overridesOf }, { BUNDLE_METAFILE_CONTEXT }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../../lib/stack.js'),
    import('../../lib/config.js'),
    import('../../lib/app.js'),
    import('../../lib/constructs/handler-function.js'),
  ]);
  const cdkJson = JSON.parse(await readFile(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const app = new App({
    outdir,
    // The CLI adds asset metadata by default; the local cloud finds each function's bundle through it.
    // Each bundle's metafile lets the bench say what dominates it.
    context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true, [BUNDLE_METAFILE_CONTEXT]: true },
  });
  new BcAgentStack(app, DEV_STACK_NAME, { config: configFor('dev', overridesOf(app, 'dev')) });
  app.synth();
}

/** A hash of every source file that shapes the template or a bundle. */
export async function sourceHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const dir of SOURCE_DIRS) files.push(...(await listFiles(join(root, dir))));
  for (const file of SOURCE_FILES) if (existsSync(join(root, file))) files.push(join(root, file));
  for (const file of files.sort()) {
    const rel = relative(root, file);
    hash.update(rel).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}
