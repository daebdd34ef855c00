// CloudWatch metrics as the local cloud needs them: the functions' Embedded Metric Format records become
// datapoints (what CloudWatch does with EMF lines in a function's log), and GetMetricData answers statistics
// over periods. Raw values are kept (a bounded retention window) so percentiles are exact, not estimated.
import { JsonSnapshot } from '../persistence.js';
import { AwsError } from '../protocol.js';
import type { Clock } from '../clock.js';

/** Datapoints older than this are dropped (AWS keeps 1-minute data 15 days; a laptop needs less). */
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Values kept per series at most; the oldest go first (a runaway emitter cannot exhaust memory). */
export const MAX_POINTS_PER_SERIES = 100_000;
/** Series kept at most: an emitter that puts ids in dimension values cannot grow the state without bound. */
export const MAX_SERIES = 10_000;
/** CloudWatch's limits of one GetMetricData request. */
export const MAX_QUERIES = 500;
export const DEFAULT_MAX_DATAPOINTS = 100_800;

export interface MetricDimension {
  Name: string;
  Value: string;
}

export interface MetricIdentity {
  namespace: string;
  metricName: string;
  /** Sorted by name: a series is its exact dimension set, as in CloudWatch. */
  dimensions: MetricDimension[];
}

interface Series extends MetricIdentity {
  /** Epoch ms, value, unit; in arrival order (EMF timestamps may be slightly out of order). */
  points: Array<[number, number, string]>;
}

export interface MetricStatQuery {
  id: string;
  label?: string;
  returnData: boolean;
  metric: MetricIdentity;
  periodSeconds: number;
  stat: string;
  unit?: string;
}

export interface MetricDataResult {
  Id: string;
  Label: string;
  /** Epoch seconds of each period's start. */
  Timestamps: number[];
  Values: number[];
  StatusCode: 'Complete';
}

const keyOf = ({ namespace, metricName, dimensions }: MetricIdentity): string =>
  JSON.stringify([namespace, metricName, dimensions.map((d) => [d.Name, d.Value])]);

const sortDimensions = (dimensions: MetricDimension[]): MetricDimension[] =>
  [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));

/** `pNN` or `pNN.NN` with 0 ≤ NN ≤ 100. */
const PERCENTILE = /^p(\d{1,2}(?:\.\d{1,10})?|100(?:\.0+)?)$/;
const SIMPLE_STATS = new Set(['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum']);

export function isSupportedStat(stat: string): boolean {
  return SIMPLE_STATS.has(stat) || PERCENTILE.test(stat);
}

/** One statistic of the values of one period (values non-empty). Percentiles by nearest rank. */
export function statistic(stat: string, values: number[]): number {
  switch (stat) {
    case 'SampleCount':
      return values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      // Not Math.min(...values): a period may hold up to MAX_POINTS_PER_SERIES values, past the call stack's room.
      return values.reduce((a, b) => Math.min(a, b), Infinity);
    case 'Maximum':
      return values.reduce((a, b) => Math.max(a, b), -Infinity);
    default: {
      const match = PERCENTILE.exec(stat);
      if (!match) throw new AwsError('InvalidParameterValueException', `The statistic ${stat} is not supported`, 400, 'InvalidParameterValue');
      const sorted = [...values].sort((a, b) => a - b);
      const rank = Math.ceil((Number(match[1]) / 100) * sorted.length);
      return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]!;
    }
  }
}

export interface LocalCloudWatchOptions {
  clock: Clock;
  /** Where the datapoints are kept between starts (a JSON snapshot written on change, debounced). */
  stateFile?: string;
  retentionMs?: number;
}

export class LocalCloudWatch {
  private readonly series = new Map<string, Series>();
  private readonly snapshot?: JsonSnapshot<Series[]>;
  private readonly retentionMs: number;
  /** EMF records refused (malformed directives), counted as CloudWatch Logs would report them. */
  rejectedRecords = 0;

