// The notifier's subscriber cache on a real (in-process) DynamoDB, with an injected clock: one bySession Query
// per session per window, "nobody" remembered too, a gone connection forgotten at once, and the window a new
// subscriber is told about (liveFrom) — missed before it, pushed from it on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '../../../../../functions/core/events/index.js';
import { createLogger } from '../../../../../functions/core/observability/index.js';
import { ConnectionStore } from '../../../../../functions/core/push/connections.js';
import { ConnectionGoneError, notifySubscribers, type BusEvent } from '../../../../../functions/core/push/notifier.js';
import { handleWebSocketEvent } from '../../../../../functions/core/push/routes.js';
import {
  DEFAULT_SUBSCRIBER_CACHE_SECONDS, SubscriberCache, subscriberCacheMsFromEnv, subscriptionLiveAfterMs,
} from '../../../../../functions/core/push/subscribers.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';

const WINDOW_MS = 10_000;
let dynamo: TestDynamo;
let store: ConnectionStore;
/** Every bySession Query the cache lets through. */
let reads = 0;
const counted = { subscribersOf: (tenantId: string, sessionId: string) => ((reads += 1), store.subscribersOf(tenantId, sessionId)) };
const logger = createLogger('push-cache-test');

beforeAll(async () => {
  dynamo = await startDynamo();
  store = new ConnectionStore(dynamo.doc, dynamo.tables.CONNECTIONS_TABLE);
});
afterAll(() => dynamo?.stop());

