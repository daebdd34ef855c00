import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('LocalAws lifecycle', () => {
  // An execution is not closed by a stop: it stays RUNNING in the journal and resumes at the next start.
  // tsx's disk cache is off in the child: tsx sweeps its cache directory in the background (Dir reads that show
  // as FSReqCallback), which on a machine with a large cache is still running when the handles are counted.
  it('stop ends long polls, executions waiting on tokens and delivery retries, leaving no handles behind', async () => {
    const fixture = fileURLToPath(new URL('../../../support/fixtures/stop-cleanly.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { timeout: 30_000, env: { ...process.env, TSX_DISABLE_CACHE: '1' } });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ status: 'RUNNING', polled: 0, active: [] });
  });
});
