// End-to-end tests on the local cloud: `startTestCloud()` boots the real dev template (synthesized once per
// test run by test/global-setup.ts) on ephemeral ports with a throwaway state directory.
//
//   let cloud: TestCloud;
//   beforeAll(async () => { cloud = await startTestCloud(); });
//   afterAll(() => cloud?.stop());
//   const token = await cloud.token({ sub: 'alice', tenant: 'local' });
//   await fetch(`${cloud.urls.api}/v1/health`);
//   const db = new DynamoDBClient(cloud.clientConfig);
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../local/cloud/cloud.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/cloud/config.js';
import { formatFunctionLog } from '../../local/cloud/start.js';

export interface TestCloudOptions {
  /** Extra environment for every function. */
  env?: Record<string, string>;
  defaultConcurrency?: number;
  /** Async invocation retry waits (default short: 100 ms, 200 ms). */
  asyncRetryDelaysMs?: readonly number[];
  /** Print function output and runtime errors as they happen (also with LOCAL_CLOUD_LOGS=1). */
  verbose?: boolean;
  /** Reuse this state directory (e.g. to restart on an earlier cloud's state); it is then kept on stop. */
  stateDir?: string;
  /** Serve a built web console (web/build.ts) on the API's port. */
  webConsole?: LocalCloudOptions['webConsole'];
}

export interface TestCloud extends LocalCloud {
  stateDir: string;
  /** Function output and runtime errors so far, formatted like `npm start` prints them. */
  logs: string[];
  /** AWS SDK v3 client configuration for the local endpoint. */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
}

/** The dev stack's cloud assembly synthesized for this test run by test/global-setup.ts. */
export function testAssemblyDir(): string {
  const assembly = inject('localCloudAssembly');
  if (!assembly) throw new Error('no synthesized assembly: is test/global-setup.ts configured as vitest globalSetup?');
  if ('error' in assembly) throw new Error(`the dev stack did not synthesize:\n${assembly.error}`);
  return assembly.dir;
}

export async function startTestCloud(options: TestCloudOptions = {}): Promise<TestCloud> {
  const assemblyDir = testAssemblyDir();

  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'bc-agent-cloud-')));
  const verbose = options.verbose ?? process.env.LOCAL_CLOUD_LOGS === '1';
  const logs: string[] = [];
  const keep = (line: string) => {
    logs.push(line);
    if (verbose) process.stdout.write(`${line}\n`);
  };
  const cloudOptions: LocalCloudOptions = {
    stateDir,
    synthDir: assemblyDir,
    ports: { api: 0, aws: 0, bc: 0, mcp: 0, websocket: 0 },
    onLog: (name, stream, line) => keep(formatFunctionLog(name, stream, line)),
    onError: (message, error) => keep(`[local-cloud] ${message}${error instanceof Error ? `: ${error.name}: ${error.message}` : ''}`),
    asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? [100, 200],
    ...(options.env ? { env: options.env } : {}),
    ...(options.defaultConcurrency ? { defaultConcurrency: options.defaultConcurrency } : {}),
    ...(options.webConsole ? { webConsole: options.webConsole } : {}),
  };
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud(cloudOptions);
  } catch (error) {
    if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...cloud,
    stateDir,
    logs,
    clientConfig: { endpoint: cloud.urls.aws, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } },
    stop: async () => {
      await cloud.stop();
      if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A file's cloud options, or a function that gives them when the cloud starts (e.g. a fake model's URL). */
export type CloudOptionsSource = TestCloudOptions | (() => TestCloudOptions);

/**
 * The test file's cloud: started before its tests, `ready` run on it (open chats, mint tokens, make clients),
 * stopped after them, also when the start-up failed half-way. Another afterAll of the file registered after
 * this call runs before the cloud stops (vitest runs afterAll hooks in reverse).
 */
export function withTestCloud(ready: (cloud: TestCloud) => Promise<void> | void, options: CloudOptionsSource = {}, start: (options: TestCloudOptions) => Promise<TestCloud> = startTestCloud): void {
  let cloud: TestCloud | undefined;
  beforeAll(async () => {
    cloud = await start(typeof options === 'function' ? options() : options);
    await ready(cloud);
  });
  afterAll(async () => {
    await cloud?.stop();
  });
}

/**
 * Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` with `what`. The default
 * leaves room for cold starts while the suite runs two files at a time on two cores; a passing wait ends as
 * soon as the probe answers.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** SHA-256 from node:crypto in the shape `@smithy/signature-v4` takes, to SigV4-sign requests in tests. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}
