// Plan progress (architecture §6): records each task's end with a conditional write, dispatches the next
// dependency level exactly once (a conditional pending → dispatched write per task; a failed publish puts them
// back), fails the plan on a critical failure and cancels what has not started, and on completion composes the
// answer and emits agent:completed or agent:error (once: the write that ends the plan claims the announcement).
// Every exactly-once decision lives in the plan item itself, so a message costs no idempotency-table calls.
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHash } from 'node:crypto';
import { causedBy, createEvent, EventValidationError, jsonByteLength, taskCreatedFields, type DomainEvent, type EventContext, type EventDetail, type EventName, type EventPublisher, type ErrorInfo } from '../events/index.js';
import { RefResolutionError, SAGA_TOOL } from '../plan/index.js';
import {
  ANNOUNCE_CLAIM_SECONDS,
  INLINE_RESULT_BYTES,
  PlanItemTooLargeError,
  ResultNotFoundError,
  TERMINAL_PLAN_STATUSES,
  TERMINAL_TASK_STATUSES,
  type StateStore,
  type StoredPlan,
  type StoredTask,
} from '../store/index.js';
import { type TaskStatus } from '../events/index.js';
import { boundedAnswer, composeAnswer, answerTasks, type TaskOutcome } from './answer.js';
import { argumentsForTransport, resolveTaskArguments } from '../task-runtime/index.js';
import type { ProseWriter } from '../claude/index.js';
import type { Once } from '../task-runtime/index.js';

export interface PlanProgressDeps {
  store: StateStore;
  publisher: EventPublisher;
  logger: Logger;
  writer?: ProseWriter;
  now?: () => Date;
}


/** The tool of a purchase-order saga task (the saga, not the worker, finishes it). */

const isTerminal = (status: TaskStatus) => TERMINAL_TASK_STATUSES.includes(status);

/** Plan-level events carry no task id. */
function planContext(cause: EventDetail): EventContext {
  const { taskId: _taskId, ...context } = causedBy(cause);
  return context;
}

/** What handling one event did: the tasks it dispatched (0 for a duplicate), for logs and tests. */
export interface ProgressResult {
  dispatched: number;
}

export async function handlePlanEvent(deps: PlanProgressDeps, name: EventName, detail: EventDetail): Promise<ProgressResult> {
  switch (name) {
    case 'task:completed':
      return { dispatched: await recordCompletion(deps, detail as EventDetail<'task:completed'>) };
    case 'task:updated':
      return { dispatched: await followTaskUpdate(deps, detail as EventDetail<'task:updated'>) };
    case 'approval:requested':
      await waitForApproval(deps, detail as EventDetail<'approval:requested'>);
      return { dispatched: 0 };
    case 'approval:granted':
      await resumeSagaTask(deps, detail as EventDetail<'approval:granted'>);
      return { dispatched: 0 };
    case 'approval:denied':
    case 'approval:expired':
      return { dispatched: await refuseTask(deps, detail as EventDetail<'approval:denied' | 'approval:expired'>, name === 'approval:denied' ? 'ApprovalDenied' : 'ApprovalExpired') };
    default:
      deps.logger.debug('event ignored by plan progress', { name });
      return { dispatched: 0 };
  }
}

async function loadPlan(deps: PlanProgressDeps, detail: EventDetail): Promise<StoredPlan | undefined> {
  const plan = await deps.store.plans.getPlan(detail.tenantId, detail.planId);
  if (!plan) deps.logger.warn('event for an unknown plan', { planId: detail.planId });
  return plan;
}

/** task:completed → the task's status and result (once), then whatever follows for the plan. */
export async function recordCompletion(deps: PlanProgressDeps, detail: EventDetail<'task:completed'>): Promise<number> {
  const plan = (await recordTaskEnd(deps, detail)) ?? (await loadPlan(deps, detail));
  if (!plan || !plan.tasks.some((t) => t.id === detail.taskId)) return 0;
  // A duplicate still advances: if the first handling crashed after recording, this one finishes the job.
  return advance(deps, plan, planContext(detail));
}

