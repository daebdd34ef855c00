import { randomUUID } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { systemClock, type Clock } from '../clock.js';
import { JsonSnapshot } from '../persistence.js';
import { AwsError } from '../protocol.js';
import type { CreateStateMachineInput, PutEventsEntry, PutEventsResult, TaskHandlers } from '../types.js';
import { HistoryRecorder, numbered, toEntry, type HistoryEntry, type HistoryEvent } from './history.js';
import { isSupportedResource, runTask, TaskError } from './tasks.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StateMachineRecord {
  name: string;
  arn: string;
  definition: string;
  type: 'STANDARD' | 'EXPRESS';
  roleArn: string;
  createdTimestamp: number;
}

export interface ExecutionRecord {
  arn: string;
  name: string;
  stateMachineArn: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
}

interface Snapshot {
  stateMachines: StateMachineRecord[];
  executions: ExecutionRecord[];
}

interface PendingToken {
  executionArn: string;
  settled: boolean;
  /** HeartbeatSeconds of the waiting state: SendTaskHeartbeat must arrive within it (States.HeartbeatTimeout). */
  heartbeatSeconds?: number;
  heartbeatTimer?: unknown;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  promise: Promise<unknown>;
}

export interface LocalStepFunctionsOptions {
  /** Drives heartbeat timeouts (the library runs its own timers for Wait, retries and TimeoutSeconds). */
  clock?: Clock;
  region: string;
  accountId: string;
  /** Default target of the events:putEvents integration (the local EventBridge). */
  putEvents: (entries: PutEventsEntry[]) => Promise<PutEventsResult | void>;
  stateFile?: string;
}

// Task states without a TimeoutSeconds would time out after the library's 60 s; AWS has no default limit.
// Node timers cap at 2^31-1 ms, so "no limit" becomes ~24 days.
const UNLIMITED_TASK_SECONDS = 2_000_000;

export const notFound = (code: string, message: string): AwsError => new AwsError(code, message);

/** State machines executed with aws-local-stepfunctions; task states dispatched to the local cloud. */
export class LocalStepFunctions {
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();
  private readonly tokens = new Map<string, PendingToken>();
  private readonly recorders = new Map<string, HistoryRecorder>();
  // Validating ASL is slow (hundreds of ms); a definition is validated once and its machine reused.
  private readonly compiled = new Map<string, { definition: StateMachineDefinition; stateMachine: StateMachine }>();
  private handlers: TaskHandlers | undefined;
  private readonly snapshot?: JsonSnapshot<Snapshot>;