/** A clock the test moves. */
function clock(start = Date.parse('2026-12-03T12:00:00.000Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (at: number) => (now = at) };
}

let eventCount = 0;
const event = (sessionId: string, tenantId = 't1'): BusEvent => {
  const { name, detail } = createEvent(
    'task:updated',
    { status: 'running', previousStatus: 'running', reason: `e${++eventCount}` },
    { tenantId, sessionId, planId: 'p1', taskId: 't1', correlationId: 'c1', causationId: 'm1' },
  );
  return { 'detail-type': name, detail };
};

/** A post that records what each connection received (the event's reason), failing for `gone` connections. */
function recorder(gone: Set<string> = new Set()) {
  const received = new Map<string, string[]>();
  const post = async (id: string, data: string) => {
    if (gone.has(id)) throw new ConnectionGoneError(`connection ${id} is gone`);
    received.set(id, [...(received.get(id) ?? []), JSON.parse(data).detail.reason]);
  };
  return { received, post, of: (id: string) => received.get(id) ?? [] };
}

async function connect(id: string, tenantId = 't1') {
  const record = { connectionId: id, tenantId, sub: `u-${id}`, connectedAt: new Date().toISOString() };
  await store.putConnection(record);
  return record;
}

describe('SubscriberCache in the notifier', () => {
  it('answers a session\'s events within the window with one Query, across batches, and reads again after it', async () => {
    await store.subscribe(await connect('w-a'), 'sW');
    const time = clock();
    const subscribers = new SubscriberCache(counted, { windowMs: WINDOW_MS, now: time.now });
    const { post, of } = recorder();
    const deps = { connections: store, subscribers, post, logger };
    reads = 0;

    // One message's events, as the FIFO queue hands them over: one at a time, a few hundred ms apart.
    const results = [];
    for (let i = 0; i < 4; i++) {
      results.push(await notifySubscribers(deps, [event('sW')]));
      time.advance(300);
    }
    expect(reads).toBe(1);
    expect(results.map((r) => r.lookups)).toEqual([1, 0, 0, 0]);
    expect(of('w-a')).toHaveLength(4);

    time.advance(WINDOW_MS); // the window lapses: the next event reads again
    expect((await notifySubscribers(deps, [event('sW')])).lookups).toBe(1);
    expect(reads).toBe(2);
    expect(of('w-a')).toHaveLength(5);
  });

  it('remembers that a session has no subscriber (the common case: an API caller that polls)', async () => {
    const time = clock();
    const subscribers = new SubscriberCache(counted, { windowMs: WINDOW_MS, now: time.now });
    const { post, received } = recorder();
    reads = 0;
    for (let i = 0; i < 3; i++) {
      await notifySubscribers({ connections: store, subscribers, post, logger }, [event('s-nobody'), event('s-nobody')]);
      time.advance(1000);
    }
    expect(reads).toBe(1);
    expect(received.size).toBe(0);
  });

  it('misses a subscriber that joins inside the window until its liveFrom, then pushes to it; the catch-up read covers the gap', async () => {
    const time = clock();
    const subscribers = new SubscriberCache(counted, { windowMs: WINDOW_MS, now: time.now });
    const { post, of } = recorder();
    const deps = { connections: store, subscribers, post, logger };
    const watcher = await connect('m-watcher');
    await store.subscribe(watcher, 'sM');
    const readAt = time.now();
    await notifySubscribers(deps, [event('sM')]); // remembered: [m-watcher]

    // A second tab subscribes through the route, on the same clock, 2 s into the window.
    time.advance(2000);
    await connect('m-late');
    const reply = JSON.parse(
      (await handleWebSocketEvent(
        { connections: store, verifyToken: async () => ({ sub: 'u', tenantId: 't1', roles: [] }), logger, maxSubscriptions: 10, liveAfterMs: subscriptionLiveAfterMs(WINDOW_MS), now: time.now },
        { requestContext: { routeKey: 'subscribe', connectionId: 'm-late' }, body: JSON.stringify({ action: 'subscribe', sessionId: 'sM' }) },
      )).body!,
    );
    expect(reply).toMatchObject({ type: 'subscribed', sessionId: 'sM', liveInMs: WINDOW_MS + 1000 });
    const liveFrom = Date.parse(reply.liveFrom as string);
    expect(liveFrom).toBe(time.now() + WINDOW_MS + 1000);

    // Inside the window: the container still remembers the session without the new tab, which misses these
    // (liveFrom is later than the entry's end by the subscription's 2 s into the window and the index margin).
    time.advance(3000);
    await notifySubscribers(deps, [event('sM')]);
    time.set(readAt + WINDOW_MS - 1);
    await notifySubscribers(deps, [event('sM')]);
    expect(of('m-late')).toEqual([]);
    expect(of('m-watcher')).toHaveLength(3);
    expect(readAt + WINDOW_MS).toBeLessThanOrEqual(liveFrom);

    // By liveFrom every event reaches it (the client's read of the plan at liveFrom shows what it missed).
    time.set(liveFrom);
    await notifySubscribers(deps, [event('sM')]);
    time.advance(500);
    await notifySubscribers(deps, [event('sM')]);
    expect(of('m-late')).toHaveLength(2);
    expect(of('m-watcher')).toHaveLength(5);
    expect(of('m-late')).toEqual(of('m-watcher').slice(3));
  });

  it('forgets a gone connection in every remembered session at once, without reading again', async () => {
    const time = clock();
    const subscribers = new SubscriberCache(counted, { windowMs: WINDOW_MS, now: time.now });
    const gone = new Set<string>();
    const { post, of } = recorder(gone);
    const deps = { connections: store, subscribers, post, logger };
    const leaving = await connect('g-leaving');
    const staying = await connect('g-staying');
    for (const session of ['sG1', 'sG2']) {
      await store.subscribe(leaving, session);
      await store.subscribe(staying, session);
    }
    await notifySubscribers(deps, [event('sG1'), event('sG2')]);
    expect(of('g-leaving')).toHaveLength(2);

    gone.add('g-leaving');
    reads = 0;
    const found = await notifySubscribers(deps, [event('sG1')]);
    expect(found).toMatchObject({ gone: 1, posted: 1, lookups: 0 });
    expect(await store.getConnection('g-leaving')).toBeUndefined();

    // Neither session tries it again within the window, and no Query was needed to learn that.
    const after = await notifySubscribers(deps, [event('sG1'), event('sG2')]);
    expect(after).toMatchObject({ gone: 0, posted: 2, lookups: 0 });
    expect(reads).toBe(0);
    expect(of('g-staying')).toHaveLength(5);
  });

  it('with a window of 0 reads for every batch, as before the cache', async () => {
    await store.subscribe(await connect('z-a'), 'sZ');
    const subscribers = new SubscriberCache(counted, { windowMs: 0 });
    const { post, of } = recorder();
    reads = 0;
    for (let i = 0; i < 3; i++) await notifySubscribers({ connections: store, subscribers, post, logger }, [event('sZ')]);
    expect(reads).toBe(3);
    expect(subscribers.size).toBe(0);
    expect(of('z-a')).toHaveLength(3);
  });

  it('does not remember a failed read (the batch fails and comes back), and reads again when the clock steps back', async () => {
    const time = clock();
    let fail = true;
    const flaky = {
      subscribersOf: async (tenantId: string, sessionId: string) => {
        reads += 1;
        if (fail) throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
        return store.subscribersOf(tenantId, sessionId);
      },
    };
    await store.subscribe(await connect('f-a'), 'sF');
    const subscribers = new SubscriberCache(flaky, { windowMs: WINDOW_MS, now: time.now });
    const { post, of } = recorder();
    const deps = { connections: store, subscribers, post, logger };
    reads = 0;
    await expect(notifySubscribers(deps, [event('sF')])).rejects.toThrow(/capacity/);
    fail = false;
    await notifySubscribers(deps, [event('sF')]);
    expect(reads).toBe(2);
    expect(of('f-a')).toHaveLength(1);

    time.advance(-60_000); // an NTP step back must not make the entry look fresh for another minute
    expect(await subscribers.lookup('t1', 'sF')).toMatchObject({ cached: false });
    expect(reads).toBe(3);
  });

  it('keeps at most maxSessions sessions, dropping the oldest read, and keeps tenants apart', async () => {
    const time = clock();
    const subscribers = new SubscriberCache(counted, { windowMs: WINDOW_MS, maxSessions: 2, now: time.now });
    reads = 0;
    await subscribers.lookup('t1', 'x1');
    await subscribers.lookup('t1', 'x2');
    await subscribers.lookup('t2', 'x1'); // another tenant's session of the same id is another entry
    expect(subscribers.size).toBe(2);
    expect(reads).toBe(3);
    expect(await subscribers.lookup('t1', 'x2')).toMatchObject({ cached: true });
    expect(await subscribers.lookup('t2', 'x1')).toMatchObject({ cached: true });
    expect(await subscribers.lookup('t1', 'x1')).toMatchObject({ cached: false }); // the oldest read went first
    expect(reads).toBe(4);
  });
});

describe('PUSH_SUBSCRIBER_CACHE_SECONDS', () => {
  it('defaults to the documented window, accepts 0 (off) up to 60, and refuses anything else naming the variable', () => {
    expect(subscriberCacheMsFromEnv({})).toBe(DEFAULT_SUBSCRIBER_CACHE_SECONDS * 1000);
    expect(subscriberCacheMsFromEnv({ PUSH_SUBSCRIBER_CACHE_SECONDS: '0' })).toBe(0);
    expect(subscriberCacheMsFromEnv({ PUSH_SUBSCRIBER_CACHE_SECONDS: '60' })).toBe(60_000);
    for (const bad of ['-1', '61', '2.5', 'ten']) {
      expect(() => subscriberCacheMsFromEnv({ PUSH_SUBSCRIBER_CACHE_SECONDS: bad })).toThrow(/PUSH_SUBSCRIBER_CACHE_SECONDS/);
    }
    expect(subscriptionLiveAfterMs(0)).toBe(1000);
  });
});