/**
 * Records the task's end with its result, without reading the plan first: a small result goes on the task in
 * the same conditional write (INLINE_RESULT_BYTES), a large one (or one the plan item has no room for) is
 * stored beside the plan and referenced. Returns the plan after the change, or undefined when this event did
 * not change it (a duplicate, an unknown task or plan).
 */
async function recordTaskEnd(deps: PlanProgressDeps, detail: EventDetail<'task:completed'>): Promise<StoredPlan | undefined> {
  const { tenantId, planId, taskId } = detail;
  const error = detail.error ? { error: detail.error } : {};
  const result = detail.status === 'succeeded' ? detail.result : undefined;
  if (result === undefined || jsonByteLength(result) <= INLINE_RESULT_BYTES) {
    try {
      const inline = detail.resultRef ? { resultRef: detail.resultRef } : result !== undefined ? { result } : {};
      return (await deps.store.plans.transitionTask(tenantId, planId, taskId!, detail.status, { ...inline, ...error })).record;
    } catch (cause) {
      if (!(cause instanceof PlanItemTooLargeError)) throw cause;
    }
  }
  // Stored beside the plan, after checking the task still needs it (no orphan results for a duplicate).
  const plan = await loadPlan(deps, detail);
  const task = plan?.tasks.find((t) => t.id === taskId);
  if (!plan || !task || isTerminal(task.status)) return undefined;
  const resultRef = await deps.store.results.put(tenantId, planId, taskId!, result);
  return (await deps.store.plans.transitionTask(tenantId, planId, taskId!, detail.status, { resultRef, ...error })).record;
}

async function followTaskUpdate(deps: PlanProgressDeps, detail: EventDetail<'task:updated'>): Promise<number> {
  const matters =
    detail.status === 'awaiting_approval' || detail.status === 'failed' || detail.status === 'cancelled' || detail.previousStatus === 'awaiting_approval';
  // Most updates (running, a retry notice) change nothing for the plan: no read.
  if (!matters) return 0;
  const plan = await loadPlan(deps, detail);
  if (!plan) return 0;
  if (detail.status === 'awaiting_approval') {
    // Events arrive in any order: an update overtaken by the approval (the task runs again) changes nothing.
    if (plan.tasks.find((t) => t.id === detail.taskId)?.status !== 'awaiting_approval') return 0;
    await deps.store.plans.transitionPlan(plan.tenantId, plan.planId, 'awaiting_approval', { from: ['running'] });
  } else if (detail.status === 'running' && detail.previousStatus === 'awaiting_approval') {
    if (!plan.tasks.some((t) => t.status === 'awaiting_approval')) {
      await deps.store.plans.transitionPlan(plan.tenantId, plan.planId, 'running', { from: ['awaiting_approval'] });
    }
  } else if (detail.status === 'failed' || detail.status === 'cancelled') {
    return advance(deps, plan, planContext(detail));
  }
  return 0;
}

/** A saga asked for approval: its task, and the plan, wait for a person. */
async function waitForApproval(deps: PlanProgressDeps, detail: EventDetail<'approval:requested'>): Promise<void> {
  const moved = await deps.store.plans.transitionTask(detail.tenantId, detail.planId, detail.taskId, 'awaiting_approval', { from: ['running'] });
  if (moved.transitioned) {
    await deps.publisher.publish([createEvent('task:updated', { status: 'awaiting_approval', previousStatus: 'running', reason: `Waiting for approval: ${detail.summary}` }, causedBy(detail))]);
  }
  await deps.store.plans.transitionPlan(detail.tenantId, detail.planId, 'awaiting_approval', { from: ['running'] });
}

