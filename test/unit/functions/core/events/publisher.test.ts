import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEvent, createPublisher, EventPublishError, EventValidationError, MAX_DETAIL_BYTES, packBatches, type DomainEvent, type PublisherOptions } from '../../../../../functions/core/events/index.js';
import { startPutEventsSink, type PutEventsSink } from '../../../../support/put-events-sink.js';

let sink: PutEventsSink;
let client: EventBridgeClient;
const sleeps: number[] = [];

beforeAll(async () => {
  sink = await startPutEventsSink();
  client = new EventBridgeClient({
    endpoint: sink.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await sink.stop();
});
beforeEach(() => {
  sink.reset();
  sleeps.length = 0;
});

function publisher(overrides: Partial<PublisherOptions> = {}) {
  return createPublisher({
    busName: 'bc-agent-test',
    component: 'orchestrator',
    client,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

function events(n: number, text = ''): DomainEvent[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent(
      'task:updated',
      { status: 'running', reason: `${i}${text}` },
      { tenantId: 't', sessionId: 's', planId: 'p', taskId: `t${i}`, correlationId: 'c-00000000', causationId: 'm' },
    ),
  );
}

describe('publisher', () => {
  it('sends 25 events in 3 PutEvents calls with source, detail-type and bus', async () => {
    const result = await publisher().publish(events(25));
    expect(result).toEqual({ published: 25, failed: [], putEventsCalls: 3 });
    expect(sink.requests.map((r) => r.length)).toEqual([10, 10, 5]);
    expect(sink.accepted[0]).toMatchObject({ source: 'bc-agent.orchestrator', detailType: 'task:updated', busName: 'bc-agent-test' });
    expect(sink.accepted.map((e) => e.detail.reason)).toEqual(Array.from({ length: 25 }, (_, i) => `${i}`));
  });

  it('splits requests to stay under 256 KB', async () => {
    const big = 'x'.repeat(60 * 1024);
    await publisher().publish(events(6, big));
    // 60 KB each: four fit in 256 KB, the rest goes in a second request.
    expect(sink.requests.map((r) => r.length)).toEqual([4, 2]);
  });

  it('retries only the failed entries, with growing jittered backoff', async () => {
    const failures = new Map<string, number>([['1', 2], ['7', 1]]);
    sink.policy = (entry) => {
      const reason = (JSON.parse(entry.Detail) as { reason: string }).reason;
      const left = failures.get(reason) ?? 0;
      if (left === 0) return undefined;
      failures.set(reason, left - 1);
      return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
    };
    const result = await publisher({ baseDelayMs: 100 }).publish(events(10));
    expect(result.published).toBe(10);
    expect(result.failed).toEqual([]);
    expect(sink.requests.map((r) => r.map((e) => (JSON.parse(e.Detail) as { reason: string }).reason))).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['1', '7'],
      ['1'],
    ]);
    expect(sleeps).toEqual([50, 100]);
    expect(new Set(sink.accepted.map((e) => e.detail.eventId)).size).toBe(10);
  });

  it('throws a typed error listing what it could not publish', async () => {
    sink.policy = (entry) =>
      (JSON.parse(entry.Detail) as { reason: string }).reason === '2'
        ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
        : undefined;
    const all = events(3);
    const error = await publisher({ maxAttempts: 3 }).publish(all).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventPublishError);
    const failed = (error as EventPublishError).failed;
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ errorCode: 'ThrottlingException', event: { name: 'task:updated' } });
    expect(failed[0]!.event.detail.eventId).toBe(all[2]!.detail.eventId);
    expect(sink.requests).toHaveLength(3);
    expect(sink.accepted).toHaveLength(2);
  });

  it('does not retry permanent entry errors and returns failures when the caller opts out of throwing', async () => {
    sink.policy = () => ({ ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' });
    const result = await publisher().publish(events(2), { throwOnFailure: false });
    expect(result.published).toBe(0);
    expect(result.failed.map((f) => f.errorCode)).toEqual(['MalformedDetail', 'MalformedDetail']);
    expect(sink.requests).toHaveLength(1);
  });

  it('retries the batch when the whole call fails on the server side', async () => {
    sink.failNextCalls = 1;
    const result = await publisher().publish(events(3));
    expect(result).toEqual({ published: 3, failed: [], putEventsCalls: 2 });
  });

  it('reports a whole-call client fault at once instead of retrying it', async () => {
    sink.failNextCalls = 5;
    sink.callFailure = { status: 400, type: 'ResourceNotFoundException' };
    const result = await publisher().publish(events(3), { throwOnFailure: false });
    expect(result.failed.map((f) => f.errorCode)).toEqual(Array(3).fill('ResourceNotFoundException'));
    expect(sink.requests).toHaveLength(1);
  });

  it('validates before sending anything', async () => {
    const [good] = events(1);
    const bad = { name: 'task:updated', detail: { ...good!.detail, status: 'exploded' } } as unknown as DomainEvent;
    await expect(publisher().publish([good!, bad])).rejects.toBeInstanceOf(EventValidationError);
    expect(sink.requests).toHaveLength(0);
  });

  it('reports a detail over the size budget without sending it, and sends the rest', async () => {
    const [small] = events(1);
    const [large] = events(1, 'y'.repeat(MAX_DETAIL_BYTES));
    const result = await publisher().publish([large!, small!], { throwOnFailure: false });
    expect(result.failed.map((f) => [f.errorCode, f.event.detail.eventId])).toEqual([['DetailTooLarge', large!.detail.eventId]]);
    expect(result.failed[0]?.errorMessage).toMatch(/reference/);
    expect(sink.requests.map((r) => r.length)).toEqual([1]);
  });
});

describe('packBatches', () => {
  it('never exceeds the entry or byte limit and keeps order', () => {
    const items = [5, 5, 5, 1, 9, 2].map((bytes, i) => ({ bytes, i }));
    expect(packBatches(items, 2, 10).map((b) => b.map((x) => x.i))).toEqual([[0, 1], [2, 3], [4], [5]]);
  });
});
