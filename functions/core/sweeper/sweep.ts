// The plan sweeper (issue 9): every run takes the live plans whose next check is due from the sparse index
// bySweepAt (functions/core/store/keys.ts), decides what each needs (decide.ts) and does it through the same
// paths plan progress and the workers use: task:created again through dispatchTasks (the task's run lease and
// status guard a duplicate), a failed task with task:updated + task:completed, an ended saga through
// recordCompletion, and a plan's end through advance (its announcement claim announces it exactly once). Then
// it sets the plan's next check.
import { randomUUID } from 'node:crypto';
import { createEvent, type DomainEvent, type EventContext, type ErrorInfo } from '../events/index.js';
import { advance, dispatchTasks, recordCompletion, type PlanProgressDeps } from '../progress/index.js';
import type { SagaExecutionLookup } from '../tasks/index.js';
import { emitMetric, MetricUnit, type Metrics } from '../observability/index.js';
import { causeMessage, succeededResultFromOutput } from '../saga/index.js';
import { TERMINAL_PLAN_STATUSES, type StoredPlan, type StoredTask, type SweepEntry } from '../store/index.js';
import { decideSweep, sagaTasksToDescribe, type SagaExecutionState, type SweepAction, type SweeperSettings } from './decide.js';

export const STUCK_PLANS_METRIC = 'StuckPlansFound';

export interface PlanSweeperDeps extends PlanProgressDeps {
  settings: SweeperSettings;
  /** DescribeExecution of a saga task; without it saga tasks are left to Step Functions. */
  sagas?: SagaExecutionLookup;
  metrics?: Metrics;
}

export interface PlanSweepOutcome {
  planId: string;
  tenantId: string;
  actions: SweepAction[];
  /** An ended plan still in the index (its end announcement was owed). */
  ended?: boolean;
}

export interface SweepReport {
  /** Plans looked at (their check was due). */
  examined: number;
  /** Plans the sweeper had to act on: the StuckPlansFound metric. */
  stuck: number;
  plans: PlanSweepOutcome[];
}

/** One run over every due plan; one plan's failure does not stop the others, the run then fails with them. */
export async function sweepPlans(deps: PlanSweeperDeps): Promise<SweepReport> {
  const now = (deps.now ?? (() => new Date()))();
  const due = await deps.store.plans.dueForSweep(now, deps.settings.maxPlansPerRun);
  const causationId = `plan-sweeper-${randomUUID()}`;
  const plans: PlanSweepOutcome[] = [];
  const failures: unknown[] = [];
  for (const entry of due) {
    try {
      const outcome = await sweepPlan(deps, entry, now, causationId);
      if (outcome) plans.push(outcome);
    } catch (error) {
      deps.logger.error('plan sweep failed', { planId: entry.planId, error: error as Error });
      failures.push(error);
    }
  }
  const acted = plans.filter((p) => p.ended || p.actions.length > 0);
  // Emitted every run, 0 included, so an alarm on it has data (missing data is not "no stuck plans").
  if (deps.metrics) emitMetric(deps.metrics, STUCK_PLANS_METRIC, MetricUnit.Count, acted.length);
  for (const plan of acted) deps.logger.warn('stuck plan driven on', { planId: plan.planId, tenantId: plan.tenantId, ended: plan.ended ?? false, actions: plan.actions });
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `the sweep failed for ${failures.length} plans`);
  return { examined: due.length, stuck: acted.length, plans };
}

function contextOf(plan: StoredPlan, causationId: string): EventContext {
  return { tenantId: plan.tenantId, sessionId: plan.sessionId, planId: plan.planId, correlationId: plan.correlationId, causationId };
}