/** A granted saga continues in Step Functions; a single write is resumed by the write worker instead. */
async function resumeSagaTask(deps: PlanProgressDeps, detail: EventDetail<'approval:granted'>): Promise<void> {
  const plan = await loadPlan(deps, detail);
  const task = plan?.tasks.find((t) => t.id === detail.taskId);
  if (!plan || !task || task.tool !== SAGA_TOOL) return;
  const moved = await deps.store.plans.transitionTask(plan.tenantId, plan.planId, task.id, 'running', { from: ['awaiting_approval'] });
  if (moved.transitioned) {
    await deps.publisher.publish([createEvent('task:updated', { status: 'running', previousStatus: 'awaiting_approval', reason: 'Approved.' }, causedBy(detail))]);
    if (!moved.record?.tasks.some((t) => t.status === 'awaiting_approval')) {
      await deps.store.plans.transitionPlan(plan.tenantId, plan.planId, 'running', { from: ['awaiting_approval'] });
    }
  }
}

async function refuseTask(deps: PlanProgressDeps, detail: EventDetail<'approval:denied' | 'approval:expired'>, code: string): Promise<number> {
  const reason = 'reason' in detail && detail.reason ? ` (${detail.reason})` : '';
  const error: ErrorInfo = { code, message: `Not written: the approval was ${code === 'ApprovalDenied' ? 'denied' : 'not given in time'}${reason}.` };
  const moved = await deps.store.plans.transitionTask(detail.tenantId, detail.planId, detail.taskId, 'failed', { from: ['awaiting_approval', 'running'], error });
  if (moved.transitioned) {
    await deps.publisher.publish([createEvent('task:updated', { status: 'failed', previousStatus: 'awaiting_approval', reason: error.message }, causedBy(detail))]);
  }
  const plan = moved.record ?? (await loadPlan(deps, detail));
  if (plan) {
    if (plan.status === 'awaiting_approval' && !plan.tasks.some((t) => t.status === 'awaiting_approval')) {
      await deps.store.plans.transitionPlan(plan.tenantId, plan.planId, 'running', { from: ['awaiting_approval'] });
    }
    return advance(deps, (await deps.store.plans.getPlan(plan.tenantId, plan.planId)) ?? plan, planContext(detail));
  }
  return 0;
}

/** Moves the plan on from what the store says: fail, finish, or dispatch the next level; returns tasks dispatched. */
export async function advance(deps: PlanProgressDeps, initial: StoredPlan, context: EventContext): Promise<number> {
  let plan = initial;
  let dispatched = 0;
  // Each turn either returns or finds a level that ended at dispatch (every task cancelled or failed).
  for (let turn = 0; turn <= plan.levels.length; turn++) {
    const criticalFailure = plan.tasks.find((t) => t.critical && (t.status === 'failed' || t.status === 'cancelled') && t.error?.code !== PLAN_FAILED);
    // An ended plan may still owe its announcement (a publish refused, a crash after the status change):
    // finishPlan and failPlan make it good once, under the plan's announcement claim.
    if (plan.status === 'succeeded' && plan.endedAt) {
      await finishPlan(deps, plan, context);
      return dispatched;
    }
    if (plan.status === 'failed' && plan.endedAt && criticalFailure) {
      await failPlan(deps, plan, criticalFailure, context);
      return dispatched;
    }
    if (TERMINAL_PLAN_STATUSES.includes(plan.status)) return dispatched;
    if (criticalFailure) {
      await failPlan(deps, plan, criticalFailure, context);
      return dispatched;
    }
    if (plan.tasks.every((t) => isTerminal(t.status))) {
      await finishPlan(deps, plan, context);
      return dispatched;
    }

    const status = new Map(plan.tasks.map((t) => [t.id, t.status]));
    const level = plan.levels.findIndex((ids) => ids.some((id) => !isTerminal(status.get(id)!)));
    // A level with a pending task is owed its dispatch. The conditional pending → dispatched write of each
    // task is the exactly-once decision (of concurrent handlers one moves it and announces it); a dispatch
    // whose publish failed puts its tasks back to pending, so the event's retry dispatches them again, and
    // one whose handler died leaves them dispatched but unannounced, which the plan sweeper re-announces.
    if (level < 0 || !plan.levels[level]!.some((id) => status.get(id) === 'pending')) return dispatched;
    const outcome = await dispatchOwed(deps, plan, plan.levels[level]!, context);
    dispatched += outcome.announced;
    // A level where something was dispatched is in flight: nothing more to do until it ends. One that ended
    // at dispatch (every task cancelled or failed) lets the next turn move on from the plan as now stored.
    if (outcome.announced > 0 || !outcome.plan) return dispatched;
    plan = outcome.plan;
  }
  return dispatched;
}

