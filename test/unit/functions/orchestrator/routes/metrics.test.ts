// GET /v1/metrics end to end below the HTTP API: what the analytics consumer prints (real Powertools EMF) is
// ingested by the local CloudWatch, and the route reads it back through the real SDK client onto one grid.
import { readFileSync } from 'node:fs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { recordEventMetrics } from '../../../../../functions/consumers/analytics/event-metrics.js';
import { createEvent, type EventContext, type EventName } from '../../../../../functions/core/events/index.js';
import { createRouter } from '../../../../../functions/core/http/index.js';
import { createLogger, createMetrics } from '../../../../../functions/core/observability/index.js';
import { OperationsMetricsReader, type OperationsMetrics, type OperationsSeries } from '../../../../../functions/core/operations-metrics/index.js';
import { metricsRoute } from '../../../../../functions/orchestrator/routes/metrics.js';
import { busEvent } from '../../../../support/bus-event.js';
import { captureEmf } from '../../../../support/emf.js';
import { httpEvent, jsonBody } from '../../../../support/http-event.js';
import { startLocalAws } from '../../../../support/local-aws.js';
import { ManualClock } from '../../../../../local/aws/index.js';

const MINUTE = 60_000;
/** A minute boundary, so the grid's periods are the minutes below. */
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const ctx: EventContext = { tenantId: 'contoso', sessionId: 's', planId: 'p', taskId: 't1', correlationId: 'c-12345678', causationId: 'm' };
const operator = { sub: 'olga', tenant: 'contoso', roles: '[operator]' };

