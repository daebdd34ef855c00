import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('LocalAws lifecycle', () => {
  // An execution is not closed by a stop: it stays RUNNING in the journal and resumes at the next start.
  it('stop ends long polls, executions waiting on tokens and delivery retries, leaving no handles behind', async () => {
    const fixture = fileURLToPath(new URL('../../../support/fixtures/stop-cleanly.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { timeout: 30_000 });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ status: 'RUNNING', polled: 0, active: [] });
  });
});
