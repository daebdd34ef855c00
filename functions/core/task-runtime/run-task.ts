// One delivery of a task to its worker, from the stored task's point of view: skip what is finished, mark it
// running, execute it (at most once per operation, see once.ts), then report: task:completed with the result
// inline or by reference, or awaiting_approval. Transient failures come back through the queue with backoff
// (RetryLaterError); on the last attempt the task is marked failed before the message goes to the DLQ.
import type { Logger } from '@aws-lambda-powertools/logger';
import { inlineOrStored, type DispatchedTask, type ErrorInfo, type EventContext, type EventPublisher, type ResultPayload } from '../events/index.js';
import type { McpClient } from '../mcp/index.js';
import { backoffDelaySeconds, DEFAULT_BACKOFF, RetryLaterError, type BackoffPolicy } from '../queue/index.js';
import { type StateStore, type StoredPlan } from '../store/index.js';
import { type TaskStatus, type TaskType } from '../events/index.js';
import { argumentsFromTransport } from './arguments.js';
import { createBcCaller, type BcCaller } from './bc-calls.js';
import { classifyFailure, retryReason } from './failures.js';
import { AlreadyRunningError, type Once } from './once.js';
import { Outbox } from './outbox.js';

export type ExecutionOutcome =
  | { kind: 'succeeded'; payload: ResultPayload }
  /** A write waits for a person; `summary` says what it will do. */
  | { kind: 'awaiting_approval'; summary: string }
  /** Another component (the saga) finishes the task and reports task:completed itself. */
  | { kind: 'handed_off'; reason: string };

export interface ExecutionContext {
  task: DispatchedTask;
  /** The arguments as dispatched (every `$ref` resolved, loaded when they travelled by reference). */
  args: Record<string, unknown>;
  plan: StoredPlan;
  /** Where the task's story continues: causation is the event being handled. */
  events: EventContext;
  outbox: Outbox;
  logger: Logger;
  /** BC through MCP, with bc:operation events; throws when this worker has no MCP client. */
  bc(): BcCaller;
  /**
   * Runs `work` at most once for this task and `operation` (a repeat returns the first run's payload) and turns
   * its result into a payload: inline when small, stored and referenced when large.
   */
  once(operation: Record<string, string>, work: () => Promise<unknown>): Promise<ResultPayload>;
  /** The payload of a result computed without side effects. */
  payloadOf(result: unknown): Promise<ResultPayload>;
}

export type TaskExecutor = (context: ExecutionContext) => Promise<ExecutionOutcome>;

export interface TaskRunnerDeps {
  store: StateStore;
  publisher: EventPublisher;
  logger: Logger;
  once: Once;
  executors: Partial<Record<TaskType, TaskExecutor>>;
  mcp?: McpClient;
  /** SQS's maxReceiveCount of the queue (MAX_RECEIVE_COUNT): the attempt that is the last. */
  maxReceiveCount: number;
  /**
   * How long a delivery holds the task it started (default DEFAULT_TASK_LEASE_SECONDS): no other delivery
   * starts it meanwhile. At most the worker's timeout, so a redelivery after a crash (the queue's visibility
   * timeout is 6× that) finds it lapsed.
   */
  leaseSeconds?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  now?: () => Date;
}

export interface TaskDelivery {
  task: DispatchedTask;
  /** Story of the event being handled (task:created, or approval:granted for a resumed write). */
  events: EventContext;
  /** ApproximateReceiveCount of the message: the attempt number. */
  receiveCount: number;
  /** When the task was dispatched (task:created's occurredAt): durations are measured from it. */
  dispatchedAt: string;
  /** A write resumed after its approval: it may start from awaiting_approval. */
  resume?: boolean;
  /** Who granted the approval a resumed write runs under (recorded with its BC calls). */
  approvedBy?: string;
}

/** The query and write workers' timeout (lib/config.ts): a run cannot outlast it. */
export const DEFAULT_TASK_LEASE_SECONDS = 60;

