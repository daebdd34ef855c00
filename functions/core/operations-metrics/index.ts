// The analytics metrics read back from CloudWatch, for the operations page (GET /v1/metrics).
export {
  BREAKER_LOOKBACK_SECONDS, metricsSourceFromEnv, type MetricsSource, type OperationsMetrics, OperationsMetricsReader,
  operationsMetricsReaderFromEnv, type OperationsSeries, type OperationsWindow, type SeriesGroup,
} from './reader.js';