/**
 * Dispatches one level: each pending task is resolved and moved to dispatched (a conditional write: of
 * concurrent callers one wins per task) and announced by task:created. Tasks still `dispatched` (their
 * task:created lost with a handler that died) are announced again. Returns the task:created count.
 */
export async function dispatchLevel(deps: PlanProgressDeps, plan: StoredPlan, level: number, context: EventContext): Promise<number> {
  return dispatchTasks(deps, plan, plan.levels[level] ?? [], context);
}

/**
 * Dispatches the named tasks of one level as dispatchLevel does (the plan sweeper re-announces a lost
 * task:created through here): pending ones are resolved and moved to dispatched, dispatched ones announced
 * again. Returns the task:created count.
 */
export async function dispatchTasks(deps: PlanProgressDeps, plan: StoredPlan, taskIds: readonly string[], context: EventContext): Promise<number> {
  return (await dispatchOwed(deps, plan, taskIds, context)).announced;
}

/** dispatchTasks, also returning the plan as the last change left it (undefined when nothing changed). */
async function dispatchOwed(
  deps: PlanProgressDeps,
  plan: StoredPlan,
  taskIds: readonly string[],
  context: EventContext,
): Promise<{ announced: number; plan?: StoredPlan }> {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const events: DomainEvent[] = [];
  let latest: StoredPlan | undefined;
  /** Tasks this call moved to dispatched, with the time it did (to put them back if the publish fails). */
  const moves: { id: string; at: string }[] = [];
  const update = (task: StoredTask, to: 'cancelled' | 'failed', reason: string) =>
    events.push(createEvent('task:updated', { status: to, previousStatus: 'pending', reason }, { ...context, taskId: task.id }));

  for (const id of taskIds) {
    const task = byId.get(id)!;
    if (task.status !== 'pending' && task.status !== 'dispatched') continue;
    const blocker = task.dependsOn.map((d) => byId.get(d)!).find((d) => d.status !== 'succeeded');
    if (blocker && task.status === 'pending') {
      const reason = `Not run: it needs the result of ${blocker.id}, which ${blocker.status === 'failed' ? 'failed' : `is ${blocker.status}`}.`;
      const moved = await deps.store.plans.transitionTask(plan.tenantId, plan.planId, id, 'cancelled', { from: ['pending'], error: { code: 'DependencyFailed', message: reason } });
      latest = moved.record ?? latest;
      if (moved.transitioned) update(task, 'cancelled', reason);
      continue;
    }
    let args: Record<string, unknown>;
    try {
      args = await argumentsForTransport(deps.store, plan, id, await resolveTaskArguments(deps.store, plan, task));
    } catch (error) {
      if (!(error instanceof RefResolutionError || error instanceof ResultNotFoundError)) throw error;
      const reason = `Not run: ${error.message}`;
      const moved = await deps.store.plans.transitionTask(plan.tenantId, plan.planId, id, 'failed', { from: ['pending'], error: { code: 'RefResolutionFailed', message: reason } });
      latest = moved.record ?? latest;
      if (moved.transitioned) update(task, 'failed', reason);
      continue;
    }
    let created: DomainEvent<'task:created'>;
    try {
      created = createEvent('task:created', taskCreatedFields(task, args), { ...context, taskId: id });
    } catch (error) {
      // The stored task does not fit the task:created schema: it cannot run as planned; say why rather than retry.
      if (!(error instanceof EventValidationError)) throw error;
      const reason = `Not run: ${error.message}`;
      const moved = await deps.store.plans.transitionTask(plan.tenantId, plan.planId, id, 'failed', { from: ['pending', 'dispatched'], error: { code: 'InvalidTask', message: reason } });
      latest = moved.record ?? latest;
      if (moved.transitioned) update(task, 'failed', reason);
      continue;
    }
    if (task.status === 'pending') {
      const moved = await deps.store.plans.transitionTask(plan.tenantId, plan.planId, id, 'dispatched', { from: ['pending'] });
      if (!moved.transitioned) continue;
      latest = moved.record ?? latest;
      const at = moved.record?.tasks.find((t) => t.id === id)?.updatedAt;
      if (at) moves.push({ id, at });
    }
    events.push(created);
  }
  if (events.length > 0) {
    try {
      await deps.publisher.publish(events);
    } catch (error) {
      // Not announced: back to pending, so the retry of the event being handled dispatches them again.
      await Promise.all(moves.map((m) => deps.store.plans.undispatch(plan.tenantId, plan.planId, m.id, m.at))).catch((cause: unknown) =>
        deps.logger.error('could not put undispatched tasks back to pending; the plan sweeper will re-announce them', { error: cause as Error }),
      );
      throw error;
    }
  }
  return { announced: events.filter((e) => e.name === 'task:created').length, ...(latest ? { plan: latest } : {}) };
}

