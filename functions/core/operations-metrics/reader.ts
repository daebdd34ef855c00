// Reads the analytics consumer's metrics back from CloudWatch for the operations page: plans per minute by
// outcome, task duration and BC latency percentiles, and the worst breaker's state, each on one time grid. The
// names and dimension sets are the ones the consumer writes (functions/consumers/analytics/event-metrics.ts),
// with the service and stage dimensions Powertools adds; CloudWatch returns nothing for any other set.
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { BC_OUTCOMES, BREAKER_STATE_VALUE, METRIC, PLAN_OUTCOMES } from '../../consumers/analytics/event-metrics.js';
import { optionalEnv, requiredEnv, type Env } from '../config/index.js';
import { TASK_TYPES } from '../plan/index.js';
import { METRICS_NAMESPACE } from '../observability/index.js';

/** Where the analytics consumer's metrics are: its namespace and the values of its default dimensions. */
export interface MetricsSource {
  namespace: string;
  /** The analytics function's POWERTOOLS_SERVICE_NAME. */
  service: string;
  /** Its STAGE. */
  stage: string;
}

/** ANALYTICS_METRICS_NAMESPACE (default the product's), ANALYTICS_METRICS_SERVICE and STAGE (lib/constructs/access.ts). */
export function metricsSourceFromEnv(env: Env = process.env): MetricsSource {
  return {
    namespace: optionalEnv('ANALYTICS_METRICS_NAMESPACE', env) ?? METRICS_NAMESPACE,
    service: requiredEnv('ANALYTICS_METRICS_SERVICE', env),
    stage: requiredEnv('STAGE', env),
  };
}

export type SeriesGroup = 'plans' | 'taskDuration' | 'bcLatency' | 'breaker';

export interface OperationsSeries {
  id: string;
  group: SeriesGroup;
  label: string;
  unit: 'per minute' | 'ms' | 'state';
  /** One per timestamp of the grid; null where the period has no datapoint (no task ran, no BC call). */
  values: Array<number | null>;
}

export interface OperationsMetrics {
  /** ISO instants of the window asked for. */
  from: string;
  to: string;
  periodSeconds: number;
  /** Epoch seconds of each period's start, ascending (the grid every series follows). */
  timestamps: number[];
  series: OperationsSeries[];
}

export interface OperationsWindow {
  from: Date;
  to: Date;
  periodSeconds: number;
}

/**
 * How far back the breaker's last transition is looked for: CloudWatch keeps no current value, so the state at
 * the window's start is the latest transition before it (no transition in that time: closed, a breaker's start).
 */
export const BREAKER_LOOKBACK_SECONDS = 24 * 60 * 60;

interface Planned {
  query: MetricDataQuery;
  series: Omit<OperationsSeries, 'values'>;
}

export class OperationsMetricsReader {
  constructor(
    private readonly client: Pick<CloudWatchClient, 'send'>,
    private readonly source: MetricsSource,
  ) {}

