// The saga's bookkeeping steps: what the compensation chain achieved (for rollback:completed) and the
// task:completed event that ends the task, with the attempt and duration read from the state store.
import { createEvent, type EventPublisher } from '../events/index.js';
import type { ErrorInfo } from '../events/index.js';
import type { PlanStore } from '../store/index.js';
import { inconsistent } from './errors.js';
import { COMPENSATION_ORDER, type CaughtError, type CreatedOrder, type SagaContext } from './schema.js';

export interface RollbackSummary {
  status: 'succeeded' | 'partial';
  compensated: string[];
  failed: { step: string; error: ErrorInfo }[];
}

/** Lambda errors reach a Catch with Cause = JSON `{ errorType, errorMessage, trace }`; people want the message. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message
  }
  return cause;
}

export const errorInfoOf = (caught: CaughtError): ErrorInfo => ({ code: caught.Error, message: causeMessage(caught.Cause) });

/** From `$.compensations` (succeeded) and `$.compensationErrors` (failed after retries), in running order. */
export function summarizeRollback(compensations: Record<string, unknown>, compensationErrors: Record<string, CaughtError>): RollbackSummary {
  const compensated = COMPENSATION_ORDER.filter((step) => Object.hasOwn(compensations, step));
  const failed = COMPENSATION_ORDER.filter((step) => Object.hasOwn(compensationErrors, step)).map((step) => ({
    step,
    error: errorInfoOf(compensationErrors[step]!),
  }));
  return { status: failed.length > 0 ? 'partial' : 'succeeded', compensated, failed };
}

/**
 * The task result of a succeeded purchase order: what the requester needs to find it in BC. `reservations`
 * only when the saga reserved (a stage without reservations leaves the count out rather than report 0).
 */
export function succeededResult(created: Pick<CreatedOrder, 'orderId' | 'orderNumber' | 'lines'>, reservations?: readonly unknown[]): Record<string, unknown> {
  return {
    orderId: created.orderId,
    orderNumber: created.orderNumber,
    lines: created.lines.length,
    ...(reservations ? { reservations: reservations.length } : {}),
  };
}

/**
 * The same result read back from a SUCCEEDED execution's output (its state: `$.results.createOrder` and
 * `$.results.reserveInventory`), for a task whose own report was lost; an output of another shape is kept whole.
 */
export function succeededResultFromOutput(output: string | undefined): unknown {
  let state: { results?: { createOrder?: Pick<CreatedOrder, 'orderId' | 'orderNumber'> & { lines?: unknown[] }; reserveInventory?: { reservations?: unknown[] } } };
  try {
    state = JSON.parse(output ?? 'null') ?? {};
  } catch {
    return { output };
  }
  const created = state.results?.createOrder;
  if (!created) return state;
  return succeededResult({ ...created, lines: (created.lines ?? []) as CreatedOrder['lines'] }, state.results?.reserveInventory?.reservations);
}

export type SagaOutcome = { status: 'succeeded'; result: Record<string, unknown> } | { status: 'failed'; error: ErrorInfo };

/**
 * The failure to report: the step's error, and whether BC was left as it was. A compensation that gave up
 * (`failedCompensations`, from the Catch even when no summary was made) was parked as `repairId` for the
 * repair sweep: BC is being repaired, not yet as before.
 */
export function failureOf(error: CaughtError | undefined, rollback: RollbackSummary | undefined, failedCompensations: string[] = [], repairId?: string): ErrorInfo {
  const base = error ? errorInfoOf(error) : { code: 'SagaFailed', message: 'The purchase-order saga failed' };
  const failed = rollback?.status === 'partial' ? rollback.failed.map((f) => f.step) : failedCompensations;
  if (failed.length === 0) return base;
  const steps = failed.join(', ');
  if (repairId) {
    return {
      code: 'RollbackPending',
      message: `${base.code}: ${base.message}. Undoing it failed at ${steps}; BC is being repaired (repair ${repairId}): what the saga wrote is removed once BC accepts it, announced by rollback:completed`,
    };
  }
  return { code: 'RollbackIncomplete', message: `${base.code}: ${base.message}. Undoing it failed at ${steps}: BC may still hold part of the order` };
}

export interface ReportDeps {
  plans: PlanStore;
  publisher: EventPublisher;
  now: () => Date;
}

/** Publishes task:completed for the saga's task. */
export async function reportTaskCompleted(deps: ReportDeps, context: SagaContext, outcome: SagaOutcome): Promise<void> {
  const plan = await deps.plans.getPlan(context.tenantId, context.planId);
  const task = plan?.tasks.find((t) => t.id === context.taskId);
  if (!task) throw inconsistent(`Task ${context.taskId} of plan ${context.planId} is not in the state store`);
  const now = deps.now();
  const since = Date.parse(task.startedAt ?? task.updatedAt);
  const event = createEvent(
    'task:completed',
    {
      taskType: task.type,
      status: outcome.status,
      ...(outcome.status === 'succeeded' ? { result: outcome.result } : { error: outcome.error }),
      attempt: task.attempt,
      durationMs: Number.isFinite(since) ? Math.max(0, now.getTime() - since) : 0,
    },
    { ...context, causationId: context.taskId },
    { now },
  );
  await deps.publisher.publish([event]);
}
