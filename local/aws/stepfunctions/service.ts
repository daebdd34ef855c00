import { randomUUID } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { systemClock, type Clock } from '../clock.js';
import type { Collection, Journal } from '../journal.js';
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
  /** Where a restart resumes this execution while it runs (journaled before the state's task starts). */
  resume?: ResumePoint;
}

/**
 * The last top-level state a running execution entered, with that state's input. A restart re-enters it (a
 * Map or Parallel as a whole). `token` is the task token that state issued: the resumed state issues the same
 * one, so a token already handed out stays valid; `submitted` says the task's Lambda (or event) that carries
 * the token had completed, so the resumed state only waits for it instead of invoking again.
 */
export interface ResumePoint {
  state: string;
  input: string;
  token?: string;
  submitted?: boolean;
  /** SendTaskSuccess/SendTaskFailure accepted for `token`: a restart before the state moved on applies it again. */
  outcome?: { output: string } | { error: string; cause: string };
}

interface Store {
  machines: Collection<StateMachineRecord>;
  executions: Collection<ExecutionRecord>;
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
  /** Keeps state machines and executions across restarts (running ones resume); omitted = in memory only. */
  journal?: Journal;
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
  /** Resumed executions reach a Lambda task before the runtime has set the handlers: they wait for them. */
  private handlersSet!: (handlers: TaskHandlers) => void;
  private readonly handlersReady = new Promise<TaskHandlers>((resolve) => {
    this.handlersSet = resolve;
  });
  private readonly store?: Store;
  private stopping = false;

