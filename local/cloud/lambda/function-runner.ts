// One Lambda function run locally: a pool of execution environments (worker threads with the function's own
// environment), at most `concurrency` invocations at a time (others wait their turn), the function's timeout
// enforced by terminating the worker. Whatever the handler does (throw, hang, process.exit, crash) ends as a
// FunctionError for that invocation; the environment is then discarded and the next call starts a fresh one.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);

/** A failed invocation, in the shape Lambda reports (`FunctionError: Unhandled` with this payload). */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[] = [],
  ) {
    super(errorMessage);
    this.name = errorType;
  }

  toPayload(): { errorType: string; errorMessage: string; trace: string[] } {
    return { errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace };
  }
}

export type LogStream = 'stdout' | 'stderr';
export type FunctionLogSink = (functionName: string, stream: LogStream, line: string) => void;

export interface FunctionRunnerOptions {
  name: string;
  arn: string;
  /** Directory holding the bundled handler module. */
  codeDir: string;
  /** `file.export`, e.g. `index.handler`. */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Parallel invocations allowed (reserved concurrency, or the local default). */
  concurrency: number;
  /** The complete environment the function sees as `process.env`. */
  environment: Record<string, string>;
  onLog: FunctionLogSink;
}

export interface InvocationStats {
  /** Module init time of the environment that served the call, when it was a cold start. */
  initMs?: number;
  durationMs: number;
}

/** One environment's module init: wall time, and the CPU time of its thread (steady on a busy machine). */
export interface InitMeasurement {
  initMs: number;
  initCpuMs: number;
}

interface Environment {
  worker: Worker;
  ready: Promise<number>;
  initCpuMs?: number;
  busy: boolean;
  /** Set when the environment must not be reused (crashed, timed out, init failed). */
  dead: boolean;
  onExit?: (error: FunctionError) => void;
}

export class FunctionRunner {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private stopped = false;
  private readonly entry: string;
  private readonly exportName: string;

