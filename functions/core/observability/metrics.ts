// Metrics in CloudWatch Embedded Metric Format (Powertools Metrics): one JSON line per flush on stdout.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export { Metrics, MetricUnit };
/** A unit value such as `MetricUnit.Count`. */
export type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

export const METRICS_NAMESPACE = 'BcAgent';

export function createMetrics(serviceName?: string): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName || 'bc-agent',
    defaultDimensions: process.env.STAGE ? { stage: process.env.STAGE } : {},
  });
}

/** Emits one metric with its own dimensions at once (a Powertools single metric: one EMF line). */
export function emitMetric(
  metrics: Metrics,
  name: string,
  unit: MetricUnitValue,
  value: number,
  dimensions: Record<string, string> = {},
): void {
  const single = metrics.singleMetric();
  for (const [key, val] of Object.entries(dimensions)) single.addDimension(key, val);
  single.addMetric(name, unit, value);
}
