// What the analytics consumer measures, one event at a time: a count per event name, and the latencies the
// events carry (task duration created → completed, BC call latency, plan duration), as EMF metrics.
import type { EventBridgeEvent } from 'aws-lambda';
import { eventCatalogue, isEventName } from '../../core/events/index.js';
import { emitMetric as emit, MetricUnit, type Metrics } from '../../core/observability/index.js';

export const METRIC = {
  events: 'Events',
  taskDuration: 'TaskDuration',
  bcOperationLatency: 'BcOperationLatency',
  planDuration: 'PlanDuration',
  breakerTransitions: 'BreakerTransitions',
} as const;

export function recordEventMetrics(metrics: Metrics, event: EventBridgeEvent<string, unknown>): void {
  const name = event['detail-type'];
  // Dimension values come from the catalogue only, so a stray event cannot explode the metric cardinality.
  emit(metrics, METRIC.events, MetricUnit.Count, 1, { eventName: isEventName(name) ? name : 'other' });
  if (!isEventName(name)) return;
  const parsed = eventCatalogue[name].safeParse(event.detail);
  if (!parsed.success) return;
  const detail = parsed.data as Record<string, unknown> & { durationMs?: number };

  switch (name) {
    case 'task:completed':
      emit(metrics, METRIC.taskDuration, MetricUnit.Milliseconds, detail.durationMs!, {
        taskType: String(detail.taskType),
        status: String(detail.status),
      });
      break;
    case 'bc:operation:success':
    case 'bc:operation:error':
      emit(metrics, METRIC.bcOperationLatency, MetricUnit.Milliseconds, detail.durationMs!, {
        operation: String(detail.operation),
        outcome: name === 'bc:operation:success' ? 'success' : 'error',
      });
      break;
    case 'agent:completed':
    case 'agent:error':
      if (detail.durationMs !== undefined) {
        emit(metrics, METRIC.planDuration, MetricUnit.Milliseconds, detail.durationMs, {
          outcome: name === 'agent:error' ? 'failed' : String(detail.status),
        });
      }
      break;
    case 'breaker:state-changed':
      emit(metrics, METRIC.breakerTransitions, MetricUnit.Count, 1, { to: String(detail.to) });
      break;
    default:
      break;
  }
}