/** Statuses a delivery may (re)start the task from. */
const RUNNABLE_FROM: readonly TaskStatus[] = ['dispatched', 'running'];
const RESUMABLE_FROM: readonly TaskStatus[] = ['dispatched', 'running', 'awaiting_approval'];

export async function runTask(deps: TaskRunnerDeps, delivery: TaskDelivery): Promise<void> {
  const { task, events } = delivery;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger;
  const executor = deps.executors[task.type];
  if (!executor) throw new Error(`this worker does not run ${task.type} tasks`);

  // No read first: one conditional write starts the task if it is runnable, not being run by another delivery
  // and its plan live, and returns the plan as it was, so the previous status is known.
  const from = delivery.resume ? RESUMABLE_FROM : RUNNABLE_FROM;
  const startedAt = now();
  const leaseUntil = new Date(startedAt.getTime() + (deps.leaseSeconds ?? DEFAULT_TASK_LEASE_SECONDS) * 1000);
  const running = await deps.store.plans.startTask(events.tenantId, events.planId, task.id, from, delivery.receiveCount, leaseUntil, startedAt);
  const before = running.record;
  const stored = before?.tasks.find((t) => t.id === task.id);
  if (!running.transitioned || !before || !stored) {
    // A duplicate (the task is being run, or has ended), a task cancelled meanwhile, or one that does not exist.
    logger.info('task is not runnable; the message is acknowledged', { planId: events.planId, taskId: task.id });
    return;
  }
  const plan: StoredPlan = { ...before, tasks: before.tasks.map((t) => (t.id === task.id ? { ...t, status: 'running', attempt: delivery.receiveCount } : t)) };
  const outbox = new Outbox(deps.publisher, events);
  if (stored.status !== 'running') outbox.add('task:updated', { status: 'running', previousStatus: stored.status });

  const payloadOf = (result: unknown) => inlineOrStored(result, (value) => deps.store.results.put(events.tenantId, events.planId, task.id, value));
  let caller: BcCaller | undefined;
  const context: ExecutionContext = {
    task,
    args: task.arguments,
    plan,
    events,
    outbox,
    logger,
    bc: () => {
      if (!deps.mcp) throw new Error(`the ${task.type} worker has no MCP client (MCP_SERVER_URL)`);
      // Under per-user access (BC_ACCESS=delegated) the calls act as the plan's requester.
      return (caller ??= createBcCaller(deps.mcp, outbox, { actor: { tenantId: events.tenantId, userId: plan.createdBy, ...(delivery.approvedBy ? { approvedBy: delivery.approvedBy } : {}) } }));
    },
    once: (operation, work) =>
      deps.once.run({ task: `${events.tenantId}/${events.planId}/${task.id}`, ...operation }, async () => payloadOf(await work())),
    payloadOf,
  };

  const complete = completer(outbox, delivery, now);

  try {
    context.args = await argumentsFromTransport(deps.store, events.tenantId, task.arguments);
    const outcome = await executor(context);
    if (outcome.kind === 'succeeded') {
      complete({ status: 'succeeded', payload: outcome.payload });
    } else if (outcome.kind === 'awaiting_approval') {
      const waiting = await deps.store.plans.transitionTask(events.tenantId, events.planId, task.id, 'awaiting_approval', { from: ['running'] });
      if (waiting.transitioned) outbox.add('task:updated', { status: 'awaiting_approval', previousStatus: 'running', reason: outcome.summary });
    } else {
      logger.info('task handed off', { taskId: task.id, reason: outcome.reason });
    }
    await outbox.flush();
  } catch (error) {
    if (error instanceof AlreadyRunningError) {
      // Another delivery of this task is executing it right now: look again later, without counting a failure.
      await outbox.flush();
      throw new RetryLaterError('the task is being executed by another delivery', backoffDelaySeconds(delivery.receiveCount, deps.backoff ?? DEFAULT_BACKOFF, deps.random));
    }
    const failure = classifyFailure(error);
    if (!failure.transient) {
      logger.info('task failed', { taskId: task.id, error: failure.error });
      complete({ status: 'failed', error: failure.error });
      await outbox.flush();
      return;
    }
    logger.warn('task attempt failed', { taskId: task.id, attempt: delivery.receiveCount, error: failure.error });
    if (delivery.receiveCount >= deps.maxReceiveCount) {
      await failForGood(deps, context, failure.error, delivery, complete);
      // The message still fails, so SQS moves it to the DLQ where an operator can see (and redrive) it.
      throw new RetryLaterError(`retries exhausted: ${failure.error.message}`, 0, { cause: error });
    }
    // Not sooner than the failure says capacity returns (a throttled BC, or no capacity before the deadline).
    const delay = Math.max(backoffDelaySeconds(delivery.receiveCount, deps.backoff ?? DEFAULT_BACKOFF, deps.random), failure.retryAfterSeconds ?? 0);
    const reason = retryReason(failure.error, delivery.receiveCount, deps.maxReceiveCount, delay);
    outbox.add('task:updated', { status: 'running', previousStatus: 'running', reason });
    // Kept on the task too, so the plan view shows it (statusReason) without reading events.
    const nextAttemptAt = new Date(now().getTime() + delay * 1000).toISOString();
    await deps.store.plans
      .noteRetry(events.tenantId, events.planId, task.id, { reason, attempt: delivery.receiveCount, nextAttemptAt })
      .catch((cause: unknown) => logger.warn('could not keep the retry notice on the task', { taskId: task.id, error: cause as Error }));
    await outbox.flush();
    throw new RetryLaterError(failure.error.message, delay, { cause: error });
  }
}

