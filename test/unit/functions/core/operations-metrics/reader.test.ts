// The reader's contract with CloudWatch beyond what the local endpoint does: it follows NextToken (real
// CloudWatch pages large answers), asks for exactly the dimension sets the analytics consumer writes, and needs
// its configuration named.
import type { GetMetricDataCommand, GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { metricsSourceFromEnv, OperationsMetricsReader } from '../../../../../functions/core/operations-metrics/index.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

describe('OperationsMetricsReader', () => {
  it('follows NextToken and merges the pages of a series', async () => {
    const requests: GetMetricDataCommand[] = [];
    const pages: Array<Partial<GetMetricDataCommandOutput>> = [
      { MetricDataResults: [{ Id: 'plans_succeeded', Timestamps: [new Date(T0)], Values: [3] }], NextToken: 'page-2' },
      { MetricDataResults: [{ Id: 'plans_succeeded', Timestamps: [new Date(T0 + 60_000)], Values: [1] }] },
      { MetricDataResults: [] },
    ];
    const client = { send: async (command: GetMetricDataCommand) => (requests.push(command), pages.shift()!) };
    const reader = new OperationsMetricsReader(client as never, { namespace: 'BcAgent', service: 'bc-agent-consumers-analytics', stage: 'prod' });
    const read = await reader.read({ from: new Date(T0), to: new Date(T0 + 3 * 60_000), periodSeconds: 60 });

    expect(read.series.find((s) => s.id === 'plans_succeeded')!.values).toEqual([3, 1, 0]);
    expect(requests[1]!.input.NextToken).toBe('page-2');
    const query = requests[0]!.input.MetricDataQueries!.find((q) => q.Id === 'task_query_p95')!;
    expect(query.MetricStat).toMatchObject({ Period: 60, Stat: 'p95', Metric: { Namespace: 'BcAgent', MetricName: 'TaskDuration' } });
    expect(query.MetricStat!.Metric!.Dimensions).toEqual([
      { Name: 'service', Value: 'bc-agent-consumers-analytics' },
      { Name: 'stage', Value: 'prod' },
      { Name: 'taskType', Value: 'query' },
    ]);
    // The breaker with nothing known: closed throughout.
    expect(read.series.find((s) => s.id === 'breaker')!.values).toEqual([0, 0, 0]);
  });

  it('names the variable it misses', () => {
    expect(() => metricsSourceFromEnv({ STAGE: 'dev' })).toThrow('ANALYTICS_METRICS_SERVICE is not set');
    expect(metricsSourceFromEnv({ STAGE: 'dev', ANALYTICS_METRICS_SERVICE: 'svc' })).toEqual({ namespace: 'BcAgent', service: 'svc', stage: 'dev' });
  });
});
