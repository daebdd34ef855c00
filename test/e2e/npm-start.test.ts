// `npm start` as a process, the way a developer runs it: the readiness line with the URLs, `npm run token`'s
// token accepted (none or a forged one refused), a clean exit on SIGTERM and on SIGINT, and a restart on the same
// LOCAL_STATE_DIR that finds what the first run stored.
// The state directory is seeded with this run's synthesized assembly so start-up takes the cached path.
import { ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/cloud/config.js';
import { PROJECT_ROOT } from '../../local/cloud/synth.js';
import { newKeyNotice } from '../../local/cloud/token.js';
import { testAssemblyDir } from '../support/local-cloud.js';

const TSX_CLI = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const READY = /^local cloud ready in [\d.]+s: api (\S+)\/v1 {2}aws (\S+) {2}bc (\S+) {2}mcp (\S+) /m;

interface StartedProcess {
  child: ChildProcess;
  urls: { api: string; aws: string; bc: string; mcp: string };
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when every process writing to its output (npm, its shell, tsx, the local cloud) has ended. */
  outputClosed: Promise<void>;
}

/** npm's own CLI (set when tests run under npm or npx), else the `npm` on PATH. */
const NPM = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

const running = new Set<ChildProcess>();

/**
 * Runs the local cloud on free ports, as `npm start` itself or as its command (node --import tsx local/cloud/start.ts), and
 * resolves at its readiness line. Each run gets its own process group so a failed test can end all of it.
 */
async function start(stateDir: string, via: 'tsx' | 'npm' = 'tsx'): Promise<StartedProcess> {
  const [command, ...args] = via === 'npm' ? [...NPM, 'start'] : [process.execPath, '--import', 'tsx', 'local/cloud/start.ts'];
  const child = spawn(command!, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOCAL_API_PORT: '0', LOCAL_AWS_PORT: '0', LOCAL_BC_PORT: '0', LOCAL_MCP_PORT: '0', LOCAL_WEBSOCKET_PORT: '0', LOCAL_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = READY.exec(output);
      if (match) resolve(match);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    void exited.then(({ code, signal }) => reject(new Error(`npm start exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  const outputClosed = Promise.all([once(child.stdout!, 'close'), once(child.stderr!, 'close')]).then(() => {
    running.delete(child);
  });
  const [, api, aws, bc, mcp] = await ready;
  return { child, urls: { api: api!, aws: aws!, bc: bc!, mcp: mcp! }, output: () => output, exited, outputClosed };
}

/** `npm run token -- --sub alice --tenant local` with the given state directory. */
async function token(stateDir: string): Promise<{ token: string; stderr: string }> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [TSX_CLI, 'local/cloud/token.ts', '--sub', 'alice', '--tenant', 'local'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOCAL_STATE_DIR: stateDir },
  });
  return { token: stdout.trim(), stderr };
}

/** Whether anything still accepts connections at the URL. */
async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

const stateDirs: string[] = [];

/** A fresh state directory holding this run's synthesized assembly where start.ts looks for its cached synthesis. */
async function seededStateDir(): Promise<string> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bc-agent-npm-start-'));
  stateDirs.push(stateDir);
  const assemblyDir = testAssemblyDir();
  // start.ts re-synthesizes only if the sources changed since this run's global setup.
  await mkdir(join(stateDir, 'cdk.out'));
  await symlink(assemblyDir, join(stateDir, 'cdk.out', basename(assemblyDir)), 'dir');
  return stateDir;
}

afterAll(async () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // The group has already ended.
    }
  }
  await Promise.all(stateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm start', () => {
  it('prints the readiness line, accepts npm run token’s token (not none or a forged one), stops cleanly on SIGTERM and SIGINT, and a restart keeps the state', { timeout: 150_000 }, async () => {
    const stateDir = await seededStateDir();
    const first = await start(stateDir);
    expect((await fetch(`${first.urls.api}/v1/health`)).status).toBe(200);
    // The web console is built on start and served on the API's port, named on the readiness line.
    expect(first.output()).toContain(`console ${first.urls.api}/ `);
    const consolePage = await fetch(`${first.urls.api}/`);
    expect([consolePage.status, await consolePage.text()]).toEqual([200, expect.stringContaining('<script type="module" src="app.js">')]);
    const post = (authorization?: string) =>
      fetch(`${first.urls.api}/v1/sessions/npm-start-1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ text: 'count customers' }),
      });
    const issued = await token(stateDir);
    expect(issued.stderr).toBe('');
    expect((await post(`Bearer ${issued.token}`)).status).toBe(202);
    expect((await post()).status).toBe(401);
    const [header, payload] = issued.token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: ['approver'] })).toString('base64url')}.${issued.token.split('.')[2]}`;
    expect((await post(`Bearer ${forged}`)).status).toBe(401);
    // A token made against another state directory is signed with that directory's new key: refused, and said so.
    const elsewhere = await mkdtemp(join(tmpdir(), 'bc-agent-npm-start-other-'));
    try {
      const stray = await token(elsewhere);
      expect(stray.stderr.trim()).toBe(newKeyNotice(elsewhere));
      expect((await post(`Bearer ${stray.token}`)).status).toBe(401);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    const sqs = sqsClient(first.urls.aws);
    // A dead-letter queue of the template: nothing consumes it, so the message waits for the next run.
    await sqs.send(new SendMessageCommand({ QueueUrl: await auditDeadLetterQueueUrl(sqs), MessageBody: 'kept across a restart' }));
    sqs.destroy();

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.output()).toContain('SIGTERM: stopping the local cloud');
    expect(await answers(`${first.urls.api}/v1/health`)).toBe(false);
    expect(await answers(first.urls.aws)).toBe(false);

    const second = await start(stateDir);
    const again = sqsClient(second.urls.aws);
    const { Messages = [] } = await again.send(new ReceiveMessageCommand({ QueueUrl: await auditDeadLetterQueueUrl(again), WaitTimeSeconds: 1 }));
    again.destroy();
    expect(Messages.map((m) => m.Body)).toEqual(['kept across a restart']);

    second.child.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.output()).toContain('SIGINT: stopping the local cloud');
    expect(await answers(second.urls.bc)).toBe(false);
  });

  it('loses nothing it acknowledged when killed with SIGKILL right after the answer', { timeout: 150_000 }, async () => {
    const stateDir = await seededStateDir();
    const first = await start(stateDir);
    const sqs = sqsClient(first.urls.aws);
    const queueUrl = await auditDeadLetterQueueUrl(sqs);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'acknowledged, then kill -9' }));
    sqs.destroy();
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.outputClosed;

    const second = await start(stateDir);
    const again = sqsClient(second.urls.aws);
    const { Messages = [] } = await again.send(new ReceiveMessageCommand({ QueueUrl: await auditDeadLetterQueueUrl(again), WaitTimeSeconds: 1 }));
    again.destroy();
    expect(Messages.map((m) => m.Body)).toEqual(['acknowledged, then kill -9']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('stops when npm start itself gets SIGTERM (npm passes it to a shell that does not pass it on)', { timeout: 150_000 }, async () => {
    const npm = await start(await seededStateDir(), 'npm');
    expect((await fetch(`${npm.urls.api}/v1/health`)).status).toBe(200);
    npm.child.kill('SIGTERM');
    // Every process of the run ends (their shared output closes) and the ports are free again.
    await Promise.race([
      npm.outputClosed,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`still running 20 s after SIGTERM to npm:\n${npm.output()}`)), 20_000).unref()),
    ]);
    expect(npm.output()).toMatch(/(SIGTERM|launcher exited): stopping the local cloud/);
    expect(await answers(`${npm.urls.api}/v1/health`)).toBe(false);
    expect(await answers(npm.urls.aws)).toBe(false);
  });
});

const sqsClient = (endpoint: string) => new SQSClient({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });

/** The audit consumer's dead-letter queue, found by its prefix in the template. */
async function auditDeadLetterQueueUrl(sqs: SQSClient): Promise<string> {
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'BcAgent-dev-AuditConsumerDeadLetterQueue' }));
  if (QueueUrls.length !== 1) throw new Error(`expected one audit dead-letter queue, found ${QueueUrls.length}`);
  return QueueUrls[0]!;
}
