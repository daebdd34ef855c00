// The analytics consumer: real EMF output captured from stdout.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEvent, type EventContext } from '../../../../../functions/core/events/index.js';
import { busEvent } from '../../../../support/bus-event.js';
import { captureEmf, emittedMetrics, type EmfDocument } from '../../../../support/emf.js';

let handler: (typeof import('../../../../../functions/consumers/analytics/index.js'))['handler'];

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'BcAgentTest';
  process.env.POWERTOOLS_SERVICE_NAME = 'analytics';
  process.env.STAGE = 'test';
  ({ handler } = await import('../../../../../functions/consumers/analytics/index.js'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs the handler and returns the EMF documents it printed. */
async function emfOf(event: Parameters<typeof handler>[0]): Promise<EmfDocument[]> {
  return captureEmf(() => handler(event));
}

const ctx: EventContext = { tenantId: 'contoso', sessionId: 's', planId: 'p', taskId: 't1', correlationId: 'c-12345678', causationId: 'm' };

function metric(docs: EmfDocument[], name: string) {
  const doc = docs.find((d) => d._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name));
  if (!doc) throw new Error(`no ${name} metric in ${JSON.stringify(docs)}`);
  const definition = doc._aws.CloudWatchMetrics[0]!;
  return { value: doc[name], unit: definition.Metrics.find((m) => m.Name === name)!.Unit, dimensions: definition.Dimensions[0], doc, namespace: definition.Namespace };
}

describe('analytics consumer', () => {
  it('counts every event by name', async () => {
    const docs = await emfOf(busEvent(createEvent('task:updated', { status: 'running' }, ctx)));
    const events = metric(docs, 'Events');
    expect(events).toMatchObject({ value: 1, unit: 'Count', namespace: 'BcAgentTest' });
    expect(events.dimensions).toEqual(expect.arrayContaining(['eventName', 'service', 'stage']));
    expect(events.doc).toMatchObject({ eventName: 'task:updated', stage: 'test', service: 'analytics' });
  });

  it('measures task duration from the task:completed event', async () => {
    const docs = await emfOf(
      busEvent(createEvent('task:completed', { status: 'succeeded', taskType: 'query', result: { value: [] }, attempt: 1, durationMs: 1234 }, ctx)),
    );
    const duration = metric(docs, 'TaskDuration');
    expect(duration).toMatchObject({ value: 1234, unit: 'Milliseconds' });
    expect(duration.doc).toMatchObject({ taskType: 'query', status: 'succeeded' });
  });

  it('measures BC call latency by operation and outcome', async () => {
    const docs = await emfOf(
      busEvent(
        createEvent(
          'bc:operation:error',
          { operationId: 'op1', operation: 'bc_query_entity', durationMs: 87, error: { code: 'BadRequest', message: 'no', httpStatus: 400 } },
          ctx,
        ),
        'bc-agent.worker.query',
      ),
    );
    expect(metric(docs, 'BcOperationLatency')).toMatchObject({ value: 87, unit: 'Milliseconds', doc: { operation: 'bc_query_entity', outcome: 'error' } });
  });

  it('counts an unknown event as other and measures nothing else', async () => {
    const docs = await emfOf({ ...busEvent(createEvent('task:updated', { status: 'running' }, ctx)), 'detail-type': 'something:else' });
    expect(docs).toHaveLength(1);
    expect(metric(docs, 'Events').doc).toMatchObject({ eventName: 'other' });
  });

  it('skips latencies of a malformed detail but still counts it', async () => {
    const event = busEvent(createEvent('task:completed', { status: 'succeeded', taskType: 'query', result: 1, attempt: 1, durationMs: 5 }, ctx));
    const docs = await emfOf({ ...event, detail: { durationMs: 'soon' } });
    expect(docs.map((d) => d._aws.CloudWatchMetrics[0]!.Metrics[0]!.Name)).toEqual(['Events']);
  });

  /** The metrics (without the Events count) an event produced, as name{dimensions}=value. */
  async function measured(event: Parameters<typeof handler>[0]): Promise<string[]> {
    return emittedMetrics(await emfOf(event))
      .filter((m) => m.metricName !== 'Events')
      .map((m) => {
        const { service, stage, ...own } = m.dimensions;
        expect({ service, stage, namespace: m.namespace }).toEqual({ service: 'analytics', stage: 'test', namespace: 'BcAgentTest' });
        return `${m.metricName}${JSON.stringify(own)}=${String(m.value)}`;
      });
  }

  it('measures a task duration per type and status and per type alone (percentiles do not combine)', async () => {
    const event = createEvent('task:completed', { status: 'failed', taskType: 'write', error: { code: 'X', message: 'no' }, attempt: 2, durationMs: 40 }, ctx);
    expect(await measured(busEvent(event))).toEqual(['TaskDuration{"taskType":"write","status":"failed"}=40', 'TaskDuration{"taskType":"write"}=40']);
  });

  it('measures BC latency per operation and over all operations', async () => {
    const event = createEvent('bc:operation:success', { operationId: 'op', operation: 'bc_query_entity', durationMs: 12 }, ctx);
    expect(await measured(busEvent(event))).toEqual([
      'BcOperationLatency{"operation":"bc_query_entity","outcome":"success"}=12',
      'BcOperationLatency{"outcome":"success"}=12',
    ]);
  });

  it('counts every ended plan by outcome, with or without a duration', async () => {
    expect(await measured(busEvent(createEvent('agent:completed', { status: 'cancelled' }, ctx)))).toEqual(['PlanOutcome{"outcome":"cancelled"}=1']);
    expect(await measured(busEvent(createEvent('agent:completed', { status: 'succeeded', durationMs: 900 }, ctx)))).toEqual([
      'PlanOutcome{"outcome":"succeeded"}=1',
      'PlanDuration{"outcome":"succeeded"}=900',
    ]);
    expect(await measured(busEvent(createEvent('agent:error', { error: { code: 'BcUnavailable', message: 'down' } }, ctx)))).toEqual([
      'PlanOutcome{"outcome":"failed"}=1',
    ]);
  });

  it('counts breaker transitions and records the state moved to as 0 closed, 1 half-open, 2 open', async () => {
    const transition = (from: 'closed' | 'open' | 'half-open', to: 'closed' | 'open' | 'half-open') =>
      measured(busEvent(createEvent('breaker:state-changed', { breakerKey: 'bc:contoso', from, to }, ctx), 'bc-agent.mcp-server'));
    expect(await transition('closed', 'open')).toEqual(['BreakerTransitions{"to":"open"}=1', 'BreakerState{}=2']);
    expect(await transition('open', 'half-open')).toEqual(['BreakerTransitions{"to":"half-open"}=1', 'BreakerState{}=1']);
    expect(await transition('half-open', 'closed')).toEqual(['BreakerTransitions{"to":"closed"}=1', 'BreakerState{}=0']);
  });

  it('counts rollbacks as succeeded, partial or repaired (repaired read from the raw detail too)', async () => {
    const rollback = (status: 'succeeded' | 'partial') =>
      createEvent('rollback:completed', { status, compensated: ['deleteOrder'], failed: status === 'partial' ? [{ step: 'deleteLines', error: { code: 'X', message: 'no' } }] : [] }, ctx);
    expect(await measured(busEvent(rollback('succeeded')))).toEqual(['RollbackOutcome{"status":"succeeded"}=1']);
    expect(await measured(busEvent(rollback('partial')))).toEqual(['RollbackOutcome{"status":"partial"}=1']);
    const repaired = rollback('succeeded');
    expect(await measured({ ...busEvent(repaired), detail: { ...repaired.detail, repaired: true } })).toEqual(['RollbackOutcome{"status":"repaired"}=1']);
    // A malformed detail is no rollback at all, whatever it claims.
    expect(await measured({ ...busEvent(repaired), detail: { repaired: true } })).toEqual([]);
  });
});