async function outcomesOf(deps: PlanProgressDeps, plan: StoredPlan, tasks: StoredTask[]): Promise<TaskOutcome[]> {
  return Promise.all(
    tasks.map(async (task): Promise<TaskOutcome> => {
      if (task.status === 'succeeded' && task.result !== undefined) return { task, result: task.result };
      if (task.status !== 'succeeded' || !task.resultRef) return { task };
      try {
        return { task, result: await deps.store.results.get(plan.tenantId, task.resultRef) };
      } catch (error) {
        if (error instanceof ResultNotFoundError) return { task };
        throw error;
      }
    }),
  );
}

const durationOf = (plan: StoredPlan, now: Date) => Math.max(0, now.getTime() - Date.parse(plan.createdAt));

/** The answer's session message: its id and time come from the plan, so announcing again does not repeat it. */
function answerMessage(plan: StoredPlan, text: string) {
  const hash = createHash('sha256').update(`answer:${plan.tenantId}/${plan.planId}`).digest('hex');
  const messageId = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
  return { messageId, role: 'assistant' as const, text, createdAt: plan.endedAt ?? plan.updatedAt, planId: plan.planId };
}

/**
 * Moves the plan to its end status (unless it is there already) and returns it as stored then, or undefined
 * when another handler ended it otherwise (e.g. cancelled).
 */
async function endPlan(
  deps: PlanProgressDeps,
  plan: StoredPlan,
  to: 'succeeded' | 'failed',
  fields: { response: string; error?: ErrorInfo },
): Promise<{ plan: StoredPlan; claim?: Date } | undefined> {
  const claim = new Date((deps.now ?? (() => new Date()))().getTime() + ANNOUNCE_CLAIM_SECONDS * 1000);
  if (plan.status === to) return { plan };
  // The write that ends the plan also claims its announcement: the one handler that ended it announces it.
  const ended = await deps.store.plans.transitionPlan(plan.tenantId, plan.planId, to, { ...fields, announceBy: claim });
  if (ended.record) return { plan: ended.record, claim };
  const current = await deps.store.plans.getPlan(plan.tenantId, plan.planId);
  return current?.status === to ? { plan: current } : undefined;
}

/**
 * Announces the ended plan's end at most once: under the claim its ending write took, or else one taken now
 * (refused when it is announced already or another handler holds the claim). A failed announcement gives
 * the claim back, so the event's retry makes it; an announcer that died leaves it to the plan sweeper.
 */