  constructor(private readonly options: FunctionRunnerOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 0) {
      throw new Error(`${options.name}: concurrency must be a whole number ≥ 0`);
    }
    const dot = options.handler.lastIndexOf('.');
    if (dot <= 0) throw new Error(`${options.name}: handler "${options.handler}" is not of the form file.export`);
    const file = options.handler.slice(0, dot);
    this.exportName = options.handler.slice(dot + 1);
    const found = ['.mjs', '.js', '.cjs'].map((ext) => join(options.codeDir, file + ext)).find((path) => existsSync(path));
    // Resolved lazily at first invoke so a missing asset fails that call, like Runtime.ImportModuleError.
    this.entry = found ?? join(options.codeDir, `${file}.mjs`);
  }

  get name(): string {
    return this.options.name;
  }

  /** Runs one invocation; resolves with the handler's JSON result, rejects with a FunctionError. */
  async invoke(event: unknown, requestId: string = randomUUID()): Promise<{ result: unknown; stats: InvocationStats }> {
    if (this.stopped) throw new FunctionError('ServiceException', `${this.options.name} is stopped`);
    if (this.options.concurrency === 0) {
      throw new FunctionError('TooManyRequestsException', `${this.options.name} has reserved concurrency 0`);
    }
    await this.acquireSlot();
    try {
      return await this.run(event, requestId);
    } finally {
      this.releaseSlot();
    }
  }

  /**
   * Starts one more environment ahead of demand (like provisioned concurrency) and resolves with its
   * module init time; rejects with the init error.
   */
  async prewarm(): Promise<number> {
    if (this.stopped) throw new FunctionError('ServiceException', `${this.options.name} is stopped`);
    const env = this.spawn();
    try {
      const initMs = await env.ready;
      this.idle.push(env);
      return initMs;
    } catch (error) {
      await this.discard(env);
      throw error;
    }
  }

  /** Starts a fresh environment only to measure its module init, then ends it (the bench's cold-start figure). */
  async measureInit(): Promise<InitMeasurement> {
    if (this.stopped) throw new FunctionError('ServiceException', `${this.options.name} is stopped`);
    const env = this.spawn();
    try {
      const initMs = await env.ready;
      return { initMs, initCpuMs: env.initCpuMs ?? Number.NaN };
    } finally {
      await this.discard(env);
    }
  }

  /** Terminates every environment; pending and later invocations fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const resume of this.waiting.splice(0)) resume();
    await Promise.all([...this.all].map((env) => this.discard(env)));
  }

  private acquireSlot(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.running += 1;
      resolve();
    }));
  }

  private releaseSlot(): void {
    this.running -= 1;
    const next = this.waiting.shift();
    if (next) next();
  }

  private async run(event: unknown, requestId: string): Promise<{ result: unknown; stats: InvocationStats }> {
    if (this.stopped) throw new FunctionError('ServiceException', `${this.options.name} is stopped`);
    const cold = this.idle.length === 0;
    const env = this.idle.pop() ?? this.spawn();
    env.busy = true;
    const started = Date.now();
    const deadline = started + this.options.timeoutSeconds * 1000;
    let initMs: number | undefined;
    try {
      const outcome = await this.withTimeout(env, deadline, async () => {
        const init = await env.ready;
        if (cold) initMs = init;
        return this.send(env, event, requestId, deadline);
      });
      return { result: outcome, stats: { durationMs: Date.now() - started, ...(initMs === undefined ? {} : { initMs }) } };
    } finally {
      env.busy = false;
      if (env.dead || this.stopped) await this.discard(env);
      else this.idle.push(env);
    }
  }

  /** The function's timeout covers init and handler, as in Lambda; on expiry the environment is killed. */
  private async withTimeout<T>(env: Environment, deadline: number, work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        env.dead = true;
        reject(new FunctionError('Sandbox.Timedout', `Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds`));
      }, Math.max(0, deadline - Date.now()));
    });
    const exited = new Promise<never>((_, reject) => {
      env.onExit = reject;
    });
    try {
      return await Promise.race([work(), timeout, exited]);
    } finally {
      clearTimeout(timer);
      env.onExit = undefined;
    }
  }

  private send(env: Environment, event: unknown, requestId: string, deadline: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: { type: string; requestId?: string; payload?: string; error?: FunctionErrorShape }) => {
        if (message.requestId !== requestId) return;
        env.worker.off('message', onMessage);
        if (message.type === 'result') resolve(JSON.parse(message.payload ?? 'null'));
        else reject(toFunctionError(message.error));
      };
      env.worker.on('message', onMessage);
      const context = {
        functionName: this.options.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: this.options.arn,
        memoryLimitInMB: String(this.options.memoryMb),
        logGroupName: `/aws/lambda/${this.options.name}`,
        logStreamName: `local/${env.worker.threadId}`,
      };
      try {
        env.worker.postMessage({ requestId, event, deadline, context });
      } catch (error) {
        env.worker.off('message', onMessage);
        reject(new FunctionError('Runtime.InvalidEvent', `the event cannot be passed to the function: ${(error as Error).message}`));
      }
    });
  }

  private spawn(): Environment {
    const worker = new Worker(BOOTSTRAP, {
      workerData: {
        entry: this.entry,
        exportName: this.exportName,
        sourceMaps: (this.options.environment.NODE_OPTIONS ?? '').includes('--enable-source-maps'),
      },
      env: { ...this.options.environment },
      // Do not inherit the parent's loaders (tsx, vitest): the function runs its own bundle, nothing else.
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(this.options.memoryMb, 128) },
    });
    const env: Environment = { worker, ready: Promise.resolve(0), busy: false, dead: false };
    this.all.add(env);
    this.pipeLogs(worker.stdout, 'stdout');
    this.pipeLogs(worker.stderr, 'stderr');
    env.ready = new Promise<number>((resolve, reject) => {
      worker.once('message', (message: { type: string; initMs?: number; initCpuMs?: number; error?: FunctionErrorShape }) => {
        if (message.type === 'ready') {
          env.initCpuMs = message.initCpuMs;
          resolve(message.initMs ?? 0);
        }
        else {
          env.dead = true;
          reject(toFunctionError(message.error));
        }
      });
    });
    env.ready.catch(() => undefined); // observed by the invocation that awaits it
    let crash: Error | undefined;
    worker.on('error', (error) => {
      crash = error;
    });
    worker.once('exit', (code) => {
      env.dead = true;
      this.all.delete(env);
      const index = this.idle.indexOf(env);
      if (index !== -1) this.idle.splice(index, 1);
      env.onExit?.(
        crash
          ? new FunctionError('Runtime.UnhandledError', `the function crashed: ${crash.message}`, (crash.stack ?? '').split('\n'))
          : new FunctionError('Runtime.ExitError', `the function exited before returning (exit status ${code})`),
      );
    });
    return env;
  }

  private pipeLogs(stream: Readable, name: LogStream): void {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => this.options.onLog(this.options.name, name, line));
  }

  private async discard(env: Environment): Promise<void> {
    env.dead = true;
    this.all.delete(env);
    await env.worker.terminate();
  }
}

interface FunctionErrorShape {
  errorType?: string;
  errorMessage?: string;
  trace?: string[];
}

function toFunctionError(shape: FunctionErrorShape | undefined): FunctionError {
  return new FunctionError(shape?.errorType ?? 'Error', shape?.errorMessage ?? 'unknown error', shape?.trace ?? []);
}