  private readonly clock: Clock;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.clock = options.clock ?? systemClock;
    if (options.stateFile) {
      this.snapshot = new JsonSnapshot(options.stateFile, () => ({
        stateMachines: [...this.machines.values()],
        executions: [...this.executions.values()].map((execution) => ({ ...execution, history: this.history(execution) })),
      }));
      const saved = this.snapshot.load();
      for (const machine of saved?.stateMachines ?? []) this.machines.set(machine.arn, machine);
      for (const execution of saved?.executions ?? []) {
        // An execution cannot resume mid-state after a restart: it is closed as failed, saying why.
        if (execution.status === 'RUNNING') {
          this.close(execution, 'FAILED', { error: 'States.Runtime', cause: 'The local cloud stopped while this execution was running' });
        }
        this.executions.set(execution.arn, execution);
      }
    }
  }

  setTaskHandlers(handlers: TaskHandlers): void {
    this.handlers = handlers;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.options.region}:${this.options.accountId}:stateMachine:${name}`;
  }

  // ---- state machines ----

  /**
   * Creates a state machine. In-process callers get create-or-update (a changed template replaces the
   * definition); `strict` is the wire behaviour: a different definition → StateMachineAlreadyExists.
   */
  createStateMachine(input: CreateStateMachineInput, options: { strict?: boolean } = {}): string {
    validateName(input.name);
    const arn = input.arn ?? this.stateMachineArn(input.name);
    this.compile(input.definition);
    const existing = this.machines.get(arn);
    const type = input.type ?? 'STANDARD';
    if (existing) {
      if ((existing.definition !== input.definition || existing.type !== type) && !options.strict) {
        existing.definition = input.definition;
        existing.type = type;
        if (input.roleArn) existing.roleArn = input.roleArn;
        this.changed();
      } else if (existing.definition !== input.definition || existing.type !== type) {
        throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      }
      return arn;
    }
    this.machines.set(arn, {
      name: input.name, arn, definition: input.definition, type,
      roleArn: input.roleArn ?? `arn:aws:iam::${this.options.accountId}:role/local-stepfunctions`, createdTimestamp: Date.now(),
    });
    this.changed();
    return arn;
  }

  /** Replaces a definition (the runtime re-reads a changed template). */
  updateStateMachine(arn: string, definition: string): void {
    const machine = this.describeStateMachine(arn);
    this.compile(definition);
    machine.definition = definition;
    this.changed();
  }

  deleteStateMachine(arn: string): void {
    if (this.machines.delete(arn)) this.changed();
  }

  listStateMachines(): StateMachineRecord[] {
    return [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  describeStateMachine(arn: string): StateMachineRecord {
    const machine = this.machines.get(arn);
    if (!machine) throw notFound('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  // ---- executions ----

  /** Starts an execution; the same name and input while it runs answers the same execution. */
  startExecution(stateMachineArn: string, input = '{}', name: string = randomUUID()): ExecutionRecord {
    const machine = this.describeStateMachine(stateMachineArn);
    validateName(name);
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: must be valid JSON');
    }
    const arn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution: ExecutionRecord = { arn, name, stateMachineArn, input, status: 'RUNNING', startDate: Date.now(), history: [] };
    this.executions.set(arn, execution);
    this.recorders.set(arn, new HistoryRecorder());
    this.record(execution, 'ExecutionStarted', { executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn: machine.roleArn } });
    this.run(machine, execution, parsedInput);
    this.changed();
    return execution;
  }

  describeExecution(arn: string): ExecutionRecord {
    const execution = this.executions.get(arn);
    if (!execution) throw notFound('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  listExecutions(stateMachineArn: string, status?: ExecutionStatus): ExecutionRecord[] {
    this.describeStateMachine(stateMachineArn);
    return [...this.executions.values()]
      .filter((execution) => execution.stateMachineArn === stateMachineArn && (!status || execution.status === status))
      .sort((a, b) => b.startDate - a.startDate);
  }

  stopExecution(arn: string, error?: string, cause?: string): number {
    const execution = this.describeExecution(arn);
    if (execution.status === 'RUNNING') {
      const details: { error?: string; cause?: string } = {};
      if (error !== undefined) details.error = error;
      if (cause !== undefined) details.cause = cause;
      this.close(execution, 'ABORTED', details);
      this.running.get(arn)?.abort();
    }
    return execution.stopDate ?? Date.now();
  }

  /** Resolves when the execution has closed (tests and the runtime's shutdown use this). */
  async waitForExecution(arn: string): Promise<ExecutionRecord> {
    await this.running.get(arn)?.done;
    return this.describeExecution(arn);
  }

  // ---- task tokens ----

  sendTaskSuccess(token: string, output: string): void {
    const pending = this.pendingToken(token);
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new AwsError('InvalidOutput', 'Invalid Output: must be valid JSON');
    }
    this.settle(pending, { output: parsed });
  }

  sendTaskFailure(token: string, error = '', cause = ''): void {
    this.settle(this.pendingToken(token), { error: new TaskError(error, cause) });
  }

  sendTaskHeartbeat(token: string): void {
    const pending = this.pendingToken(token);
    if (pending.heartbeatSeconds !== undefined) this.armHeartbeat(pending, pending.heartbeatSeconds);
  }

  // ---- lifecycle ----

  async stop(): Promise<void> {
    for (const [arn, run] of this.running) {
      const execution = this.executions.get(arn);
      if (execution?.status === 'RUNNING') this.close(execution, 'ABORTED', { error: 'States.Runtime', cause: 'The local cloud stopped' });
      run.abort();
    }
    await Promise.allSettled([...this.running.values()].map((run) => run.done));
    for (const pending of this.tokens.values()) if (!pending.settled) this.settle(pending, { error: new TaskError('States.Runtime', 'The local cloud stopped') });
    this.tokens.clear();
    this.snapshot?.flush();
  }

  // ---- internals ----

  private compile(text: string): { definition: StateMachineDefinition; stateMachine: StateMachine } {
    let compiled = this.compiled.get(text);
    if (!compiled) {
      compiled = compile(text);
      this.compiled.set(text, compiled);
    }
    return compiled;
  }

  private settle(pending: PendingToken, result: { output: unknown } | { error: Error }): void {
    pending.settled = true;
    if (pending.heartbeatTimer !== undefined) this.clock.clearTimeout(pending.heartbeatTimer);
    if ('error' in result) pending.reject(result.error);
    else pending.resolve(result.output);
  }

  private armHeartbeat(pending: PendingToken, seconds: number): void {
    if (pending.heartbeatTimer !== undefined) this.clock.clearTimeout(pending.heartbeatTimer);
    pending.heartbeatSeconds = seconds;
    pending.heartbeatTimer = this.clock.setTimeout(() => {
      if (!pending.settled) this.settle(pending, { error: new TaskError('States.HeartbeatTimeout', `No heartbeat within ${seconds} seconds`) });
    }, seconds * 1000);
  }

  private pendingToken(token: string): PendingToken {
    if (typeof token !== 'string' || token === '') throw new AwsError('InvalidToken', 'Invalid Token: taskToken is required');
    const pending = this.tokens.get(token);
    if (!pending || pending.settled) throw new AwsError('TaskDoesNotExist', 'Task Does Not Exist');
    return pending;
  }

  private run(machine: StateMachineRecord, execution: ExecutionRecord, input: unknown): void {
    const { definition, stateMachine } = this.compile(machine.definition);
    const issued = new Set<string>();
    const issueToken = (): string => {
      const token = Buffer.from(JSON.stringify({ execution: execution.arn, id: randomUUID() })).toString('base64');
      let resolve!: (output: unknown) => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<unknown>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      this.tokens.set(token, { executionArn: execution.arn, settled: false, resolve, reject, promise });
      issued.add(token);
      return token;
    };
    const taskContext = {
      handlers: {
        invokeLambda: (arn: string, payload: unknown) => {
          if (!this.handlers) return Promise.reject(new TaskError('States.Runtime', 'No Lambda task handler is configured'));
          return this.handlers.invokeLambda(arn, payload);
        },
      },
      putEvents: (entries: PutEventsEntry[]) => (this.handlers?.putEvents ?? this.options.putEvents)(entries),
      waitForToken: (taskInput: unknown, heartbeatSeconds?: number) => {
        const token = findToken(taskInput, issued);
        if (!token) return Promise.reject(new TaskError('States.Runtime', 'The task input must reference the task token ($$.Task.Token)'));
        const pending = this.tokens.get(token)!;
        if (heartbeatSeconds !== undefined) this.armHeartbeat(pending, heartbeatSeconds);
        return pending.promise;
      },
    };
    const recordTaskEvent = (stateName: string) => (type: string, details: Record<string, unknown>) => {
      if (execution.status === 'RUNNING') this.recorders.get(execution.arn)?.addTaskEvent({ timestamp: Date.now(), type, details, stateName });
    };
    const localHandlers: Record<string, (taskInput: unknown) => Promise<unknown>> = {};
    for (const [stateName, resource, state] of taskStates(definition)) {
      const context = {
        ...taskContext,
        record: recordTaskEvent(stateName),
        waitForToken: (taskInput: unknown) => taskContext.waitForToken(taskInput, state.HeartbeatSeconds),
      };
      localHandlers[stateName] = (taskInput: unknown) => runTask(resource, taskInput, context);
    }
    const context = {
      Execution: { Id: execution.arn, Name: execution.name, RoleArn: machine.roleArn, StartTime: new Date(execution.startDate).toISOString() },
      StateMachine: { Id: machine.arn, Name: machine.name },
      // Evaluated each time a state reads $$.Task.Token, so every task gets its own token.
      Task: Object.defineProperty({}, 'Token', { get: issueToken, enumerable: true }),
      // The library keeps no per-state context; a state reads EnteredTime while it processes its input,
      // i.e. when it is entered. Retries are not counted.
      State: Object.defineProperties({}, {
        EnteredTime: { get: () => new Date().toISOString(), enumerable: true },
        RetryCount: { value: 0, enumerable: true },
      }),
    };
    const handle = stateMachine.run(input as never, { overrides: { taskResourceLocalHandlers: localHandlers as never }, context: context as never });
    const logs = (async () => {
      for await (const event of handle.eventLogs) this.recordLibraryEvent(execution, event as unknown as Record<string, unknown>);
    })().catch(() => undefined);
    // The history must hold every state event before the execution's closing event, so the log drains first.
    const done = Promise.allSettled([handle.result, logs]).then(([settled]) => {
      if (settled.status === 'fulfilled') {
        this.close(execution, 'SUCCEEDED', { output: JSON.stringify(settled.value ?? null) });
        return;
      }
      const error: unknown = settled.reason;
      const name = error instanceof Error ? error.name : '';
      if (name === 'ExecutionAbortedError') return this.close(execution, 'ABORTED', {});
      if (name === 'ExecutionTimeoutError') return this.close(execution, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out' });
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error instanceof Error ? error : new Error(String(error));
      const causeText = (cause as { cause?: unknown }).cause;
      this.close(execution, 'FAILED', { error: cause.name, cause: typeof causeText === 'string' ? causeText : cause.message });
    }).finally(() => {
      this.running.delete(execution.arn);
      // Settling open tokens ends the library's pending task (and clears its task timeout timer).
      for (const token of issued) {
        const pending = this.tokens.get(token);
        if (pending && !pending.settled) this.settle(pending, { error: new TaskError('States.Runtime', 'The execution has closed') });
        this.tokens.delete(token);
      }
      this.changed();
    });
    this.running.set(execution.arn, { abort: handle.abort, done });
  }

  private close(execution: ExecutionRecord, status: ExecutionStatus, details: { output?: string; error?: string; cause?: string }): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = Date.now();
    if (details.output !== undefined) execution.output = details.output;
    if (details.error !== undefined) execution.error = details.error;
    if (details.cause !== undefined) execution.cause = details.cause;
    const recorder = this.recorders.get(execution.arn);
    if (recorder) {
      execution.history = numbered([...execution.history.map(toEntry), ...recorder.merged()]);
      this.recorders.delete(execution.arn);
    }
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted', RUNNING: '' }[status];
    const key = { SUCCEEDED: 'executionSucceededEventDetails', FAILED: 'executionFailedEventDetails', TIMED_OUT: 'executionTimedOutEventDetails', ABORTED: 'executionAbortedEventDetails', RUNNING: '' }[status];
    this.record(execution, type, status === 'SUCCEEDED'
      ? { [key]: { output: details.output, outputDetails: { truncated: false } } }
      : { [key]: { ...(details.error !== undefined ? { error: details.error } : {}), ...(details.cause !== undefined ? { cause: details.cause } : {}) } });
    this.changed();
  }

  /** Appends an execution-level event (started, closed) to the settled history. */
  private record(execution: ExecutionRecord, type: string, details: Record<string, unknown>): void {
    const id = execution.history.length + 1;
    execution.history.push({ id, previousEventId: id - 1, timestamp: Date.now(), type, ...details });
    this.changed();
  }

  /** The execution's history so far, including the events of a running execution. */
  history(execution: ExecutionRecord): HistoryEvent[] {
    const recorder = this.recorders.get(execution.arn);
    return recorder ? numbered([...execution.history.map(toEntry), ...recorder.merged()]) : execution.history;
  }

  private recordStateEvent(execution: ExecutionRecord, entry: HistoryEntry): void {
    this.recorders.get(execution.arn)?.addStateEvent(entry);
    this.changed();
  }

  /** Maps the library's event log to Step Functions history event types. */
  private recordLibraryEvent(execution: ExecutionRecord, event: Record<string, unknown>): void {
    // After StopExecution the library may still report the state that was running; AWS history ends at the abort.
    if (execution.status !== 'RUNNING') return;
    const state = event.state as { name: string; type: string; input: unknown; output?: unknown } | undefined;
    const timestamp = typeof event.timestamp === 'number' ? event.timestamp : Date.now();
    switch (event.type) {
      case 'StateEntered':
        this.recordStateEvent(execution, { timestamp, type: `${state!.type}StateEntered`, stateName: state!.name, details: { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input ?? null) } } });
        break;
      case 'StateExited':
        this.recordStateEvent(execution, { timestamp, type: `${state!.type}StateExited`, stateName: state!.name, details: { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output ?? null) } } });
        break;
      case 'StateFailed':
        if (state!.type === 'Map' || state!.type === 'Parallel') this.recordStateEvent(execution, { timestamp, type: `${state!.type}StateFailed`, stateName: state!.name, details: {} });
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const parent = event.parentState as { name: string };
        const key = `${String(event.type).charAt(0).toLowerCase()}${String(event.type).slice(1)}EventDetails`;
        this.recordStateEvent(execution, { timestamp, type: String(event.type), details: { [key]: { name: parent.name, index: event.index } } });
        break;
      }
      default:
        // Execution-level events are recorded by close(); retries and catches have no history type of their own.
        break;
    }
  }

  private changed(): void {
    this.snapshot?.changed();
  }
}

function validateName(name: string): void {
  if (typeof name !== 'string' || !/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/.test(name)) {
    throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
  }
}

/** Parses and validates ASL; Task states get an explicit timeout so the library's 60 s default does not apply. */
function compile(text: string): { definition: StateMachineDefinition; stateMachine: StateMachine } {
  let definition: StateMachineDefinition;
  try {
    definition = JSON.parse(text) as StateMachineDefinition;
  } catch (error) {
    throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${(error as Error).message}'`);
  }
  dropRootResultPaths(definition);
  for (const [, resource, state] of taskStates(definition)) {
    if (!isSupportedResource(resource)) throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: resource '${resource}' is not supported locally`);
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = UNLIMITED_TASK_SECONDS;
  }
  try {
    return { definition, stateMachine: new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: true } }) };
  } catch (error) {
    throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${(error as Error).message}'`);
  }
}

