// What the plan sweeper does with one live plan, decided from the plan as stored, the time, and (for saga
// tasks) how their Step Functions execution stands. Pure: the clock and the executions are inputs, so every
// rule is tested without waiting (test/unit/functions/core/sweeper/decide.test.ts).
import type { ErrorInfo } from '../events/index.js';
import { SAGA_TOOL } from '../plan/index.js';
import type { SagaExecutionStatus as SagaExecutionState } from '../tasks/index.js';
import { TERMINAL_TASK_STATUSES, type StoredPlan, type StoredTask } from '../store/index.js';
import { type TaskType } from '../events/index.js';

export interface SweeperSettings {
  /** A `dispatched` task not started this long after it was (re-)dispatched (plus its own delay) is re-dispatched. */
  dispatchedSeconds: number;
  /** A `running` task with no progress this long is taken for lost (its worker died). */
  runningSeconds: number;
  /** How long an ended task, an ended saga execution or an owed dispatch may wait for plan progress. */
  settleSeconds: number;
  /** A single write `awaiting_approval` this long (the approval's TTL plus slack) is failed. */
  approvalSeconds: number;
  /** Re-dispatches per task before it is failed. */
  maxRedispatches: number;
  /** Plans looked at per run (the rest wait for the next run). */
  maxPlansPerRun: number;
}

export const DEFAULT_SWEEPER_SETTINGS: SweeperSettings = {
  dispatchedSeconds: 300,
  runningSeconds: 900,
  settleSeconds: 60,
  approvalSeconds: 20 * 60,
  maxRedispatches: 2,
  maxPlansPerRun: 200,
};

export type SweepAction =
  /** Announce the task again (task:created); its status goes back to `dispatched`. */
  | { kind: 'redispatch'; taskId: string; reason: string }
  /** End the task failed with a readable reason. */
  | { kind: 'fail'; taskId: string; error: ErrorInfo }
  /** End a saga task as its execution ended. */
  | { kind: 'saga-ended'; taskId: string; execution: Exclude<SagaExecutionState, { status: 'RUNNING' } | { status: 'MISSING' }> }
  /** Plan progress owes the plan a step (every task final, or a level to dispatch): take it. */
  | { kind: 'advance'; reason: string };

export interface SweepDecision {
  actions: SweepAction[];
  /** When to look at the plan again if it is still live after the actions. */
  nextCheckAt: Date;
}

export type { SagaExecutionState };

/** Task types whose run has no effect outside the plan: repeating one is safe. */
const REPEATABLE: readonly TaskType[] = ['query', 'analysis', 'validation'];

const isTerminal = (task: StoredTask) => TERMINAL_TASK_STATUSES.includes(task.status);
export const isSagaTask = (task: StoredTask) => task.tool === SAGA_TOOL;
const at = (iso: string | undefined, fallback: number) => {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(ms) ? ms : fallback;
};
const seconds = (ms: number) => Math.round(ms / 1000);

/** The saga tasks whose execution the sweeper must look up before deciding (in flight for settleSeconds). */
export function sagaTasksToDescribe(plan: StoredPlan, now: Date, settings: SweeperSettings): StoredTask[] {
  return plan.tasks.filter(
    (t) => isSagaTask(t) && (t.status === 'running' || t.status === 'awaiting_approval') && now.getTime() - at(t.updatedAt, 0) >= settings.settleSeconds * 1000,
  );
}

