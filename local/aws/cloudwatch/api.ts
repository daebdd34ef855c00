// CloudWatch's JSON protocol (AWS JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, the one
// @aws-sdk/client-cloudwatch speaks; query-compatible, so errors also carry `x-amzn-query-error`).
import { AwsError, optionalArray, optionalNumber, optionalString, type JsonService } from '../protocol.js';
import {
  DEFAULT_MAX_DATAPOINTS, isSupportedStat, MAX_QUERIES, type LocalCloudWatch, type MetricDataResult, type MetricDimension,
  type MetricStatQuery,
} from './service.js';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';

const invalid = (message: string) => new AwsError('InvalidParameterValueException', message, 400, 'InvalidParameterValue');
const missing = (message: string) => new AwsError('MissingRequiredParameterException', message, 400, 'MissingParameter');
const combination = (message: string) => new AwsError('InvalidParameterCombinationException', message, 400, 'InvalidParameterCombination');

const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;
/** Periods GetMetricData accepts: high-resolution ones, or whole minutes. */
const isValidPeriod = (period: number) => Number.isInteger(period) && ([1, 5, 10, 20, 30].includes(period) || (period >= 60 && period % 60 === 0));

/** A timestamp as the JSON protocol sends it (epoch seconds), or an ISO string (the CLI's --start-time). */
function timestampMs(input: Record<string, unknown>, key: string): number {
  const value = input[key];
  if (value === undefined || value === null) throw missing(`The parameter ${key} is required.`);
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(`The parameter ${key} must be a timestamp.`);
  return ms;
}

function readDimensions(value: unknown, where: string): MetricDimension[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`${where}.Dimensions must be a list`);
  if (value.length > 30) throw invalid(`${where}.Dimensions has more than 30 dimensions`);
  const dimensions = value.map((d, i) => {
    const entry = d as Record<string, unknown> | null;
    if (typeof entry?.Name !== 'string' || entry.Name === '' || typeof entry.Value !== 'string' || entry.Value === '') {
      throw invalid(`${where}.Dimensions.${i + 1} needs a non-empty Name and Value`);
    }
    return { Name: entry.Name, Value: entry.Value };
  });
  if (new Set(dimensions.map((d) => d.Name)).size !== dimensions.length) throw invalid(`${where}.Dimensions names a dimension twice`);
  return dimensions;
}

function readQuery(value: unknown, index: number): MetricStatQuery {
  const where = `MetricDataQueries.member.${index + 1}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where} must be a structure`);
  const query = value as Record<string, unknown>;
  const id = query.Id;
  if (typeof id !== 'string' || !QUERY_ID.test(id) || id.length > 255) {
    throw invalid(`${where}.Id must start with a lowercase letter and hold only letters, digits and underscores`);
  }
  if (query.Expression !== undefined) {
    if (query.MetricStat !== undefined) throw combination(`${where} must have exactly one of MetricStat and Expression`);
    throw invalid(`${where}: metric math expressions are not emulated by the local cloud; query the metric with MetricStat`);
  }
  const stat = query.MetricStat as Record<string, unknown> | undefined;
  if (typeof stat !== 'object' || stat === null) throw missing(`${where} must have MetricStat (or Expression)`);
  const metric = stat.Metric as Record<string, unknown> | undefined;
  if (typeof metric?.Namespace !== 'string' || metric.Namespace === '' || typeof metric.MetricName !== 'string' || metric.MetricName === '') {
    throw missing(`${where}.MetricStat.Metric needs Namespace and MetricName`);
  }
  const period = stat.Period;
  if (typeof period !== 'number' || !isValidPeriod(period)) {
    throw invalid(`${where}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60 seconds`);
  }
  if (typeof stat.Stat !== 'string' || !isSupportedStat(stat.Stat)) {
    throw invalid(`${where}.MetricStat.Stat must be SampleCount, Sum, Average, Minimum, Maximum or a percentile pNN(.NN)`);
  }
  if (query.ReturnData !== undefined && typeof query.ReturnData !== 'boolean') throw invalid(`${where}.ReturnData must be a boolean`);
  return {
    id,
    ...(typeof query.Label === 'string' && query.Label !== '' ? { label: query.Label } : {}),
    returnData: query.ReturnData !== false,
    metric: { namespace: metric.Namespace, metricName: metric.MetricName, dimensions: readDimensions(metric.Dimensions, `${where}.MetricStat.Metric`) },
    periodSeconds: period,
    stat: stat.Stat,
    ...(typeof stat.Unit === 'string' ? { unit: stat.Unit } : {}),
  };
}

export function cloudWatchApi(cloudwatch: LocalCloudWatch): JsonService {
  return {
    targetPrefix: CLOUDWATCH_TARGET_PREFIX,
    contentType: 'application/x-amz-json-1.0',
    errorNamespace: 'com.amazonaws.cloudwatch',
    operations: {
      GetMetricData: (input) => {
        const raw = optionalArray(input, 'MetricDataQueries');
        if (!raw || raw.length === 0) throw missing('The parameter MetricDataQueries is required.');
        if (raw.length > MAX_QUERIES) throw invalid(`MetricDataQueries holds at most ${MAX_QUERIES} queries`);
        const queries = raw.map(readQuery);
        const ids = new Set<string>();
        for (const query of queries) {
          if (ids.has(query.id)) throw invalid(`The Id ${query.id} is used by more than one query`);
          ids.add(query.id);
        }
        const startMs = timestampMs(input, 'StartTime');
        const endMs = timestampMs(input, 'EndTime');
        if (startMs >= endMs) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
        const scanBy = optionalString(input, 'ScanBy') ?? 'TimestampDescending';
        if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') throw invalid('ScanBy must be TimestampDescending or TimestampAscending');
        const maxDatapoints = optionalNumber(input, 'MaxDatapoints') ?? DEFAULT_MAX_DATAPOINTS;
        if (!Number.isInteger(maxDatapoints) || maxDatapoints < 1) throw invalid('MaxDatapoints must be a positive whole number');
        const results: MetricDataResult[] = [];
        let total = 0;
        for (const query of queries) {
          if (!query.returnData) continue;
          const { timestamps, values } = cloudwatch.query(query, startMs, endMs);
          total += timestamps.length;
          const order = scanBy === 'TimestampDescending' ? timestamps.map((_, i) => timestamps.length - 1 - i) : timestamps.map((_, i) => i);
          results.push({
            Id: query.id,
            Label: query.label ?? query.metric.metricName,
            Timestamps: order.map((i) => timestamps[i]! / 1000),
            Values: order.map((i) => values[i]!),
            StatusCode: 'Complete',
          });
        }
        // Pagination is not emulated: a request whose answer would need it is refused rather than cut short.
        if (total > maxDatapoints) {
          throw invalid(`The answer holds ${total} datapoints, more than MaxDatapoints (${maxDatapoints}); the local cloud does not paginate GetMetricData: narrow the time range or widen the period`);
        }
        return { MetricDataResults: results, Messages: [] };
      },
      ListMetrics: (input) => {
        const namespace = optionalString(input, 'Namespace');
        const metricName = optionalString(input, 'MetricName');
        const filters = readDimensions(input.Dimensions, 'ListMetrics');
        const metrics = cloudwatch
          .listMetrics({ ...(namespace ? { namespace } : {}), ...(metricName ? { metricName } : {}) })
          .filter((m) => filters.every((f) => m.dimensions.some((d) => d.Name === f.Name && d.Value === f.Value)));
        return { Metrics: metrics.map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions })) };
      },
    },
  };
}
