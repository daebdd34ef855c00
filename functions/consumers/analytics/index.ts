// EventBridge rule target: counts and latencies of every event as CloudWatch EMF metrics.
import type { EventBridgeEvent } from 'aws-lambda';
import { createMetrics } from '../../core/observability/index.js';
import { recordEventMetrics } from './event-metrics.js';

const metrics = createMetrics('analytics');

export async function handler(event: EventBridgeEvent<string, unknown>): Promise<void> {
  recordEventMetrics(metrics, event);
}
