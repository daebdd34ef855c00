// Vitest global setup: synthesizes the dev stack once per test run (cached across runs by a source hash)
// and hands the cloud assembly's path to every test file through `inject('localCloudAssembly')`.
// Runs that select no test using the local cloud skip synthesis; a synthesis failure is handed over too,
// so only the tests that boot a local cloud fail, with its message.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT, synthesizeDevStack } from '../local/cloud/synth.js';

declare module 'vitest' {
  export interface ProvidedContext {
    localCloudAssembly: { dir: string } | { error: string };
  }
}

/** Kept apart from `npm start`'s `.local/cdk.out` so a running local cloud and a test run never collide. */
export const TEST_ASSEMBLY_DIR = join(PROJECT_ROOT, '.local', 'test-cdk.out');
const HELPER = 'support/local-cloud';

export default async function setup(project: TestProject): Promise<void> {
  if (!(await runUsesLocalCloud(project))) {
    project.provide('localCloudAssembly', { error: 'not synthesized: no selected test file imports test/support/local-cloud.ts' });
    return;
  }
  try {
    const { assemblyDir } = await synthesizeDevStack({ outdir: TEST_ASSEMBLY_DIR });
    project.provide('localCloudAssembly', { dir: assemblyDir });
  } catch (error) {
    project.provide('localCloudAssembly', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}

/** Whether a selected test file imports the helper (the CLI's positional filters select files). */
async function runUsesLocalCloud(project: TestProject): Promise<boolean> {
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-') && !['run', 'watch', 'dev', 'related'].includes(arg));
  const { testFiles } = await project.globTestFiles(filters);
  // A filter that selects nothing is probably a flag's value read as a filter: synthesize to be safe.
  if (testFiles.length === 0) return true;
  for (const file of testFiles) {
    if ((await readFile(file, 'utf8').catch(() => '')).includes(HELPER)) return true;
  }
  return false;
}