  constructor(private readonly options: LocalCloudWatchOptions) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    if (options.stateFile) {
      // Written at most every 5 s while metrics arrive (and on stop): the file holds the whole retention window.
      this.snapshot = new JsonSnapshot(options.stateFile, () => this.prune(), 5_000);
      for (const series of this.snapshot.load() ?? []) this.series.set(keyOf(series), series);
      this.prune();
    }
  }

  /**
   * Reads one line of a function's output: an EMF record (`{"_aws":{"CloudWatchMetrics":[…]}, …}`) becomes a
   * datapoint per metric and dimension set; any other line is ignored. Returns how many datapoints it added.
   */
  ingestLogLine(line: string): number {
    const text = line.trim();
    if (!text.startsWith('{') || !text.includes('"_aws"')) return 0;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      return 0;
    }
    return this.ingestEmf(record);
  }

  /** One EMF document (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html). */
  ingestEmf(record: unknown): number {
    if (!isObject(record) || !isObject(record._aws)) return 0;
    const meta = record._aws;
    const directives = meta.CloudWatchMetrics;
    if (!Array.isArray(directives)) {
      this.rejectedRecords += 1;
      return 0;
    }
    const timestamp = typeof meta.Timestamp === 'number' && Number.isFinite(meta.Timestamp) ? meta.Timestamp : this.options.clock.now();
    let added = 0;
    for (const directive of directives) {
      if (!isObject(directive) || typeof directive.Namespace !== 'string' || !Array.isArray(directive.Metrics) || !Array.isArray(directive.Dimensions)) {
        this.rejectedRecords += 1;
        continue;
      }
      for (const set of directive.Dimensions) {
        if (!Array.isArray(set)) continue;
        // A dimension whose value is missing or not a string makes the set invalid, as CloudWatch rejects it.
        const dimensions = set.map((name) => ({ Name: String(name), Value: record[String(name)] }));
        if (dimensions.some((d) => typeof d.Value !== 'string' || d.Value === '')) continue;
        for (const metric of directive.Metrics) {
          if (!isObject(metric) || typeof metric.Name !== 'string') continue;
          const raw = record[metric.Name];
          const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
          const unit = typeof metric.Unit === 'string' ? metric.Unit : 'None';
          for (const value of values) {
            if (!this.put({ namespace: directive.Namespace, metricName: metric.Name, dimensions: dimensions as MetricDimension[] }, timestamp, value, unit)) {
              this.rejectedRecords += 1;
              continue;
            }
            added += 1;
          }
        }
      }
    }
    if (added > 0) this.snapshot?.changed();
    return added;
  }

  /** Adds one datapoint; false when it would start a series beyond MAX_SERIES. */
  private put(identity: MetricIdentity, timestamp: number, value: number, unit: string): boolean {
    const dimensions = sortDimensions(identity.dimensions);
    const key = keyOf({ ...identity, dimensions });
    let series = this.series.get(key);
    if (!series) {
      if (this.series.size >= MAX_SERIES) return false;
      series = { namespace: identity.namespace, metricName: identity.metricName, dimensions, points: [] };
      this.series.set(key, series);
    }
    series.points.push([timestamp, value, unit]);
    if (series.points.length > MAX_POINTS_PER_SERIES) series.points.splice(0, series.points.length - MAX_POINTS_PER_SERIES);
    return true;
  }

  /** Drops datapoints past retention; returns what is kept (the snapshot's content). */
  private prune(): Series[] {
    const oldest = this.options.clock.now() - this.retentionMs;
    for (const [key, series] of this.series) {
      series.points = series.points.filter(([t]) => t >= oldest);
      if (series.points.length === 0) this.series.delete(key);
    }
    return [...this.series.values()];
  }

  /** The series there are (ListMetrics), optionally of one namespace / metric name. */
  listMetrics(filter: { namespace?: string; metricName?: string } = {}): MetricIdentity[] {
    return [...this.series.values()]
      .filter((s) => (filter.namespace === undefined || s.namespace === filter.namespace) && (filter.metricName === undefined || s.metricName === filter.metricName))
      .map(({ namespace, metricName, dimensions }) => ({ namespace, metricName, dimensions }));
  }

  /**
   * One query's datapoints between start (inclusive) and end (exclusive), epoch ms: a value per period that has
   * data, periods aligned to multiples of the period since the epoch (as CloudWatch aligns them), ascending.
   */
  query(query: MetricStatQuery, startMs: number, endMs: number): { timestamps: number[]; values: number[] } {
    const series = this.series.get(keyOf({ ...query.metric, dimensions: sortDimensions(query.metric.dimensions) }));
    const periodMs = query.periodSeconds * 1000;
    const first = Math.floor(startMs / periodMs) * periodMs;
    const buckets = new Map<number, number[]>();
    for (const [t, value, unit] of series?.points ?? []) {
      if (t < first || t >= endMs) continue;
      if (query.unit !== undefined && unit !== query.unit) continue;
      const bucket = Math.floor(t / periodMs) * periodMs;
      const values = buckets.get(bucket);
      if (values) values.push(value);
      else buckets.set(bucket, [value]);
    }
    const timestamps = [...buckets.keys()].sort((a, b) => a - b);
    return { timestamps, values: timestamps.map((t) => statistic(query.stat, buckets.get(t)!)) };
  }

  /** Writes the datapoints now (on stop). */
  flush(): void {
    this.snapshot?.flush();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
