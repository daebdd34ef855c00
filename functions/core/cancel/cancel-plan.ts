// Cancelling a plan (DELETE /v1/plans/{planId}): what has not started is cancelled, what waits for a person
// is released without effect, what is already running finishes and is reported.
//
// Order matters. The plan moves to `cancelled` first (one conditional write: of a cancel racing the plan's own
// end, exactly one wins), so from then on a worker that picks a task up does not run it (run-task skips a task
// of an ended plan), plan progress dispatches nothing more, and a grant is refused (planWaiterCheck: the plan
// has ended). Then each task that has not started is cancelled, and each pending approval is closed: a single
// write never resumes, and a purchase-order saga waiting on its token is failed with ApprovalNotGranted, so its
// Catch ends the execution before it writes. A saga already past its approval is not stopped: StopExecution
// would skip its compensation, and failing it from outside would undo a write the approver authorised; it
// finishes (or compensates on its own failure) and is reported in `stillRunning`.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ApprovalService } from '../approvals/index.js';
import { createEvent, type DomainEvent, type EventContext, type EventPublisher, type TaskStatus } from '../events/index.js';
import { SAGA_TOOL } from '../plan/index.js';
import { TERMINAL_PLAN_STATUSES, type StateStore, type StoredPlan } from '../store/index.js';
import { approvalIdOfTask } from './task-approval.js';

/** Statuses of a task that has not started (or waits for a person): these are cancelled. */
const NOT_STARTED: readonly TaskStatus[] = ['pending', 'dispatched', 'awaiting_approval'];
export const CANCELLED_CODE = 'Cancelled';
const APPROVER_ROLE = 'approver';

export type CancelErrorKind = 'not_found' | 'forbidden' | 'ended';

