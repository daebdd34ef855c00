import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionError, FunctionRunner, type FunctionRunnerOptions } from '../../../../../local/cloud/lambda/function-runner.js';

const root = mkdtempSync(join(tmpdir(), 'fn-runner-'));
const runners: FunctionRunner[] = [];
const logs: string[] = [];

afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  rmSync(root, { recursive: true, force: true });
});

/** A function whose bundle is `source`, run with a short timeout. */
function runner(name: string, source: string, overrides: Partial<FunctionRunnerOptions> = {}): FunctionRunner {
  const codeDir = join(root, name);
  mkdirSync(codeDir);
  writeFileSync(join(codeDir, 'index.mjs'), source);
  const created = new FunctionRunner({
    name,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    codeDir,
    handler: 'index.handler',
    timeoutSeconds: 1,
    memoryMb: 128,
    concurrency: 2,
    environment: { STAGE: 'test', FUNCTION_MARK: name },
    onLog: (fn, stream, line) => logs.push(`${fn}:${stream}:${line}`),
    ...overrides,
  });
  runners.push(created);
  return created;
}

const echo = runner(
  'echo',
  `let calls = 0;
   export const handler = async (event, context) => {
     calls += 1;
     console.log('echo called');
     return { event, calls, mark: process.env.FUNCTION_MARK, other: process.env.OTHER_MARK ?? null,
              name: context.functionName, remaining: context.getRemainingTimeInMillis(), id: context.awsRequestId };
   };`,
  { environment: { FUNCTION_MARK: 'echo' } },
);

describe('FunctionRunner', () => {
  it('measures a fresh environment’s module init (wall and thread CPU time) and leaves no environment behind', async () => {
    // The module burns 30 ms of its thread's CPU at import: a figure the measurement must see whatever the load.
    const slow = runner(
      'slow-init',
      `const start = process.threadCpuUsage();
       while ((process.threadCpuUsage(start).user + process.threadCpuUsage(start).system) / 1000 < 30) {}
       export const handler = async () => 'ok';`,
    );
    for (let i = 0; i < 2; i += 1) {
      const { initMs, initCpuMs } = await slow.measureInit();
      expect(initCpuMs).toBeGreaterThanOrEqual(30);
      expect(initMs).toBeGreaterThanOrEqual(initCpuMs - 5);
    }
    // Nothing was kept warm: the next invocation is a cold start of its own.
    const { result, stats } = await slow.invoke({});
    expect(result).toBe('ok');
    expect(stats.initMs).toBeGreaterThan(0);

    const broken = runner('broken-init', `throw new Error('no config');`);
    await expect(broken.measureInit()).rejects.toMatchObject({ errorType: 'Runtime.ImportModuleError', errorMessage: 'no config' });
  });

  it('runs the bundled handler with its own environment and a Lambda context', async () => {
    const { result, stats } = await echo.invoke({ hello: 'world' }, 'req-1');
    expect(result).toMatchObject({ event: { hello: 'world' }, calls: 1, mark: 'echo', other: null, name: 'echo', id: 'req-1' });
    expect((result as { remaining: number }).remaining).toBeGreaterThan(0);
    expect((result as { remaining: number }).remaining).toBeLessThanOrEqual(1000);
    expect(stats.initMs).toBeTypeOf('number');
    expect(logs).toContain('echo:stdout:echo called');
  });

  it('keeps a warm environment between calls and isolates environments between functions', async () => {
    const other = runner('other', `export const handler = async () => ({ mark: process.env.FUNCTION_MARK, echoMark: process.env.OTHER_MARK ?? null });`,
      { environment: { FUNCTION_MARK: 'other', OTHER_MARK: 'set-in-other' } });
    const [{ result: second }, { result: fromOther }] = await Promise.all([echo.invoke({}), other.invoke({})]);
    expect(second).toMatchObject({ calls: 2, other: null });
    expect(fromOther).toEqual({ mark: 'other', echoMark: 'set-in-other' });
    expect(process.env.FUNCTION_MARK).toBeUndefined();
  });

  it('returns a thrown error as a FunctionError and stays usable', async () => {
    const thrower = runner('thrower', `export const handler = async (event) => { if (event.fail) { const e = new Error('boom'); e.name = 'BadInput'; throw e; } return 'fine'; };`);
    await expect(thrower.invoke({ fail: true })).rejects.toMatchObject({ errorType: 'BadInput', errorMessage: 'boom' });
    expect((await thrower.invoke({ fail: false })).result).toBe('fine');
  });

  it('ends a hanging handler at the timeout and serves the next call from a fresh environment', async () => {
    const hang = runner('hang', `let n = 0; export const handler = async (event) => { n += 1; if (event.hang) await new Promise(() => { setInterval(() => {}, 1000); }); return n; };`);
    const error = await hang.invoke({ hang: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect((await hang.invoke({ hang: false })).result).toBe(1);
  });

  it('survives process.exit and an infinite busy loop', async () => {
    const exiter = runner('exiter', `export const handler = async (event) => { if (event.exit) process.exit(3); if (event.spin) { for (;;) {} } return 'alive'; };`);
    await expect(exiter.invoke({ exit: true })).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
    await expect(exiter.invoke({ spin: true })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect((await exiter.invoke({})).result).toBe('alive');
  });

  it('reports import failures and a missing handler export', async () => {
    const broken = runner('broken', `throw new Error('init failed');`);
    await expect(broken.invoke({})).rejects.toMatchObject({ errorType: 'Runtime.ImportModuleError', errorMessage: 'init failed' });
    const noExport = runner('no-export', `export const other = () => 1;`);
    await expect(noExport.invoke({})).rejects.toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
  });

  it('never runs more invocations at once than its concurrency', async () => {
    const counter = runner(
      'counter',
      `export const handler = async (event) => { await new Promise((r) => setTimeout(r, event.ms)); return 'ok'; };`,
      { concurrency: 1, timeoutSeconds: 5 },
    );
    const starts: number[] = [];
    const ends: number[] = [];
    await Promise.all([0, 1, 2].map(async () => {
      const { stats } = await counter.invoke({ ms: 100 });
      ends.push(Date.now());
      starts.push(Date.now() - stats.durationMs);
    }));
    starts.sort();
    ends.sort();
    // With one slot each call starts after the previous one ended.
    expect(starts[1]!).toBeGreaterThanOrEqual(ends[0]! - 5);
    expect(starts[2]!).toBeGreaterThanOrEqual(ends[1]! - 5);
  });
});
