// Synthesizes the dev stack in-process for the local cloud, skipping the work when nothing that shapes the
// template or the bundles changed since the last run (a hash of the CDK and function sources).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTemplate, type CfnTemplate } from './template/types.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEV_STACK_NAME = 'BcAgent-dev';
const HASH_FILE = '.source-hash';

/** What decides the template and bundles; lib/local is the runtime that reads them, not an input. */
const SOURCE_DIRS = ['lib', 'functions'];
const SOURCE_FILES = ['package-lock.json', 'cdk.json', 'tsconfig.json'];
const EXCLUDED = [join('lib', 'local')];

export interface SynthesizedStack {
  /** The cloud assembly directory (template and `asset.*` directories). */
  assemblyDir: string;
  stackName: string;
  template: CfnTemplate;
  /** True when the assembly from an earlier run was reused. */
  cached: boolean;
}

export interface SynthOptions {
  /** Where the cloud assembly goes, e.g. `.local/cdk.out`. */
  outdir: string;
  /** Synthesize even if the sources are unchanged. */
  force?: boolean;
}

export async function synthesizeDevStack(options: SynthOptions): Promise<SynthesizedStack> {
  const outdir = resolve(options.outdir);
  const hash = await sourceHash(PROJECT_ROOT);
  const templatePath = join(outdir, `${DEV_STACK_NAME}.template.json`);
  if (!options.force && existsSync(templatePath)) {
    const previous = await readFile(join(outdir, HASH_FILE), 'utf8').catch(() => '');
    if (previous === hash) return { ...(await readAssembly(outdir)), cached: true };
  }

  // Synthesize beside the target and swap it in, so a reader never sees half an assembly.
  const staging = `${outdir}.${process.pid}.${Date.now()}.tmp`;
  await mkdir(staging, { recursive: true });
  try {
    await synthInto(staging);
    await writeFile(join(staging, HASH_FILE), hash);
    await rm(outdir, { recursive: true, force: true });
    await rename(staging, outdir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { ...(await readAssembly(outdir)), cached: false };
}

/** Reads an assembly synthesized earlier (e.g. by the test run's global setup). */
export async function readAssembly(assemblyDir: string): Promise<Omit<SynthesizedStack, 'cached'>> {
  const templatePath = join(assemblyDir, `${DEV_STACK_NAME}.template.json`);
  const template = parseTemplate(await readFile(templatePath, 'utf8'), templatePath);
  return { assemblyDir, stackName: DEV_STACK_NAME, template };
}

async function synthInto(outdir: string): Promise<void> {
  // Loaded on demand: the CDK and the stack are only needed when the cache misses.
  const [{ App }, { BcAgentStack }, { configFor }, { overridesOf }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../stack.js'),
    import('../config.js'),
    import('../app.js'),
  ]);
  const cdkJson = JSON.parse(await readFile(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const app = new App({
    outdir,
    // The CLI adds asset metadata by default; the local cloud finds each function's bundle through it.
    context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true },
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
    if (EXCLUDED.some((excluded) => rel === excluded || rel.startsWith(`${excluded}/`))) continue;
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