/**
 * `ResultPath: "$"` means what an absent ResultPath means on AWS (the result replaces the state's input), but
 * aws-local-stepfunctions stores the result under a key named "$"; dropping it gives AWS's behaviour.
 */
function dropRootResultPaths(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(dropRootResultPaths);
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (record.ResultPath === '$') delete record.ResultPath;
  Object.values(record).forEach(dropRootResultPaths);
}

type TaskStateDefinition = { Resource: string; TimeoutSeconds?: number; TimeoutSecondsPath?: string; HeartbeatSeconds?: number };

/** Every Task state, including those inside Map and Parallel states: [name, resource, state]. */
function taskStates(definition: { States?: Record<string, unknown> }): [string, string, TaskStateDefinition][] {
  const found: [string, string, TaskStateDefinition][] = [];
  for (const [name, raw] of Object.entries(definition.States ?? {})) {
    const state = raw as Record<string, unknown>;
    if (state.Type === 'Task' && typeof state.Resource === 'string') found.push([name, state.Resource, state as unknown as TaskStateDefinition]);
    for (const nested of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])]) {
      if (nested && typeof nested === 'object') found.push(...taskStates(nested as { States?: Record<string, unknown> }));
    }
  }
  return found;
}

function findToken(value: unknown, issued: Set<string>): string | undefined {
  if (typeof value === 'string') return issued.has(value) ? value : undefined;
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) {
      const token = findToken(child, issued);
      if (token) return token;
    }
  }
  return undefined;
}
