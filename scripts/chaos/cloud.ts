// The local cloud a scenario runs against. The campaign runs `local/cloud/start.ts` (what `npm start` runs) as a
// child process in its own process group, on ports and a state directory of its own, so a scenario can
// SIGKILL the whole of it and start it again on the same state, as a developer's machine would crash. Tests use
// the same interface over the in-process test cloud (without the crash).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { type LocalTokenRequest, PROJECT_ROOT, devJwtConfig, loadOrCreateJwtKeys, signLocalToken } from '../../local/cloud/index.js';

export interface ChaosCloudUrls {
  api: string;
  aws: string;
  bc: string;
}

export interface ChaosCloud {
  urls: ChaosCloudUrls;
  /** A JWT the HTTP API accepts (like `npm run token`). */
  token(request: LocalTokenRequest): Promise<string>;
  /** SIGKILL of the whole local cloud, then a start on the same state directory and ports; absent in-process. */
  crashAndRestart?(): Promise<void>;
}

const TSX_CLI = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const READY = /local cloud ready in [\d.]+s: api (\S+)\/v1 {2}aws (\S+) {2}bc (\S+) {2}mcp (\S+) /;

/** A port nobody listens on now, kept for the restart (a crash must come back on the same URLs). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Puts a synthesized assembly where start.ts looks for its cached synthesis (`<stateDir>/cdk.out/<hash>`), so a
 * scenario's cloud starts in about a second instead of synthesizing again.
 */
export async function seedStateDir(stateDir: string, assemblyDir: string): Promise<void> {
  await mkdir(join(stateDir, 'cdk.out'), { recursive: true });
  await symlink(assemblyDir, join(stateDir, 'cdk.out', basename(assemblyDir)), 'dir');
}

export class ChildCloud implements ChaosCloud {
  urls: ChaosCloudUrls = { api: '', aws: '', bc: '' };
  private child?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    private readonly stateDir: string,
    private readonly ports: { api: number; aws: number; bc: number; mcp: number },
    /** The cloud's output goes here (one file per scenario), for a post-mortem. */
    private readonly logFile: string,
  ) {}

  static async start(stateDir: string, logFile: string): Promise<ChildCloud> {
    const ports = { api: await freePort(), aws: await freePort(), bc: await freePort(), mcp: await freePort() };
    const cloud = new ChildCloud(stateDir, ports, logFile);
    await cloud.launch();
    return cloud;
  }

  private async launch(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/cloud/start.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        LOCAL_STATE_DIR: this.stateDir,
        LOCAL_API_PORT: String(this.ports.api),
        LOCAL_AWS_PORT: String(this.ports.aws),
        LOCAL_BC_PORT: String(this.ports.bc),
        LOCAL_MCP_PORT: String(this.ports.mcp),
        LOCAL_WEBSOCKET_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let output = '';
    const ready = new Promise<RegExpExecArray>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        appendFileSync(this.logFile, chunk);
        if (output.length < 200_000) output += chunk.toString();
        const match = READY.exec(output);
        if (match) resolve(match);
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code, signal) => reject(new Error(`the local cloud exited (${code ?? signal}) before it was ready; its output is in ${this.logFile}`)));
    });
    const timeout = setTimeout(() => this.killGroup(), 180_000);
    try {
      const [, api, aws, bc] = await ready;
      this.urls = { api: api!, aws: aws!, bc: bc! };
    } finally {
      clearTimeout(timeout);
    }
  }

  private killGroup(): void {
    try {
      if (this.child?.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // the group has ended already
    }
  }

  async token(request: LocalTokenRequest): Promise<string> {
    const keys = await loadOrCreateJwtKeys(this.stateDir);
    return signLocalToken(keys, await devJwtConfig(this.stateDir), request);
  }

  async crashAndRestart(): Promise<void> {
    appendFileSync(this.logFile, `\n=== chaos: SIGKILL of the process group at ${new Date().toISOString()} ===\n`);
    this.killGroup();
    await this.exited;
    appendFileSync(this.logFile, `\n=== chaos: restart on the same state directory at ${new Date().toISOString()} ===\n`);
    await this.launch();
  }

  /** SIGTERM (a clean stop), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.killGroup(), 20_000);
    await this.exited;
    clearTimeout(killer);
    this.killGroup(); // anything of the group left behind
  }
}