  private readonly clock: Clock;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.clock = options.clock ?? systemClock;
    if (options.journal) {
      this.store = {
        machines: options.journal.collection('sfn.machines'),
        executions: options.journal.collection<ExecutionRecord>('sfn.executions', (execution) => ({ ...execution, history: this.history(execution) })),
      };
      for (const [arn, machine] of this.store.machines.loaded) this.machines.set(arn, machine as StateMachineRecord);
      const interrupted: ExecutionRecord[] = [];
      for (const [arn, saved] of this.store.executions.loaded) {
        const execution = saved as ExecutionRecord;
        this.executions.set(arn, execution);
        if (execution.status === 'RUNNING') interrupted.push(execution);
      }
      for (const execution of interrupted) this.resumeExecution(execution);
    }
  }

  setTaskHandlers(handlers: TaskHandlers): void {
    this.handlers = handlers;
    this.handlersSet(handlers);
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
        this.store?.machines.put(arn, existing);
      } else if (existing.definition !== input.definition || existing.type !== type) {
        throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      }
      return arn;
    }
    const machine: StateMachineRecord = {
      name: input.name, arn, definition: input.definition, type,
      roleArn: input.roleArn ?? `arn:aws:iam::${this.options.accountId}:role/local-stepfunctions`, createdTimestamp: Date.now(),
    };
    this.machines.set(arn, machine);
    this.store?.machines.put(arn, machine);
    return arn;
  }

  /** Replaces a definition (the runtime re-reads a changed template). */
  updateStateMachine(arn: string, definition: string): void {
    const machine = this.describeStateMachine(arn);
    this.compile(definition);
    machine.definition = definition;
    this.store?.machines.put(arn, machine);
  }

  deleteStateMachine(arn: string): void {
    if (this.machines.delete(arn)) this.store?.machines.delete(arn);
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
    this.keepOutcome(pending, token, { output });
    this.settle(pending, { output: parsed });
  }

  sendTaskFailure(token: string, error = '', cause = ''): void {
    const pending = this.pendingToken(token);
    this.keepOutcome(pending, token, { error, cause });
    this.settle(pending, { error: new TaskError(error, cause) });
  }

  /** Journals an accepted answer with the resume point of the state waiting for it. */
  private keepOutcome(pending: PendingToken, token: string, outcome: NonNullable<ResumePoint['outcome']>): void {
    const execution = this.executions.get(pending.executionArn);
    if (execution?.status !== 'RUNNING' || execution.resume?.token !== token) return;
    execution.resume.outcome = outcome;
    this.save(execution);
  }

  sendTaskHeartbeat(token: string): void {
    const pending = this.pendingToken(token);
    if (pending.heartbeatSeconds !== undefined) this.armHeartbeat(pending, pending.heartbeatSeconds);
  }

  // ---- lifecycle ----

  /**
   * Stops running executions without closing them: they stay RUNNING in the journal, at their resume point,
   * and continue at the next start, as a restart of the local cloud is no reason for an execution to end.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const run of this.running.values()) run.abort();
    await Promise.allSettled([...this.running.values()].map((run) => run.done));
    for (const pending of this.tokens.values()) if (!pending.settled) this.settle(pending, { error: new TaskError('States.Runtime', 'The local cloud stopped') });
    this.tokens.clear();
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

  /**
   * The definition with another StartAt. Validated as a whole already; validation would now refuse the states
   * before StartAt as unreachable, so it is skipped.
   */
  private compileResumed(text: string, startAt: string): { definition: StateMachineDefinition; stateMachine: StateMachine } {
    const key = `${startAt}\u0000${text}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      const definition = { ...structuredClone(this.compile(text).definition), StartAt: startAt } as StateMachineDefinition;
      compiled = { definition, stateMachine: new StateMachine(definition, { validationOptions: { noValidate: true } }) };
      this.compiled.set(key, compiled);
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
    if (pending.settled) return;
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

  /**
   * A running execution found in the journal at start: re-entered at its resume point (or from the start if it
   * had entered no state yet). If that cannot be done (its state machine or state is gone) it is closed as
   * FAILED with a cause that says so, never dropped silently.
   */
  private resumeExecution(execution: ExecutionRecord): void {
    const machine = this.machines.get(execution.stateMachineArn);
    const fail = (cause: string) => {
      this.recorders.set(execution.arn, new HistoryRecorder());
      this.close(execution, 'FAILED', { error: 'States.Runtime', cause: `The local cloud restarted and could not resume this execution: ${cause}` });
    };
    if (!machine) return fail(`state machine ${execution.stateMachineArn} no longer exists`);
    const point = execution.resume;
    let input: unknown;
    try {
      input = JSON.parse(point?.input ?? execution.input);
    } catch {
      return fail('its saved input is not valid JSON');
    }
    const { definition } = this.compile(machine.definition);
    if (point && !Object.hasOwn(definition.States ?? {}, point.state)) return fail(`state ${point.state} is not in the current definition`);
    this.recorders.set(execution.arn, new HistoryRecorder());
    try {
      this.run(machine, execution, input, { resumed: true, ...(point ? { at: point } : {}) });
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  }

  private run(machine: StateMachineRecord, execution: ExecutionRecord, input: unknown, resume: { resumed: boolean; at?: ResumePoint } = { resumed: false }): void {
    const resumeAt = resume.at;
    const base = this.compile(machine.definition);
    const topLevel = topLevelStates(base.definition);
    // A resumed execution starts at its resume point: the same definition with that state as StartAt.
    const { definition, stateMachine } = resumeAt && resumeAt.state !== base.definition.StartAt
      ? this.compileResumed(machine.definition, resumeAt.state)
      : base;
    const issued = new Set<string>();
    // The token the resume point's state had issued is issued again by that state (the first token read).
    let reissue = resumeAt?.token;
    let firstEntry = true;
    const registerToken = (token: string): string => {
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
    // The token of the resume point is accepted from the moment of the restart, before its state is re-entered;
    // an answer journaled before the restart is applied again.
    if (reissue !== undefined) {
      registerToken(reissue);
      const outcome = resumeAt?.outcome;
      if (outcome) {
        this.settle(this.tokens.get(reissue)!, 'output' in outcome
          ? { output: JSON.parse(outcome.output) as unknown }
          : { error: new TaskError(outcome.error, outcome.cause) });
      }
    }
    const issueToken = (): string => {
      if (reissue !== undefined) {
        const token = reissue;
        reissue = undefined;
        return token;
      }
      return registerToken(Buffer.from(JSON.stringify({ execution: execution.arn, id: randomUUID() })).toString('base64'));
    };
    const taskContext = {
      handlers: {
        invokeLambda: (arn: string, payload: unknown) => {
          if (this.handlers) return this.handlers.invokeLambda(arn, payload);
          // After a restart the runtime sets its handlers once its functions are loaded.
          if (resume.resumed) return this.handlersReady.then((handlers) => handlers.invokeLambda(arn, payload));
          return Promise.reject(new TaskError('States.Runtime', 'No Lambda task handler is configured'));
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
      if (execution.status === 'RUNNING' && !this.stopping) this.recorders.get(execution.arn)?.addTaskEvent({ timestamp: Date.now(), type, details, stateName });
    };
    const localHandlers: Record<string, (taskInput: unknown) => Promise<unknown>> = {};
    for (const [stateName, resource, state] of taskStates(definition)) {
      const isTopLevel = topLevel.has(stateName);
      localHandlers[stateName] = async (taskInput: unknown) => {
        // The library reports StateEntered through an async log; one turn of the event loop lets it land, so
        // the resume point names this state before its task does anything.
        await new Promise((resolve) => setImmediate(resolve));
        const point = execution.resume;
        const token = findToken(taskInput, issued);
        const here = isTopLevel && point?.state === stateName;
        // Re-entered after a restart with its token already delivered (or answered): it only waits.
        const skipSubmit = here && firstEntry && token !== undefined && token === resumeAt?.token
          && (resumeAt.submitted === true || resumeAt.outcome !== undefined);
        firstEntry = false;
        if (here && token && (point.token !== token || point.submitted !== (skipSubmit || undefined))) {
          point.token = token;
          if (skipSubmit) point.submitted = true;
          else delete point.submitted;
          const answered = token === resumeAt?.token ? resumeAt.outcome : undefined;
          if (answered) point.outcome = answered;
          this.save(execution);
        }
        // The task's effects (a Lambda that stores the token, an event) come after its resume point is on disk.
        await this.options.journal?.commit();
        return runTask(resource, taskInput, {
          ...taskContext,
          record: recordTaskEvent(stateName),
          waitForToken: (waitInput: unknown) => taskContext.waitForToken(waitInput, state.HeartbeatSeconds),
          skipSubmit,
          submitted: () => {
            if (!here || execution.resume !== point || point.token !== token) return;
            point.submitted = true;
            this.save(execution);
          },
        });
      };
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
      for await (const event of handle.eventLogs) this.recordLibraryEvent(execution, event as unknown as Record<string, unknown>, topLevel);
    })().catch(() => undefined);
    // The history must hold every state event before the execution's closing event, so the log drains first.
    const done = Promise.allSettled([handle.result, logs]).then(([settled]) => {
      // Stopped with the endpoint: the execution stays RUNNING at its resume point for the next start.
      if (this.stopping) return;
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
    });
    this.running.set(execution.arn, { abort: handle.abort, done });
  }

  private close(execution: ExecutionRecord, status: ExecutionStatus, details: { output?: string; error?: string; cause?: string }): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = Date.now();
    delete execution.resume;
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
  }

  /** Appends an execution-level event (started, closed) to the settled history. */
  private record(execution: ExecutionRecord, type: string, details: Record<string, unknown>): void {
    const id = execution.history.length + 1;
    execution.history.push({ id, previousEventId: id - 1, timestamp: Date.now(), type, ...details });
    this.save(execution);
  }

  private save(execution: ExecutionRecord): void {
    this.store?.executions.put(execution.arn, execution);
  }

  /** The execution's history so far, including the events of a running execution. */
  history(execution: ExecutionRecord): HistoryEvent[] {
    const recorder = this.recorders.get(execution.arn);
    return recorder ? numbered([...execution.history.map(toEntry), ...recorder.merged()]) : execution.history;
  }

  private recordStateEvent(execution: ExecutionRecord, entry: HistoryEntry): void {
    this.recorders.get(execution.arn)?.addStateEvent(entry);
    this.save(execution);
  }

  /** Maps the library's event log to Step Functions history event types; a top-level StateEntered is the new resume point. */
  private recordLibraryEvent(execution: ExecutionRecord, event: Record<string, unknown>, topLevel: ReadonlySet<string>): void {
    // After StopExecution the library may still report the state that was running; AWS history ends at the abort.
    if (execution.status !== 'RUNNING' || this.stopping) return;
    const state = event.state as { name: string; type: string; input: unknown; output?: unknown } | undefined;
    const timestamp = typeof event.timestamp === 'number' ? event.timestamp : Date.now();
    switch (event.type) {
      case 'StateEntered':
        // Map iterations carry an index; states of Parallel branches are told apart by name (see topLevelStates).
        if (event.index === undefined && topLevel.has(state!.name)) {
          execution.resume = { state: state!.name, input: JSON.stringify(state!.input ?? null) };
        }
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

/**
 * Top-level states that a restart can re-enter: every state of the root machine whose name no nested state
 * (in a Map or Parallel) also has, so a StateEntered with that name is surely the root's.
 */
function topLevelStates(definition: { States?: Record<string, unknown> }): Set<string> {
  const nested = new Set<string>();
  const collect = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [name, raw] of Object.entries((node as { States?: Record<string, unknown> }).States ?? {})) {
      nested.add(name);
      const state = raw as Record<string, unknown>;
      for (const inner of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])]) collect(inner);
    }
  };
  for (const raw of Object.values(definition.States ?? {})) {
    const state = raw as Record<string, unknown>;
    for (const inner of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])]) collect(inner);
  }
  return new Set(Object.keys(definition.States ?? {}).filter((name) => !nested.has(name)));
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
