// What the analytics consumer measures, one event at a time: a count per event name, plan, rollback and breaker
// outcomes, and the latencies the events carry (task duration created → completed, BC call latency, plan
// duration), as EMF metrics. The dashboard and alarms (lib/constructs/observability.ts) query exactly these
// names and dimension sets; Powertools adds `service` and `stage` to each (functions/core/observability).
import type { EventBridgeEvent } from 'aws-lambda';
import { eventCatalogue, isEventName } from '../../core/events/index.js';
import { emitMetric as emit, MetricUnit, type Metrics } from '../../core/observability/index.js';

export const METRIC = {
  events: 'Events',
  /** One per ended plan, dimension outcome: succeeded | cancelled | failed. */
  planOutcome: 'PlanOutcome',
  taskDuration: 'TaskDuration',
  bcOperationLatency: 'BcOperationLatency',
  planDuration: 'PlanDuration',
  breakerTransitions: 'BreakerTransitions',
  /** The state a breaker moved to, as a number (BREAKER_STATE_VALUE), so a graph can hold the latest one. */
  breakerState: 'BreakerState',
  /** One per rollback:completed, dimension status: succeeded | partial | repaired. */
  rollbackOutcome: 'RollbackOutcome',
} as const;

/** BreakerState's value per state: the higher, the worse, so Maximum over breakers shows the worst. */
export const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export const PLAN_OUTCOMES = ['succeeded', 'cancelled', 'failed'] as const;
export const ROLLBACK_STATUSES = ['succeeded', 'partial', 'repaired'] as const;
export const BC_OUTCOMES = ['success', 'error'] as const;

export function recordEventMetrics(metrics: Metrics, event: EventBridgeEvent<string, unknown>): void {
  const name = event['detail-type'];
  // Dimension values come from the catalogue only, so a stray event cannot explode the metric cardinality.
  emit(metrics, METRIC.events, MetricUnit.Count, 1, { eventName: isEventName(name) ? name : 'other' });
  if (!isEventName(name)) return;
  const parsed = eventCatalogue[name].safeParse(event.detail);
  if (!parsed.success) return;
  const detail = parsed.data as Record<string, unknown> & { durationMs?: number };

  switch (name) {
    case 'task:completed': {
      const taskType = String(detail.taskType);
      emit(metrics, METRIC.taskDuration, MetricUnit.Milliseconds, detail.durationMs!, { taskType, status: String(detail.status) });
      // Percentiles cannot be combined across dimension values in CloudWatch: the per-type series is emitted too.
      emit(metrics, METRIC.taskDuration, MetricUnit.Milliseconds, detail.durationMs!, { taskType });
      break;
    }
    case 'bc:operation:success':
    case 'bc:operation:error': {
      const outcome = name === 'bc:operation:success' ? 'success' : 'error';
      emit(metrics, METRIC.bcOperationLatency, MetricUnit.Milliseconds, detail.durationMs!, {
        operation: String(detail.operation),
        outcome,
      });
      // Every operation together (percentiles again): the dashboard's BC latency.
      emit(metrics, METRIC.bcOperationLatency, MetricUnit.Milliseconds, detail.durationMs!, { outcome });
      break;
    }
    case 'agent:completed':
    case 'agent:error': {
      const outcome = name === 'agent:error' ? 'failed' : String(detail.status);
      emit(metrics, METRIC.planOutcome, MetricUnit.Count, 1, { outcome });
      if (detail.durationMs !== undefined) emit(metrics, METRIC.planDuration, MetricUnit.Milliseconds, detail.durationMs, { outcome });
      break;
    }
    case 'breaker:state-changed': {
      const to = detail.to as keyof typeof BREAKER_STATE_VALUE;
      emit(metrics, METRIC.breakerTransitions, MetricUnit.Count, 1, { to });
      emit(metrics, METRIC.breakerState, MetricUnit.NoUnit, BREAKER_STATE_VALUE[to], {});
      break;
    }
    case 'rollback:completed':
      emit(metrics, METRIC.rollbackOutcome, MetricUnit.Count, 1, { status: rollbackStatus(detail, event.detail) });
      break;
    default:
      break;
  }
}

/**
 * `repaired` when the repair sweep finished a rollback the saga had parked (the event's `repaired: true`), else
 * the event's status. Read from the raw detail as well: a catalogue schema without the field strips it.
 */
function rollbackStatus(detail: Record<string, unknown>, raw: unknown): (typeof ROLLBACK_STATUSES)[number] {
  const repaired = detail.repaired === true || (typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>).repaired === true);
  if (repaired) return 'repaired';
  return detail.status === 'partial' ? 'partial' : 'succeeded';
}
