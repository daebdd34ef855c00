// The local Lambda service: one FunctionRunner per function of the template, looked up by name, ARN or
// logical id; synchronous invokes (API, event source mappings, Step Functions) and asynchronous ones
// (EventBridge targets) with Lambda's async retries and failure destination.
import { randomUUID } from 'node:crypto';
import type { FunctionDefinition } from '../template/model.js';
import { FunctionError, FunctionRunner, type FunctionLogSink, type InitMeasurement, type InvocationStats } from './function-runner.js';

export interface LocalLambdaOptions {
  functions: readonly FunctionDefinition[];
  /** Builds the full environment of one function (template variables plus runtime and local values). */
  environmentOf(fn: FunctionDefinition): Record<string, string>;
  /** Parallel invocations per function without reserved concurrency. */
  defaultConcurrency: number;
  onLog: FunctionLogSink;
  /** Where an async invocation that exhausted its retries goes (the function's DLQ or on-failure queue). */
  sendToQueue(queueArn: string, body: string): void;
  onError(message: string, error?: unknown): void;
  /** Waits before each async retry; Lambda waits about 1 and 2 minutes, locally seconds keep feedback quick. */
  asyncRetryDelaysMs?: readonly number[];
}

export interface FunctionInvocation {
  result: unknown;
  stats: InvocationStats;
}

const DEFAULT_ASYNC_RETRY_DELAYS_MS = [1_000, 2_000];

export class LocalLambda {
  private readonly runners = new Map<string, { definition: FunctionDefinition; runner?: FunctionRunner }>();
  private readonly pendingAsync = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly options: LocalLambdaOptions) {
    for (const definition of options.functions) {
      const entry = { definition };
      for (const key of [definition.name, definition.arn, definition.logicalId]) this.runners.set(key, entry);
    }
  }

  get functions(): FunctionDefinition[] {
    return [...new Set([...this.runners.values()].map((entry) => entry.definition))];
  }

  /** The function a name, ARN (also `arn:…:function:name:qualifier`) or logical id refers to. */
  definition(ref: string): FunctionDefinition {
    return this.entry(ref).definition;
  }

  /** Invokes synchronously: resolves with the handler's result, rejects with a FunctionError. */
  async invoke(ref: string, event: unknown): Promise<unknown> {
    return (await this.invokeWithStats(ref, event)).result;
  }

  async invokeWithStats(ref: string, event: unknown): Promise<FunctionInvocation> {
    return this.runnerOf(ref).invoke(event, randomUUID());
  }

  /** Starts an environment of the function without invoking it; resolves with its module init time. */
  prewarm(ref: string): Promise<number> {
    return this.runnerOf(ref).prewarm();
  }

  /** Starts a fresh environment of the function only to measure its module init, then ends it. */
  measureInit(ref: string): Promise<InitMeasurement> {
    return this.runnerOf(ref).measureInit();
  }

  /**
   * Accepts an event for asynchronous invocation (like `InvocationType: Event`): runs it in the background,
   * retries a failure `asyncRetryAttempts` times, then sends Lambda's failure record to the destination.
   * Resolves `true` once the invocation has ended (succeeded, or failed its retries and went to its destination),
   * `false` if the runtime stopped first: EventBridge keeps such an event in its journal and delivers it again
   * after a restart (Lambda's own asynchronous queue is durable on AWS). Never rejects.
   */
  invokeAsync(ref: string, event: unknown): Promise<boolean> {
    const definition = this.definition(ref);
    const runner = this.runnerOf(ref);
    const requestId = randomUUID();
    const delays = this.options.asyncRetryDelaysMs ?? DEFAULT_ASYNC_RETRY_DELAYS_MS;
    const work = (async () => {
      let lastError: unknown;
      for (let attempt = 0; attempt <= definition.asyncRetryAttempts && !this.stopped; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delays[Math.min(attempt - 1, delays.length - 1)]));
        if (this.stopped) return false;
        try {
          await runner.invoke(event, requestId);
          return true;
        } catch (error) {
          lastError = error;
          this.options.onError(`${definition.name} failed asynchronous invocation ${requestId} (attempt ${attempt + 1})`, error);
        }
      }
      if (this.stopped) return false;
      // An on-failure destination receives Lambda's invocation record; a dead-letter queue the event itself.
      const destination = definition.asyncOnFailureArn ?? definition.deadLetterTargetArn;
      if (!destination) return true;
      const body = definition.asyncOnFailureArn
        ? failureRecord(definition, requestId, event, lastError, definition.asyncRetryAttempts)
        : event;
      try {
        this.options.sendToQueue(destination, JSON.stringify(body));
      } catch (error) {
        this.options.onError(`${definition.name}: could not send the failed event to ${destination}`, error);
      }
      return true;
    })();
    this.pendingAsync.add(work);
    void work.finally(() => this.pendingAsync.delete(work));
    return work;
  }

  /** Resolves when every accepted asynchronous invocation has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pendingAsync.size > 0) await Promise.all([...this.pendingAsync]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const runners = [...new Set([...this.runners.values()])].map((entry) => entry.runner).filter((r) => r !== undefined);
    await Promise.all(runners.map((runner) => runner.stop()));
    await Promise.allSettled([...this.pendingAsync]);
  }

  private entry(ref: string): { definition: FunctionDefinition; runner?: FunctionRunner } {
    // A qualified ARN (`…:function:name:$LATEST`) names the same function.
    const key = ref.startsWith('arn:') ? ref.split(':').slice(0, 7).join(':') : ref;
    const entry = this.runners.get(key);
    if (!entry) throw new FunctionError('ResourceNotFoundException', `Function not found: ${ref}`);
    return entry;
  }

  /** Environments are created on first use, so functions nobody calls cost nothing. */
  private runnerOf(ref: string): FunctionRunner {
    const entry = this.entry(ref);
    if (entry.runner) return entry.runner;
    const { definition } = entry;
    if (!definition.codeDir) {
      throw new FunctionError('Runtime.ImportModuleError', `${definition.name} has no bundled code asset the local cloud can run`);
    }
    entry.runner = new FunctionRunner({
      name: definition.name,
      arn: definition.arn,
      codeDir: definition.codeDir,
      handler: definition.handler,
      timeoutSeconds: definition.timeoutSeconds,
      memoryMb: definition.memoryMb,
      concurrency: definition.reservedConcurrency ?? this.options.defaultConcurrency,
      environment: this.options.environmentOf(definition),
      onLog: this.options.onLog,
    });
    return entry.runner;
  }
}

/** The record Lambda sends to an on-failure destination. */
function failureRecord(fn: FunctionDefinition, requestId: string, event: unknown, error: unknown, retries: number): unknown {
  const payload = error instanceof FunctionError ? error.toPayload() : { errorType: 'Error', errorMessage: String(error) };
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId,
      functionArn: `${fn.arn}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: retries + 1,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: payload,
  };
}