type Completion = { status: 'succeeded'; payload: ResultPayload } | { status: 'failed'; error: ErrorInfo };

/** Adds the delivery's task:completed to the outbox. */
function completer(outbox: Outbox, delivery: TaskDelivery, now: () => Date): (fields: Completion) => unknown {
  return (fields) =>
    outbox.add('task:completed', {
      taskType: delivery.task.type,
      status: fields.status,
      ...(fields.status === 'succeeded' ? fields.payload : { error: fields.error }),
      attempt: delivery.receiveCount,
      durationMs: Math.max(0, now().getTime() - Date.parse(delivery.dispatchedAt)),
    });
}

/**
 * A delivery that will not be retried (its message goes to the DLQ) before the task ever ran: the task ends
 * failed with `error`, so the plan moves on instead of waiting for it forever.
 */
export async function abandonDispatchedTask(deps: TaskRunnerDeps, delivery: TaskDelivery, error: ErrorInfo): Promise<void> {
  const outbox = new Outbox(deps.publisher, delivery.events);
  await endTaskFailed(deps, outbox, delivery.task.id, 'dispatched', error, completer(outbox, delivery, deps.now ?? (() => new Date())));
}

/** The last attempt failed transiently: the task ends failed now, and says why. */
async function failForGood(
  deps: TaskRunnerDeps,
  context: ExecutionContext,
  last: ErrorInfo,
  delivery: TaskDelivery,
  complete: (fields: Completion) => unknown,
): Promise<void> {
  const reason = `Gave up after ${delivery.receiveCount} attempts (${last.code}: ${last.message}); the message was moved to the dead-letter queue.`;
  await endTaskFailed(deps, context.outbox, context.task.id, 'running', { code: 'RetriesExhausted', message: reason }, complete);
}

/**
 * Moves the task to failed (if it is still in one of `from`) and, only for the caller that moved it, adds
 * task:updated and task:completed to the outbox; then publishes. Plan progress takes it from there.
 */
async function endTaskFailed(
  deps: TaskRunnerDeps,
  outbox: Outbox,
  taskId: string,
  from: TaskStatus,
  error: ErrorInfo,
  complete: (fields: Completion) => unknown,
): Promise<void> {
  const failed = await deps.store.plans.transitionTask(outbox.context.tenantId, outbox.context.planId, taskId, 'failed', { from: [from], error });
  if (failed.transitioned) {
    outbox.add('task:updated', { status: 'failed', previousStatus: from, reason: error.message });
    complete({ status: 'failed', error });
  }
  await outbox.flush();
}