  private metric(id: string, metricName: string, dimensions: Record<string, string>, stat: string, period: number, label: string): MetricDataQuery {
    return {
      Id: id,
      Label: label,
      MetricStat: {
        Metric: {
          Namespace: this.source.namespace,
          MetricName: metricName,
          Dimensions: Object.entries({ service: this.source.service, stage: this.source.stage, ...dimensions }).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: period,
        Stat: stat,
      },
    };
  }

  /** The queries of one window: everything but the breaker, which is read over a longer range. */
  private plan(period: number): Planned[] {
    const planned: Planned[] = [];
    for (const outcome of PLAN_OUTCOMES) {
      const id = `plans_${outcome}`;
      planned.push({ query: this.metric(id, METRIC.planOutcome, { outcome }, 'Sum', period, outcome), series: { id, group: 'plans', label: outcome, unit: 'per minute' } });
    }
    for (const taskType of TASK_TYPES) {
      for (const p of ['p50', 'p95'] as const) {
        const id = `task_${taskType}_${p}`;
        planned.push({ query: this.metric(id, METRIC.taskDuration, { taskType }, p, period, `${taskType} ${p}`), series: { id, group: 'taskDuration', label: `${taskType} ${p}`, unit: 'ms' } });
      }
    }
    for (const outcome of BC_OUTCOMES) {
      for (const p of ['p50', 'p95'] as const) {
        const id = `bc_${outcome}_${p}`;
        planned.push({ query: this.metric(id, METRIC.bcOperationLatency, { outcome }, p, period, `${outcome} ${p}`), series: { id, group: 'bcLatency', label: `${outcome} ${p}`, unit: 'ms' } });
      }
    }
    return planned;
  }

  async read(window: OperationsWindow): Promise<OperationsMetrics> {
    const period = window.periodSeconds;
    const startS = Math.floor(window.from.getTime() / 1000 / period) * period;
    const endS = Math.ceil(window.to.getTime() / 1000);
    const timestamps: number[] = [];
    for (let t = startS; t < endS; t += period) timestamps.push(t);
    const index = new Map(timestamps.map((t, i) => [t, i]));

    const planned = this.plan(period);
    const found = await this.fetch(planned.map((p) => p.query), new Date(startS * 1000), window.to);
    const series: OperationsSeries[] = planned.map(({ series: s }) => {
      // A period without a PlanOutcome datapoint had no plan end: zero, not unknown.
      const values: Array<number | null> = timestamps.map(() => (s.group === 'plans' ? 0 : null));
      for (const [t, v] of found.get(s.id) ?? []) {
        const i = index.get(t);
        if (i !== undefined) values[i] = s.group === 'plans' ? (v * 60) / period : v;
      }
      return { ...s, values };
    });
    series.push(await this.breakerSeries(timestamps, window, period));
    return { from: window.from.toISOString(), to: window.to.toISOString(), periodSeconds: period, timestamps, series };
  }

  /** The worst breaker's state per period, the latest transition carried forward (CloudWatch's FILL(…, REPEAT)). */
  private async breakerSeries(timestamps: number[], window: OperationsWindow, period: number): Promise<OperationsSeries> {
    const first = timestamps[0] ?? Math.floor(window.from.getTime() / 1000);
    // The state at the window's start is the last minute with a transition before it; within the window, the
    // worst state of each period (Maximum, as the stage's dashboard shows it).
    const minute = 60;
    const found = await this.fetch(
      [
        this.metric('breaker_before', METRIC.breakerState, {}, 'Maximum', minute, 'before'),
        this.metric('breaker', METRIC.breakerState, {}, 'Maximum', period, 'state'),
      ],
      new Date((first - BREAKER_LOOKBACK_SECONDS) * 1000),
      window.to,
    );
    const before = (found.get('breaker_before') ?? []).filter(([t]) => t + minute <= first).sort((a, b) => a[0] - b[0]);
    const fine = new Map((found.get('breaker') ?? []).map(([t, v]) => [t, v]));
    let state: number = before.at(-1)?.[1] ?? BREAKER_STATE_VALUE.closed;
    const values = timestamps.map((t) => {
      state = fine.get(t) ?? state;
      return state;
    });
    return { id: 'breaker', group: 'breaker', label: 'worst breaker (0 closed, 1 half-open, 2 open)', unit: 'state', values };
  }

  /** GetMetricData, following NextToken; datapoints per query id as [epoch seconds, value]. */
  private async fetch(queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, Array<[number, number]>>> {
    const found = new Map<string, Array<[number, number]>>();
    let nextToken: string | undefined;
    do {
      const answer = await this.client.send(
        new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending', ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      for (const result of answer.MetricDataResults ?? []) {
        const points = found.get(result.Id!) ?? [];
        const times = result.Timestamps ?? [];
        const values = result.Values ?? [];
        for (let i = 0; i < times.length; i++) points.push([Math.round(times[i]!.getTime() / 1000), values[i]!]);
        found.set(result.Id!, points);
      }
      nextToken = answer.NextToken;
    } while (nextToken);
    return found;
  }
}

/** A reader over CloudWatch in this function's account and region (the local cloud's endpoint locally). */
export function operationsMetricsReaderFromEnv(env: Env = process.env): OperationsMetricsReader {
  return new OperationsMetricsReader(new CloudWatchClient({}), metricsSourceFromEnv(env));
}