export function decideSweep(plan: StoredPlan, now: Date, settings: SweeperSettings, sagas: ReadonlyMap<string, SagaExecutionState> = new Map()): SweepDecision {
  const nowMs = now.getTime();
  const actions: SweepAction[] = [];
  /** Moments something may become overdue: the next check is the earliest. */
  const checks: number[] = [];
  const redispatchOrFail = (task: StoredTask, why: string, failure: ErrorInfo) => {
    if ((task.redispatches ?? 0) < settings.maxRedispatches) actions.push({ kind: 'redispatch', taskId: task.id, reason: why });
    else actions.push({ kind: 'fail', taskId: task.id, error: failure });
  };
  let inFlight = 0;

  for (const task of plan.tasks) {
    if (isTerminal(task) || task.status === 'pending') continue;
    const since = at(task.updatedAt, nowMs);
    const idle = nowMs - since;
    const tries = task.redispatches ?? 0;

    if (task.status === 'dispatched') {
      const deadline = since + (settings.dispatchedSeconds + task.delaySeconds) * 1000;
      if (nowMs >= deadline) {
        redispatchOrFail(task, `dispatched ${seconds(idle)} s ago and never started`, {
          code: 'TaskNeverStarted',
          message: `Not run: the task was dispatched${tries > 0 ? ` ${tries + 1} times` : ''} and never started (its queue message was lost); the last time ${seconds(idle)} s ago.`,
        });
      } else {
        inFlight++;
        checks.push(deadline);
      }
      continue;
    }

    if (isSagaTask(task)) {
      const execution = sagas.get(task.id);
      if (!execution || execution.status === 'RUNNING') {
        // Not looked up yet (too recent) or still running: Step Functions will end it; look again later.
        inFlight++;
        checks.push(since + settings.settleSeconds * 1000, nowMs + settings.settleSeconds * 1000);
        continue;
      }
      if (execution.status !== 'MISSING') {
        actions.push({ kind: 'saga-ended', taskId: task.id, execution });
        continue;
      }
      // No execution: the write worker died before it started one. StartExecution is named after the task, so
      // announcing the task again cannot start a second saga.
      const deadline = since + settings.runningSeconds * 1000;
      if (nowMs >= deadline) {
        redispatchOrFail(task, `no saga execution ${seconds(idle)} s after it started`, {
          code: 'WorkerLost',
          message: `Not written: the purchase-order saga was never started (the worker stopped ${seconds(idle)} s ago${tries > 0 ? `, ${tries} re-dispatches did not start it` : ''}).`,
        });
      } else {
        inFlight++;
        checks.push(deadline);
      }
      continue;
    }

    if (task.status === 'awaiting_approval') {
      const deadline = since + settings.approvalSeconds * 1000;
      if (nowMs >= deadline) {
        actions.push({
          kind: 'fail',
          taskId: task.id,
          error: { code: 'ApprovalExpired', message: `Not written: the approval was not given in time (waiting ${seconds(idle)} s).` },
        });
      } else {
        inFlight++;
        checks.push(deadline);
      }
      continue;
    }

    // running
    const deadline = since + settings.runningSeconds * 1000;
    if (nowMs < deadline) {
      inFlight++;
      checks.push(deadline);
    } else if (REPEATABLE.includes(task.type)) {
      redispatchOrFail(task, `running with no progress for ${seconds(idle)} s (its worker stopped)`, {
        code: 'WorkerLost',
        message: `Stopped: its worker stopped answering while it ran and ${tries} re-runs did not finish it (no progress for ${seconds(idle)} s).`,
      });
    } else {
      // A write may have reached BC before its worker died, and nothing proves it did not: it is not repeated.
      actions.push({
        kind: 'fail',
        taskId: task.id,
        error: {
          code: 'WorkerLost',
          message: `Stopped: its worker stopped answering while it wrote (no progress for ${seconds(idle)} s). It is not repeated because the write may have reached Business Central; check there before asking again.`,
        },
      });
    }
  }

  // What is left for plan progress: every task final (the plan's end) or a level to dispatch, once nothing is
  // in flight and the last change has had time to be handled by plan progress itself.
  if (inFlight === 0 && actions.length === 0) {
    const lastChange = Math.max(at(plan.updatedAt, 0), ...plan.tasks.map((t) => at(t.completedAt ?? t.updatedAt, 0)));
    const settled = lastChange + settings.settleSeconds * 1000;
    if (nowMs >= settled) {
      const allFinal = plan.tasks.every(isTerminal);
      actions.push({ kind: 'advance', reason: allFinal ? 'every task has ended but the plan has not' : 'a level was never dispatched' });
    } else {
      checks.push(settled);
    }
  }
  const next = checks.length > 0 ? Math.min(...checks) : nowMs + settings.settleSeconds * 1000;
  return { actions, nextCheckAt: new Date(Math.max(next, nowMs + 1000)) };
}
