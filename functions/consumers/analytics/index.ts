// EventBridge rule target: counts and latencies of every event as CloudWatch EMF metrics.
import { createLogger, createMetrics } from '../../core/observability/index.js';
import { eventRuntime } from '../../core/runtime/index.js';
import { recordEventMetrics } from './event-metrics.js';

const metrics = createMetrics('analytics');

export const handler = eventRuntime({ logger: createLogger('analytics') }, async (event) => recordEventMetrics(metrics, event));
