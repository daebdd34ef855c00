// `npm start`: runs the whole system on this machine (architecture §10) and prints one readiness line with
// the URLs once every part answers. Ctrl-C (SIGINT) or SIGTERM shuts it down cleanly; state stays in
// LOCAL_STATE_DIR (default `.local`) for the next start.
import { readFileSync } from 'node:fs';
import { startLocalCloud, type LocalCloud, type LocalCloudUrls } from './cloud.js';
import { localSettingsFromEnv } from './config.js';
import type { LogStream } from './lambda/function-runner.js';
import { join } from 'node:path';
import { buildWebConsole } from '../../web/build.js';

/** `BcAgent-dev-OrchestratorFunction49D0C499` → `OrchestratorFunction`. */
export function shortFunctionName(name: string): string {
  return name.replace(/^BcAgent-[a-z]+-/, '').replace(/[0-9A-F]{8}$/, '');
}

/** One function log line made readable: Powertools JSON becomes `time LEVEL [fn] message key=value…`. */
export function formatFunctionLog(functionName: string, stream: LogStream, line: string): string {
  const name = shortFunctionName(functionName);
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return `[${name}]${stream === 'stderr' ? ' (stderr)' : ''} ${line}`;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return `[${name}] ${line}`;
  const emf = metricsLine(record as Record<string, unknown>);
  if (emf) return `${new Date().toISOString().slice(11, 23)} METRIC [${name}] ${emf}`;
  const { level, message, timestamp, service: _service, sampling_rate: _sampling, xray_trace_id: _trace, ...rest } = record as Record<string, unknown>;
  const time = typeof timestamp === 'string' ? timestamp.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const fields = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${String(level ?? 'LOG').padEnd(5)} [${name}] ${String(message ?? '')}${fields ? ` ${fields}` : ''}`;
}

/** An Embedded Metric Format record as `Name=value … dimension=value …`; undefined for other records. */
function metricsLine(record: Record<string, unknown>): string | undefined {
  const meta = record._aws as { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name: string }>; Dimensions?: string[][] }> } | undefined;
  const directives = meta?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return undefined;
  const metrics = directives.flatMap((d) => d.Metrics ?? []).map((m) => `${m.Name}=${JSON.stringify(record[m.Name])}`);
  const dimensions = [...new Set(directives.flatMap((d) => (d.Dimensions ?? []).flat()))].map((dim) => `${dim}=${String(record[dim])}`);
  return [...metrics, ...dimensions].join(' ');
}

/** Resolves once each URL gives any HTTP answer (the server is up and routing). */
export async function waitUntilAnswering(urls: LocalCloudUrls, timeoutMs: number): Promise<void> {
  const probes = [`${urls.api}/v1/health`, urls.aws, `${urls.bc}/`, urls.mcp, urls.websocket.replace(/^ws:/, 'http:')];
  const deadline = Date.now() + timeoutMs;
  for (const url of probes) {
    for (;;) {
      try {
        await (await fetch(url, { signal: AbortSignal.timeout(5000) })).arrayBuffer();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${url} does not answer: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

/** The parent process id of `pid` from /proc (Linux); undefined where there is no /proc or no such process. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (command) state ppid …": the command may contain spaces and parentheses, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Calls `onGone` once the process that launched our parent exits. `npm start` runs `sh -c node --import tsx …`
 * (node itself, not the tsx CLI: the CLI relays a signal and kills its child 30 ms later, cutting a clean
 * shutdown short); on SIGTERM npm signals that shell, and dash (Linux's /bin/sh) may die without passing the
 * signal on, which would leave this process running, orphaned, with the ports held.
 */
export function watchLauncher(onGone: () => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  const launcher = parentOf(parent);
  if (launcher === undefined) return () => undefined;
  const timer = setInterval(() => {
    if (parentOf(parent) !== launcher) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** A busy port is the usual failure: name the variable that moves it. */
function startFailure(error: unknown): string {
  const { code, port } = (error ?? {}) as { code?: string; port?: number };
  if (code === 'EADDRINUSE') {
    const settings = localSettingsFromEnv();
    const variable = (Object.entries(settings.ports) as Array<[string, number]>).find(([, p]) => p === port)?.[0];
    const names: Record<string, string> = { api: 'LOCAL_API_PORT', aws: 'LOCAL_AWS_PORT', bc: 'LOCAL_BC_PORT', mcp: 'LOCAL_MCP_PORT', websocket: 'LOCAL_WEBSOCKET_PORT' };
    return `port ${port} is already in use${variable ? `; set ${names[variable]} to another port (0 picks a free one)` : ''}`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function main(): Promise<void> {
  const started = Date.now();
  const settings = localSettingsFromEnv();
  process.stdout.write(`starting the local cloud (state in ${settings.stateDir})…\n`);
  // The console is built on each start (esbuild, well under a second), so it always matches web/src.
  const webConsole = await buildWebConsole(join(settings.stateDir, 'web'));
  const cloud: LocalCloud = await startLocalCloud({
    webConsole: { dir: webConsole.dir },
    stateDir: settings.stateDir,
    ports: settings.ports,
    onLog: (name, stream, line) => process.stdout.write(`${formatFunctionLog(name, stream, line)}\n`),
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without a clean shutdown\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`${signal}: stopping the local cloud…\n`);
    cloud.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  watchLauncher(() => shutdown('launcher exited'));

  await waitUntilAnswering(cloud.urls, 30_000);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const { api, aws, bc, mcp, websocket, console: consoleUrl } = cloud.urls;
  process.stdout.write(`local cloud ready in ${seconds}s: api ${api}/v1  aws ${aws}  bc ${bc}  mcp ${mcp}  websocket ${websocket}  console ${consoleUrl}  (npm run token -- --sub alice --tenant local)\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`the local cloud could not start: ${startFailure(error)}\n`);
    process.exit(1);
  });
}
