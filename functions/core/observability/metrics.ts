// Metrics in CloudWatch Embedded Metric Format (Powertools Metrics): one JSON line per flush on stdout.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export { Metrics, MetricUnit };
/** A unit value such as `MetricUnit.Count`. */
export type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

export const METRICS_NAMESPACE = 'BcAgent';

export function createMetrics(serviceName?: string): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'bc-agent',
    defaultDimensions: process.env.STAGE ? { stage: process.env.STAGE } : {},
  });
}