async function announceOnce(deps: PlanProgressDeps, ended: { plan: StoredPlan; claim?: Date }, announce: () => Promise<void>): Promise<void> {
  const { plan } = ended;
  const now = (deps.now ?? (() => new Date()))();
  const claim = ended.claim ?? new Date(now.getTime() + ANNOUNCE_CLAIM_SECONDS * 1000);
  if (!ended.claim && !(await deps.store.plans.claimAnnouncement(plan.tenantId, plan.planId, claim, now))) return;
  try {
    await announce();
  } catch (error) {
    await deps.store.plans
      .releaseAnnouncement(plan.tenantId, plan.planId, claim)
      .catch((cause: unknown) => deps.logger.warn('could not give the announcement claim back; it lapses', { error: cause as Error }));
    throw error;
  }
  // Announced: the plan sweeper need not look at it again (until then the sweep index keeps it).
  await deps.store.plans.leaveSweep(plan.tenantId, plan.planId);
}

async function finishPlan(deps: PlanProgressDeps, initial: StoredPlan, context: EventContext): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const ended =
    initial.status === 'succeeded'
      ? { plan: initial }
      : await endPlan(deps, initial, 'succeeded', { response: await composeAnswer(initial, await outcomesOf(deps, initial, answerTasks(initial)), deps.writer) });
  if (!ended) return;
  const { plan } = ended;
  const response = plan.response ?? '';
  await announceOnce(deps, ended, async () => {
    await deps.store.sessions.appendMessage(plan.tenantId, plan.sessionId, answerMessage(plan, response));
    await deps.publisher.publish([createEvent('agent:completed', { status: 'succeeded', response, durationMs: durationOf(plan, now()) }, context)]);
  });
}

/** The error code of a task cancelled because its plan failed (not itself a cause of the failure). */
const PLAN_FAILED = 'PlanFailed';

async function failPlan(deps: PlanProgressDeps, initial: StoredPlan, failed: StoredTask, context: EventContext): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const cause = failed.error?.message ?? `task ${failed.id} ${failed.status}`;
  const error: ErrorInfo = { code: failed.error?.code ?? 'TaskFailed', message: cause };
  const ended = await endPlan(deps, initial, 'failed', { response: boundedAnswer(`I could not finish this: ${failed.description ?? failed.id} — ${cause}`), error });
  if (!ended) return;
  const { plan } = ended;
  await announceOnce(deps, ended, async () => {
    const events: DomainEvent[] = [];
    const reason = `The plan failed: ${failed.id} ${failed.status}.`;
    // What has not started is cancelled (a single write still waiting for its approval included); a running
    // task (or a saga, which runs in Step Functions) finishes and its result is simply not used. A task
    // cancelled by an earlier, interrupted announcement is announced now.
    for (const task of plan.tasks) {
      let previousStatus: TaskStatus | undefined;
      if (task.status === 'pending' || task.status === 'dispatched' || (task.status === 'awaiting_approval' && task.tool !== SAGA_TOOL)) {
        const moved = await deps.store.plans.transitionTask(plan.tenantId, plan.planId, task.id, 'cancelled', { from: [task.status], error: { code: PLAN_FAILED, message: reason } });
        if (!moved.transitioned) continue;
        previousStatus = task.status;
      } else if (task.status !== 'cancelled' || task.error?.code !== PLAN_FAILED) {
        continue;
      }
      events.push(createEvent('task:updated', { status: 'cancelled', ...(previousStatus ? { previousStatus } : {}), reason }, { ...context, taskId: task.id }));
    }
    await deps.store.sessions.appendMessage(plan.tenantId, plan.sessionId, answerMessage(plan, plan.response ?? cause));
    events.push(createEvent('agent:error', { error: plan.error ?? error, failedTaskId: failed.id, durationMs: durationOf(plan, now()) }, context));
    await deps.publisher.publish(events);
  });
}