export async function sweepPlan(deps: PlanSweeperDeps, entry: SweepEntry, now: Date, causationId: string): Promise<PlanSweepOutcome | undefined> {
  const plan = await deps.store.plans.getPlan(entry.tenantId, entry.planId);
  if (!plan) return undefined; // gone with its TTL (the index entry goes with it)
  const context = contextOf(plan, causationId);
  if (TERMINAL_PLAN_STATUSES.includes(plan.status)) {
    // Ended, but its announcement never took it out of the index: advance announces it (once), then it leaves.
    await advance(deps, plan, context);
    await deps.store.plans.leaveSweep(plan.tenantId, plan.planId);
    return { planId: plan.planId, tenantId: plan.tenantId, actions: [], ended: true };
  }

  const sagas = new Map<string, SagaExecutionState>();
  if (deps.sagas) {
    for (const task of sagaTasksToDescribe(plan, now, deps.settings)) sagas.set(task.id, await deps.sagas(plan.planId, task.id));
  }
  const decision = decideSweep(plan, now, deps.settings, sagas);
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  for (const action of decision.actions) {
    switch (action.kind) {
      case 'redispatch':
        await redispatch(deps, plan, byId.get(action.taskId)!, action.reason, context, now);
        break;
      case 'fail':
        await failTask(deps, plan, byId.get(action.taskId)!, action.error, context, now);
        break;
      case 'saga-ended':
        await endSagaTask(deps, plan, byId.get(action.taskId)!, action.execution, context, now);
        break;
      case 'advance':
        break;
    }
  }
  if (decision.actions.length > 0) {
    // Whatever the actions left for plan progress (the plan's end, the next level) is done now, not on the
    // events they published (which plan progress also handles; its conditional writes make the second a no-op).
    const current = await deps.store.plans.getPlan(plan.tenantId, plan.planId);
    if (current) await advance(deps, current, context);
  }
  // Next look: soon after acting (to see it through), else when something may next become overdue.
  const next = decision.actions.length > 0 ? new Date(now.getTime() + deps.settings.settleSeconds * 1000) : decision.nextCheckAt;
  await deps.store.plans.scheduleSweep(plan.tenantId, plan.planId, next);
  return { planId: plan.planId, tenantId: plan.tenantId, actions: decision.actions };
}

/** task:created again through the dispatch path; only the sweeper that moved the task announces it. */
async function redispatch(deps: PlanSweeperDeps, plan: StoredPlan, task: StoredTask, reason: string, context: EventContext, now: Date): Promise<void> {
  const moved = await deps.store.plans.markRedispatched(plan.tenantId, plan.planId, task, now);
  if (!moved.transitioned || !moved.record) return;
  await deps.publisher.publish([
    createEvent('task:updated', { status: 'dispatched', previousStatus: task.status, reason: `Dispatched again: ${reason}.` }, { ...context, taskId: task.id }, { now }),
  ]);
  await dispatchTasks(deps, moved.record, [task.id], context);
}

function completed(task: StoredTask, fields: { status: 'succeeded'; result: unknown } | { status: 'failed'; error: ErrorInfo }, context: EventContext, now: Date): DomainEvent<'task:completed'> {
  const since = Date.parse(task.startedAt ?? task.updatedAt);
  return createEvent(
    'task:completed',
    {
      taskType: task.type,
      ...fields,
      attempt: task.attempt,
      durationMs: Number.isFinite(since) ? Math.max(0, now.getTime() - since) : 0,
    },
    { ...context, taskId: task.id },
    { now },
  );
}

/** Fails a task that made no progress since the sweeper read it; announces it as a worker would. */
async function failTask(deps: PlanSweeperDeps, plan: StoredPlan, task: StoredTask, error: ErrorInfo, context: EventContext, now: Date): Promise<void> {
  const failed = await deps.store.plans.transitionTask(plan.tenantId, plan.planId, task.id, 'failed', { from: [task.status], unchangedSince: task.updatedAt, error, now });
  if (!failed.transitioned) return;
  await deps.publisher.publish([
    createEvent('task:updated', { status: 'failed', previousStatus: task.status, reason: error.message }, { ...context, taskId: task.id }, { now }),
    completed(task, { status: 'failed', error }, context, now),
  ]);
}

const SAGA_END_CODES = { FAILED: 'SagaFailed', TIMED_OUT: 'SagaTimedOut', ABORTED: 'SagaAborted' } as const;

/** A saga execution that ended without its task ending: the task ends as the execution did. */
async function endSagaTask(
  deps: PlanSweeperDeps,
  plan: StoredPlan,
  task: StoredTask,
  execution: Extract<SagaExecutionState, { status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' }>,
  context: EventContext,
  now: Date,
): Promise<void> {
  const fields =
    execution.status === 'SUCCEEDED'
      ? { status: 'succeeded' as const, result: succeededResultFromOutput(execution.output) }
      : {
          status: 'failed' as const,
          error: {
            code: execution.error || SAGA_END_CODES[execution.status],
            message: causeMessage(execution.cause) || `The purchase-order saga ended ${execution.status.toLowerCase().replace('_', ' ')} without reporting its task.`,
          },
        };
  const event = completed(task, fields, context, now);
  await deps.publisher.publish([event]);
  await recordCompletion(deps, event.detail);
}