const doc = JSON.parse(readFileSync(new URL('../../../../../docs/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: unknown } } }> }>>;
  components: { schemas: Record<string, unknown> };
};
const documented = (status: number) => {
  const schema = doc.paths['/v1/metrics']!.get!.responses[String(status)]!.content!['application/json'].schema;
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
  return z.fromJSONSchema({ ...JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/')), $defs: defs });
};

describe('GET /v1/metrics', () => {
  let local: Awaited<ReturnType<typeof startLocalAws>>;
  let client: CloudWatchClient;
  let handle: ReturnType<typeof createRouter>;

  /** Prints the consumer's metrics for `name` as if at `at`, and feeds them to the local CloudWatch. */
  async function happened(at: number, name: EventName, detail: Record<string, unknown>) {
    vi.useFakeTimers({ toFake: ['Date'], now: at });
    try {
      const lines = await captureEmf(() => recordEventMetrics(metrics, busEvent(createEvent(name, detail as never, ctx))));
      for (const line of lines) local.aws.cloudwatch.ingestLogLine(JSON.stringify(line));
    } finally {
      vi.useRealTimers();
    }
  }
  let metrics: ReturnType<typeof createMetrics>;

  beforeAll(async () => {
    // The endpoint's clock is the scenario's: its retention keeps the last day before NOW.
    local = await startLocalAws({ clock: new ManualClock(NOW) });
    client = new CloudWatchClient(local.clientConfig);
    process.env.STAGE = 'routetest';
    metrics = createMetrics('analytics');
    delete process.env.STAGE;
    const reader = new OperationsMetricsReader(client, { namespace: 'BcAgent', service: 'analytics', stage: 'routetest' });
    handle = createRouter([metricsRoute({ reader: () => reader, now: () => new Date(NOW) })], createLogger('test'));

    // The breaker opened three hours before the window and closed six minutes before now.
    await happened(NOW - 3 * 60 * MINUTE, 'breaker:state-changed', { breakerKey: 'bc:contoso', from: 'closed', to: 'open' });
    await happened(NOW - 6 * MINUTE + 5_000, 'breaker:state-changed', { breakerKey: 'bc:contoso', from: 'half-open', to: 'closed' });
    // Ten minutes ago: two plans succeeded, one failed; two queries (100, 300 ms) and two BC calls (50, 150 ms).
    for (const durationMs of [100, 300]) {
      await happened(NOW - 10 * MINUTE + 1_000, 'task:completed', { status: 'succeeded', taskType: 'query', result: 1, attempt: 1, durationMs });
    }
    for (const durationMs of [50, 150]) {
      await happened(NOW - 10 * MINUTE + 2_000, 'bc:operation:success', { operationId: 'op', operation: 'bc_query_entity', durationMs });
    }
    await happened(NOW - 10 * MINUTE + 3_000, 'agent:completed', { status: 'succeeded', durationMs: 900 });
    await happened(NOW - 10 * MINUTE + 4_000, 'agent:completed', { status: 'succeeded', durationMs: 700 });
    await happened(NOW - 10 * MINUTE + 5_000, 'agent:error', { error: { code: 'BcUnavailable', message: 'down' } });
    // Another stage's plan is not this stage's.
    process.env.STAGE = 'elsewhere';
    const other = createMetrics('analytics');
    delete process.env.STAGE;
    vi.useFakeTimers({ toFake: ['Date'], now: NOW - 10 * MINUTE });
    const lines = await captureEmf(() => recordEventMetrics(other, busEvent(createEvent('agent:completed', { status: 'succeeded' } as never, ctx))));
    vi.useRealTimers();
    for (const line of lines) local.aws.cloudwatch.ingestLogLine(JSON.stringify(line));
  });

  afterAll(async () => {
    client?.destroy();
    await local?.cleanup();
  });

  const get = (query: Record<string, string> = {}, claims: Record<string, unknown> | null = operator) =>
    handle(httpEvent('GET', '/v1/metrics', { contentType: null, claims, query }));

  it('answers every series on one grid: plans per minute, percentiles, the breaker carried forward', async () => {
    const response = await get({ from: new Date(NOW - 15 * MINUTE).toISOString(), to: new Date(NOW).toISOString() });
    expect(response.statusCode).toBe(200);
    const body = jsonBody(response) as OperationsMetrics;
    expect(documented(200).safeParse(body).success).toBe(true);
    expect(body.periodSeconds).toBe(60);
    expect(body.timestamps).toHaveLength(15);
    expect(body.timestamps[0]).toBe((NOW - 15 * MINUTE) / 1000);
    const at = (series: OperationsSeries | undefined, minutesAgo: number) => series!.values[body.timestamps.indexOf((NOW - minutesAgo * MINUTE) / 1000)];
    const series = (id: string) => body.series.find((s) => s.id === id);

    expect(at(series('plans_succeeded'), 10)).toBe(2);
    expect(at(series('plans_failed'), 10)).toBe(1);
    expect(at(series('plans_succeeded'), 9)).toBe(0); // no plan ended: zero, not unknown
    expect(series('plans_succeeded')!.values.reduce((a, b) => a! + b!, 0)).toBe(2); // the other stage's plan is not here
    expect(at(series('task_query_p50'), 10)).toBe(100);
    expect(at(series('task_query_p95'), 10)).toBe(300);
    expect(at(series('task_query_p95'), 9)).toBeNull();
    expect(series('task_write_p50')!.values.every((v) => v === null)).toBe(true);
    expect(at(series('bc_success_p50'), 10)).toBe(50);
    expect(at(series('bc_success_p95'), 10)).toBe(150);
    expect(series('bc_error_p95')!.values.every((v) => v === null)).toBe(true);
    // Open since before the window (2) until the minute it closed (0), closed since.
    const breaker = series('breaker')!;
    expect(breaker.values.slice(0, 9)).toEqual(Array(9).fill(2));
    expect(breaker.values.slice(9)).toEqual(Array(6).fill(0));
    expect(new Set(body.series.map((s) => s.group))).toEqual(new Set(['plans', 'taskDuration', 'bcLatency', 'breaker']));
  });

  it('sums a wider period and reports it per minute', async () => {
    const body = jsonBody(await get({ from: new Date(NOW - 15 * MINUTE).toISOString(), to: new Date(NOW).toISOString(), period: '300' })) as OperationsMetrics;
    expect(body.timestamps).toEqual([NOW - 15 * MINUTE, NOW - 10 * MINUTE, NOW - 5 * MINUTE].map((t) => t / 1000));
    // Two plans in five minutes: 0.4 per minute.
    expect(body.series.find((s) => s.id === 'plans_succeeded')!.values).toEqual([0, 0.4, 0]);
  });

  it('defaults to the last hour by minute', async () => {
    const body = jsonBody(await get()) as OperationsMetrics;
    expect(body).toMatchObject({ from: new Date(NOW - 60 * MINUTE).toISOString(), to: new Date(NOW).toISOString(), periodSeconds: 60 });
    expect(body.timestamps).toHaveLength(60);
  });

  it('is for operators only', async () => {
    const forbidden = await get({}, { sub: 'alice', tenant: 'contoso', roles: '[approver]' });
    expect(forbidden.statusCode).toBe(403);
    expect(jsonBody(forbidden).error.message).toContain('operator');
    expect((await get({}, null)).statusCode).toBe(401);
  });

  it.each([
    [{ period: '90' }, 'multiple of 60'],
    [{ period: '30' }, 'at least 60'],
    [{ period: 'soon' }, 'period'],
    [{ from: 'yesterday' }, 'ISO 8601'],
    [{ from: new Date(NOW).toISOString(), to: new Date(NOW - MINUTE).toISOString() }, 'from must be before to'],
    [{ from: new Date(NOW - 3 * 24 * 60 * MINUTE).toISOString() }, 'more than 1440'],
    [{ from: new Date(NOW - 20 * 24 * 60 * MINUTE).toISOString(), period: '86400' }, 'last 15 days'],
  ])('refuses %j with 400', async (query, message) => {
    const response = await get(query as Record<string, string>);
    expect(response.statusCode).toBe(400);
    expect(jsonBody(response).error.message).toContain(message);
  });
});