export class CancelError extends Error {
  override readonly name = 'CancelError';
  constructor(
    readonly kind: CancelErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface CancelDeps {
  store: StateStore;
  publisher: EventPublisher;
  approvals: Pick<ApprovalService, 'close' | 'current'>;
  logger: Logger;
  now?: () => Date;
}

export interface Canceller {
  sub: string;
  tenantId: string;
  roles: readonly string[];
}

export interface CancelOutcome {
  plan: StoredPlan;
  /** Tasks this call cancelled, with the status each had. */
  cancelledTasks: { taskId: string; previousStatus: TaskStatus }[];
  /** Approvals closed (a waiting saga told to end without writing). */
  closedApprovals: { approvalId: string; taskId: string }[];
  /** Tasks already running: they finish, and their results are not used. */
  stillRunning: { taskId: string; reason: string }[];
}

function runningNote(task: { tool: string; type: string }): string {
  if (task.tool === SAGA_TOOL) {
    return 'The purchase-order saga is past its approval (or has not asked yet): it finishes, or undoes its writes if a step fails; an approval it asks for now is refused.';
  }
  if (task.type === 'write') return 'The approved write is in progress: it finishes and is not undone.';
  return 'The task is running: it finishes and its result is not used.';
}

export async function cancelPlan(deps: CancelDeps, caller: Canceller, planId: string, correlationId: string): Promise<CancelOutcome> {
  const now = deps.now ?? (() => new Date());
  const found = await deps.store.plans.getPlan(caller.tenantId, planId);
  if (!found) throw new CancelError('not_found', `no plan ${planId}`);
  if (found.createdBy !== caller.sub && !caller.roles.includes(APPROVER_ROLE)) {
    throw new CancelError('forbidden', 'only the user who sent the message or an approver can cancel this plan');
  }
  if (TERMINAL_PLAN_STATUSES.includes(found.status)) throw new CancelError('ended', `plan ${planId} has already ended (${found.status})`);

  const reason = `Cancelled by ${caller.sub}.`;
  const response = `The plan was cancelled by ${caller.sub} before it finished.`;
  const ended = await deps.store.plans.transitionPlan(caller.tenantId, planId, 'cancelled', {
    response,
    error: { code: CANCELLED_CODE, message: reason },
    now: now(),
  });
  if (!ended.transitioned || !ended.record) {
    const current = await deps.store.plans.getPlan(caller.tenantId, planId);
    throw new CancelError('ended', `plan ${planId} has already ended (${current?.status ?? 'gone'})`);
  }
  let plan = ended.record;

  const context: EventContext = { tenantId: plan.tenantId, sessionId: plan.sessionId, planId, correlationId, causationId: `cancel-${randomUUID()}` };
  const events: DomainEvent[] = [];
  const outcome: CancelOutcome = { plan, cancelledTasks: [], closedApprovals: [], stillRunning: [] };

  for (const task of ended.record.tasks) {
    // A pending approval of the task must not release anything any more: closed first, so that a saga waiting
    // on it ends without writing.
    const approvalId = approvalIdOfTask(plan.tenantId, planId, task);
    const live = task.status !== 'succeeded' && task.status !== 'failed' && task.status !== 'cancelled';
    const closed = approvalId && live ? await deps.approvals.close(plan.tenantId, approvalId, `its plan ${planId} was cancelled by ${caller.sub}`) : undefined;
    if (approvalId && closed) {
      outcome.closedApprovals.push({ approvalId, taskId: task.id });
      events.push(createEvent('approval:closed', { approvalId, reason: closed.closedReason ?? reason }, { ...context, taskId: task.id }));
    } else if (approvalId && task.tool === SAGA_TOOL && task.status === 'awaiting_approval') {
      // Granted just before the cancel: the saga is writing now, whatever the plan says. Its task is left to
      // report how it ended rather than be marked cancelled over an order that exists.
      if ((await deps.approvals.current(plan.tenantId, approvalId))?.status === 'granted') {
        outcome.stillRunning.push({ taskId: task.id, reason: runningNote(task) });
        continue;
      }
    }
    // A running saga whose approval was just closed (plan progress had not yet moved it to awaiting_approval)
    // ends without writing: it is cancelled like a waiting one.
    if (NOT_STARTED.includes(task.status) || (closed && task.status === 'running')) {
      // From any not-started status: plan progress may have dispatched it since the read.
      const moved = await deps.store.plans.transitionTask(plan.tenantId, planId, task.id, 'cancelled', {
        from: closed ? [...NOT_STARTED, 'running'] : NOT_STARTED,
        error: { code: CANCELLED_CODE, message: reason },
        now: now(),
      });
      if (moved.transitioned) {
        const previousStatus = plan.tasks.find((t) => t.id === task.id)?.status ?? task.status;
        plan = moved.record ?? plan;
        outcome.cancelledTasks.push({ taskId: task.id, previousStatus });
        events.push(createEvent('task:updated', { status: 'cancelled', previousStatus, reason }, { ...context, taskId: task.id }));
      }
    } else if (task.status === 'running' && !closed) {
      outcome.stillRunning.push({ taskId: task.id, reason: runningNote(task) });
    }
  }
  outcome.plan = plan;

  // The answer in the session, and the plan's end, as plan progress announces its own ends.
  await deps.store.sessions.appendMessage(plan.tenantId, plan.sessionId, {
    messageId: randomUUID(),
    role: 'assistant',
    text: response,
    createdAt: plan.endedAt ?? now().toISOString(),
    planId,
  });
  events.push(createEvent('agent:completed', { status: 'cancelled', response, durationMs: Math.max(0, now().getTime() - Date.parse(plan.createdAt)) }, context));
  try {
    await deps.publisher.publish(events);
    // Announced: the plan sweeper need not look at it again.
    await deps.store.plans.leaveSweep(plan.tenantId, planId);
  } catch (error) {
    // The cancel took effect (the store says so); the sweeper takes the plan out of its index.
    deps.logger.error('the cancellation could not be announced', { planId, error: error as Error });
  }
  return outcome;
}
