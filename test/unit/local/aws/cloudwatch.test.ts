// The local endpoint's CloudWatch metrics through the real SDK client: EMF lines (as functions print them) become
// series keyed by their exact dimension set, and GetMetricData answers each statistic per aligned period.
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { recordEventMetrics } from '../../../../functions/consumers/analytics/event-metrics.js';
import { createEvent, type EventContext } from '../../../../functions/core/events/index.js';
import { createMetrics } from '../../../../functions/core/observability/index.js';
import { ManualClock } from '../../../../local/aws/index.js';
import { MAX_SERIES, statistic } from '../../../../local/aws/cloudwatch/service.js';
import { busEvent } from '../../../support/bus-event.js';
import { captureEmf } from '../../../support/emf.js';
import { startLocalAws } from '../../../support/local-aws.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

function emf(timestamp: number, metrics: Record<string, number | number[]>, dimensions: Record<string, string>, unit = 'Milliseconds', sets?: string[][]): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: 'Test', Dimensions: sets ?? [Object.keys(dimensions)], Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: unit })) }],
    },
    ...dimensions,
    ...metrics,
  });
}

const stat = (id: string, metricName: string, dimensions: Record<string, string>, Stat: string, Period = 60, extra: Partial<MetricDataQuery> = {}): MetricDataQuery => ({
  Id: id,
  MetricStat: { Metric: { Namespace: 'Test', MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period, Stat },
  ...extra,
});

describe('local CloudWatch metrics', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function start(clock = new ManualClock(T0 + 10 * MINUTE), stateDir?: string) {
    const local = await startLocalAws({ clock, ...(stateDir ? { stateDir } : {}) });
    cleanups.push(local.cleanup);
    const client = new CloudWatchClient(local.clientConfig);
    cleanups.push(async () => client.destroy());
    return { ...local, client, clock };
  }

  it('answers every statistic per period, periods aligned to the epoch, newest first unless asked otherwise', async () => {
    const { aws, client } = await start();
    const dims = { service: 'svc', outcome: 'success' };
    // Minute 0: 1..10 (two records, one with an array of values); minute 1: 100; minute 3: 7.
    aws.cloudwatch.ingestLogLine(emf(T0 + 1_000, { Latency: [1, 2, 3, 4, 5] }, dims));
    aws.cloudwatch.ingestLogLine(emf(T0 + 59_999, { Latency: [6, 7, 8, 9, 10] }, dims));
    aws.cloudwatch.ingestLogLine(emf(T0 + MINUTE, { Latency: 100 }, dims));
    aws.cloudwatch.ingestLogLine(emf(T0 + 3 * MINUTE + 5_000, { Latency: 7 }, dims));
    // Outside the window asked for: not counted.
    aws.cloudwatch.ingestLogLine(emf(T0 - 1, { Latency: 1_000 }, dims));

    const stats = ['Sum', 'Average', 'SampleCount', 'Minimum', 'Maximum', 'p50', 'p95', 'p99.9'];
    const answer = await client.send(new GetMetricDataCommand({
      StartTime: new Date(T0 + 30_000), // rounded down to the period: minute 0 is whole
      EndTime: new Date(T0 + 5 * MINUTE),
      MetricDataQueries: stats.map((s, i) => stat(`q${i}`, 'Latency', dims, s)),
    }));
    const byId = Object.fromEntries(answer.MetricDataResults!.map((r) => [r.Id!, r] as const));
    expect(byId.q0!.Timestamps!.map((t) => t.getTime())).toEqual([T0 + 3 * MINUTE, T0 + MINUTE, T0]);
    expect(byId.q0!.Values).toEqual([7, 100, 55]);
    expect(byId.q1!.Values).toEqual([7, 100, 5.5]);
    expect(byId.q2!.Values).toEqual([1, 1, 10]);
    expect(byId.q3!.Values).toEqual([7, 100, 1]);
    expect(byId.q4!.Values).toEqual([7, 100, 10]);
    expect(byId.q5!.Values).toEqual([7, 100, 5]);
    expect(byId.q6!.Values).toEqual([7, 100, 10]);
    expect(byId.q7!.Values).toEqual([7, 100, 10]);
    expect(byId.q0!.Label).toBe('Latency');
    expect(byId.q0!.StatusCode).toBe('Complete');

    // Two-minute periods merge minutes 0 and 1; ascending on request; a label is kept.
    const wide = await client.send(new GetMetricDataCommand({
      StartTime: new Date(T0), EndTime: new Date(T0 + 5 * MINUTE), ScanBy: 'TimestampAscending',
      MetricDataQueries: [stat('sum', 'Latency', dims, 'Sum', 120, { Label: 'total' }), stat('hidden', 'Latency', dims, 'Sum', 60, { ReturnData: false })],
    }));
    expect(wide.MetricDataResults).toHaveLength(1);
    expect(wide.MetricDataResults![0]).toMatchObject({ Id: 'sum', Label: 'total', Values: [155, 7] });
    expect(wide.MetricDataResults![0]!.Timestamps!.map((t) => t.getTime())).toEqual([T0, T0 + 2 * MINUTE]);
  });

  it('computes percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(statistic('p50', values)).toBe(50);
    expect(statistic('p95', values)).toBe(95);
    expect(statistic('p100', values)).toBe(100);
    expect(statistic('p0', values)).toBe(1);
    expect(statistic('p99.5', [1, 2])).toBe(2);
  });

  it('keys a series by its exact dimension set, each set of a record a series of its own', async () => {
    const { aws, client } = await start();
    const line = emf(T0, { Count: 1 }, { service: 'svc', stage: 'dev', outcome: 'failed' }, 'Count', [['service', 'stage', 'outcome'], ['service', 'stage'], ['missing']]);
    expect(aws.cloudwatch.ingestLogLine(line)).toBe(2); // the set naming an absent field is not a series
    expect(aws.cloudwatch.ingestLogLine('plain log text')).toBe(0);
    expect(aws.cloudwatch.ingestLogLine('{"level":"INFO","message":"no metrics"}')).toBe(0);
    aws.cloudwatch.ingestLogLine(emf(T0, { Count: 5 }, { service: 'svc', stage: 'dev', outcome: 'succeeded' }, 'Count'));

    const read = async (dimensions: Record<string, string>) => {
      const answer = await client.send(new GetMetricDataCommand({
        StartTime: new Date(T0), EndTime: new Date(T0 + MINUTE), MetricDataQueries: [stat('q', 'Count', dimensions, 'Sum')],
      }));
      return answer.MetricDataResults![0]!.Values;
    };
    // Dimension order does not matter; a subset or a different value is another series.
    expect(await read({ outcome: 'failed', stage: 'dev', service: 'svc' })).toEqual([1]);
    expect(await read({ service: 'svc', stage: 'dev' })).toEqual([1]);
    expect(await read({ service: 'svc' })).toEqual([]);
    expect(await read({ service: 'svc', stage: 'dev', outcome: 'cancelled' })).toEqual([]);
    expect(await read({ service: 'svc', stage: 'dev', outcome: 'succeeded' })).toEqual([5]);

    const listed = await client.send(new ListMetricsCommand({ Namespace: 'Test', Dimensions: [{ Name: 'outcome', Value: 'failed' }] }));
    expect(listed.Metrics).toHaveLength(1);
    expect(listed.Metrics![0]!.Dimensions!.map((d) => d.Name)).toEqual(['outcome', 'service', 'stage']);
  });

  it('bounds what a runaway emitter can store: new series past the cap are refused and counted, old ones keep their latest points', async () => {
    const { aws } = await start();
    for (let i = 0; i < MAX_SERIES; i++) aws.cloudwatch.ingestEmf(JSON.parse(emf(T0, { Hits: 1 }, { id: `id-${i}` }, 'Count')));
    expect(aws.cloudwatch.ingestLogLine(emf(T0, { Hits: 1 }, { id: 'one-too-many' }, 'Count'))).toBe(0);
    expect(aws.cloudwatch.rejectedRecords).toBe(1);
    expect(aws.cloudwatch.ingestLogLine(emf(T0, { Hits: 1 }, { id: 'id-0' }, 'Count'))).toBe(1);
  });

  it('filters by unit when the query names one', async () => {
    const { aws, client } = await start();
    aws.cloudwatch.ingestLogLine(emf(T0, { Size: 3 }, { service: 'svc' }, 'Bytes'));
    aws.cloudwatch.ingestLogLine(emf(T0, { Size: 4 }, { service: 'svc' }, 'Count'));
    const answer = await client.send(new GetMetricDataCommand({
      StartTime: new Date(T0), EndTime: new Date(T0 + MINUTE),
      MetricDataQueries: [{ Id: 'bytes', MetricStat: { Metric: { Namespace: 'Test', MetricName: 'Size', Dimensions: [{ Name: 'service', Value: 'svc' }] }, Period: 60, Stat: 'Sum', Unit: 'Bytes' } }],
    }));
    expect(answer.MetricDataResults![0]!.Values).toEqual([3]);
  });

  it('reads what Powertools Metrics prints for the analytics consumer', async () => {
    const { aws, client } = await start(new ManualClock(Date.now()));
    process.env.STAGE = 'emf-test';
    const metrics = createMetrics('analytics');
    delete process.env.STAGE;
    const ctx: EventContext = { tenantId: 'contoso', sessionId: 's', planId: 'p', taskId: 't1', correlationId: 'c-12345678', causationId: 'm' };
    const lines = await captureEmf(() => {
      recordEventMetrics(metrics, busEvent(createEvent('agent:completed', { status: 'succeeded', durationMs: 1200 }, ctx)));
      recordEventMetrics(metrics, busEvent(createEvent('agent:error', { error: { code: 'BcUnavailable', message: 'down' } }, ctx)));
    });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) aws.cloudwatch.ingestLogLine(JSON.stringify(line));
    const service = String(lines[0]!.service);
    const answer = await client.send(new GetMetricDataCommand({
      StartTime: new Date(Date.now() - 5 * MINUTE), EndTime: new Date(Date.now() + MINUTE),
      MetricDataQueries: ['succeeded', 'failed'].map((outcome) => ({
        Id: outcome,
        MetricStat: {
          Metric: { Namespace: 'BcAgent', MetricName: 'PlanOutcome', Dimensions: [{ Name: 'service', Value: service }, { Name: 'stage', Value: 'emf-test' }, { Name: 'outcome', Value: outcome }] },
          Period: 3600, Stat: 'Sum',
        },
      })),
    }));
    expect(answer.MetricDataResults!.map((r) => [r.Id, r.Values])).toEqual([['succeeded', [1]], ['failed', [1]]]);
  });

  it('refuses bad requests with CloudWatch\'s errors', async () => {
    const { client } = await start();
    const window = { StartTime: new Date(T0), EndTime: new Date(T0 + MINUTE) };
    const refused = (input: Partial<ConstructorParameters<typeof GetMetricDataCommand>[0]>) =>
      client.send(new GetMetricDataCommand({ ...window, MetricDataQueries: [stat('q', 'M', {}, 'Sum')], ...input } as ConstructorParameters<typeof GetMetricDataCommand>[0]));
    await expect(refused({ MetricDataQueries: [stat('q', 'M', {}, 'Sum', 90)] })).rejects.toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringContaining('Period') });
    await expect(refused({ MetricDataQueries: [stat('q', 'M', {}, 'Median')] })).rejects.toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringContaining('Stat') });
    await expect(refused({ MetricDataQueries: [stat('Q', 'M', {}, 'Sum')] })).rejects.toMatchObject({ message: expect.stringContaining('lowercase') });
    await expect(refused({ MetricDataQueries: [stat('q', 'M', {}, 'Sum'), stat('q', 'M', {}, 'Average')] })).rejects.toMatchObject({ message: expect.stringContaining('more than one') });
    await expect(refused({ MetricDataQueries: [{ Id: 'e', Expression: 'SUM(METRICS())' }] })).rejects.toMatchObject({ message: expect.stringContaining('not emulated') });
    await expect(refused({ StartTime: new Date(T0 + MINUTE), EndTime: new Date(T0) })).rejects.toMatchObject({ message: expect.stringContaining('StartTime must be less than') });
    await expect(refused({ MetricDataQueries: [] })).rejects.toMatchObject({ name: 'MissingRequiredParameterException' });
  });

  it('keeps datapoints across a restart and drops them after retention', async () => {
    const clock = new ManualClock(T0 + MINUTE);
    const first = await start(clock);
    first.aws.cloudwatch.ingestLogLine(emf(T0, { Latency: 42 }, { service: 'svc' }));
    const stateDir = first.stateDir;
    // Stop without removing the state directory, then start on it again.
    await first.aws.stop();
    cleanups.splice(0);
    const again = await start(clock, stateDir);
    cleanups.push(async () => (await import('node:fs')).rmSync(stateDir, { recursive: true, force: true }));
    const read = async (client: CloudWatchClient) =>
      (await client.send(new GetMetricDataCommand({ StartTime: new Date(T0), EndTime: new Date(T0 + MINUTE), MetricDataQueries: [stat('q', 'Latency', { service: 'svc' }, 'Maximum')] }))).MetricDataResults![0]!.Values;
    expect(await read(again.client)).toEqual([42]);
    await again.aws.stop();
    cleanups.splice(0, 2);
    cleanups.push(async () => (await import('node:fs')).rmSync(stateDir, { recursive: true, force: true }));
    clock.advance(25 * 60 * MINUTE);
    const later = await start(clock, stateDir);
    expect(await read(later.client)).toEqual([]);
  });
});
