// The analytics consumer: real EMF output captured from stdout.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEvent, type EventContext } from '../../functions/core/events/index.js';
import { busEvent } from './bus-event.js';

let handler: (typeof import('../../functions/consumers/analytics/index.js'))['handler'];

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'BcAgentTest';
  process.env.POWERTOOLS_SERVICE_NAME = 'analytics';
  process.env.STAGE = 'test';
  ({ handler } = await import('../../functions/consumers/analytics/index.js'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Runs the handler and returns the EMF documents it printed. */
async function emfOf(event: Parameters<typeof handler>[0]): Promise<Emf[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  await handler(event);
  vi.restoreAllMocks();
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);
}

const ctx: EventContext = { tenantId: 'contoso', sessionId: 's', planId: 'p', taskId: 't1', correlationId: 'c-12345678', causationId: 'm' };

function metric(docs: Emf[], name: string) {
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
});
