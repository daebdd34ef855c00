export { createLogger, setCorrelation, resetCorrelation, redactSecrets, REDACTED, type CorrelationKeys } from './logger.js';
export { createMetrics, emitMetric, Metrics, MetricUnit, METRICS_NAMESPACE, type MetricUnitValue } from './metrics.js';
export { CORRELATION_HEADER, correlationIdFrom } from './correlation.js';
