// The capacity governor against DynamoDB (dynalite): the token bucket refills and is taken in batches, slot
// leases of a container that died expire, a 429 shrinks the budget (AIMD) and its Retry-After holds every
// container, high-priority work keeps its reserve and goes first. The clock is moved by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPACITY_SK, CapacityGovernor, CapacityStore, CapacityRefusedError, advance, capacityLimitsFromEnv, capacityPk, effectiveBudget, governorEnabled, governorFromEnv, initialState, sync, type CapacityState } from '../../../../../functions/core/capacity/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { ManualClock, TEST_LIMITS, freshScope, governorFor } from '../../../../support/capacity.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

async function item(scope: string): Promise<CapacityState> {
  const store = new CapacityStore(dynamo.doc, dynamo.tables.STATE_TABLE, scope);
  const state = await store.read();
  if (!state) throw new Error(`no capacity item for ${scope}`);
  return state;
}

const NEVER = 1e12;

describe('token bucket', () => {
  it("sizes token batches by the container's recent pace, spends the burst, then makes the caller wait for the refill", async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    const governor = governorFor(dynamo, scope, clock, { idleReleaseMs: NEVER });
    for (let i = 0; i < 10; i++) (await governor.acquire('normal', clock.now() + 1_000)).release();
    // One caller at a time: the first exchanges take one token each, then the batch grows with the pace
    // (1, 1, 2, 4, then the 2 left): fewer writes than requests.
    expect(governor.stats.acquired).toBe(10);
    expect(governor.storeCalls).toBeLessThanOrEqual(7);
    const spent = await item(scope);
    expect(spent.tokens).toBeCloseTo(0, 5);

    // The 11th cannot have a token within 50 ms (the next arrives in 100 ms at 10/s, looked for up to a quarter
    // poll interval later so waiters do not all write at once): refused, BC never called.
    const refused = await governor.acquire('normal', clock.now() + 50).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CapacityRefusedError);
    expect(refused).toMatchObject({ retryAfterMs: 113 });
    expect(governor.stats.noCapacity).toBe(1);

    // The rate binds now: the container waits for a whole batch (5 tokens, 500 ms at 10/s) rather than racing
    // other containers for each token as it comes.
    const idleTimers = clock.pending;
    const waiting = governor.acquire('normal', clock.now() + 1_000);
    await expect.poll(() => clock.pending).toBe(idleTimers + 1);
    clock.advance(499);
    await expect.poll(() => clock.pending).toBe(idleTimers + 1);
    clock.advance(51);
    (await waiting).release();
    expect(governor.stats.waited).toBe(1);
  });

  it('batches tokens for concurrent callers: 10 requests cost far fewer DynamoDB calls', async () => {
    const clock = new ManualClock();
    const governor = governorFor(dynamo, freshScope(), clock, { idleReleaseMs: NEVER, concurrency: 10, slotBatch: 10, tokenBatch: 5 });
    const permits = await Promise.all(Array.from({ length: 10 }, () => governor.acquire('normal', clock.now() + 1_000)));
    for (const permit of permits) permit.release();
    expect(governor.stats.acquired).toBe(10);
    // 10 tokens in batches of 5 and the slots in the same exchanges: one read (the first) and at most 3 writes.
    expect(governor.storeCalls).toBeLessThanOrEqual(4);
  });

  it('refills at the rate up to the burst and never while paused', () => {
    const limits = TEST_LIMITS;
    const start = initialState(0, limits);
    const empty = { ...start, tokens: 0 };
    expect(advance(empty, 300, limits).tokens).toBeCloseTo(3, 5);
    expect(advance(empty, 60_000, limits).tokens).toBe(effectiveBudget(limits, 1).burst);
    expect(advance({ ...empty, pausedUntil: 500 }, 400, limits).tokens).toBe(0);
    expect(advance({ ...empty, pausedUntil: 500 }, 700, limits).tokens).toBeCloseTo(2, 5);
  });
});

describe('concurrency leases', () => {
  it('frees the slots of a container that died once its lease expires', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    const limits = { concurrency: 2, slotBatch: 2, idleReleaseMs: NEVER };
    const dead = governorFor(dynamo, scope, clock, limits, 'dead-container');
    await Promise.all([dead.acquire('normal', clock.now() + 1_000), dead.acquire('normal', clock.now() + 1_000)]);
    expect(dead.heldSlots).toBe(2);

    const other = governorFor(dynamo, scope, clock, limits, 'live-container');
    const refused = await other.acquire('normal', clock.now() + 10).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CapacityRefusedError);
    expect((refused as Error).message).toMatch(/no BC concurrency slot was free/);

    // The dead container never releases; after its lease it no longer counts.
    clock.advance(TEST_LIMITS.leaseMs);
    const permit = await other.acquire('normal', clock.now() + 10);
    const state = await item(scope);
    expect(Object.keys(state.holders)).toEqual(['live-container']);
    permit.release();
  });

  it('gives idle slots back after idleReleaseMs, and a waiting container gets them', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    const limits = { concurrency: 1, slotBatch: 1, idleReleaseMs: 100 };
    const holder = governorFor(dynamo, scope, clock, limits, 'a');
    const waiter = governorFor(dynamo, scope, clock, limits, 'b');
    const permit = await holder.acquire('normal', clock.now() + 5_000);
    const waiting = waiter.acquire('normal', clock.now() + 5_000);
    await expect.poll(async () => Object.keys((await item(scope)).waiters)).toEqual(['b']);
    permit.release();
    clock.advance(100); // the holder's idle timer: it gives its slot back
    await expect.poll(async () => Object.keys((await item(scope)).holders)).toEqual([]);
    clock.advance(TEST_LIMITS.pollMs); // the waiter looks again
    (await waiting).release();
    expect(waiter.stats.waited).toBe(1);
  });
});

describe('429 from BC', () => {
  it('pauses every container for Retry-After and halves the budget once per pause, then grows it back (AIMD)', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    const first = governorFor(dynamo, scope, clock, { idleReleaseMs: NEVER }, 'first');
    (await first.acquire('normal', clock.now() + 1_000)).release();
    await first.throttled(2_000);
    await first.throttled(2_000); // a second 429 of the same burst: no second cut
    let state = await item(scope);
    expect(state).toMatchObject({ factor: 0.5, throttles: 2, tokens: 0, pausedUntil: clock.now() + 2_000 });

    // Another container, which never saw the 429, honours the pause too (and so does the first).
    const second = governorFor(dynamo, scope, clock, { idleReleaseMs: NEVER }, 'second');
    const refused = await second.acquire('high', clock.now() + 1_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CapacityRefusedError);
    expect((refused as CapacityRefusedError).retryAfterMs).toBe(2_000);
    await expect(first.acquire('high', clock.now() + 1_000)).rejects.toBeInstanceOf(CapacityRefusedError);

    // After the pause the budget is about half (the bucket starts empty: the first token comes 200 ms later, when
    // the factor has grown from 0.5 by 5 % of the limits a second): 2 of 4 slots, 5.1 tokens/s.
    clock.advance(2_200);
    (await second.acquire('normal', clock.now() + 1_000)).release();
    state = await item(scope);
    expect(state.factor).toBeCloseTo(0.51, 5);
    expect(effectiveBudget(TEST_LIMITS, state.factor).slots).toBe(2);
    expect(effectiveBudget(TEST_LIMITS, state.factor).ratePerSecond).toBeCloseTo(5.1, 5);
    clock.advance(10_000);
    (await second.acquire('normal', clock.now() + 1_000)).release();
    expect((await item(scope)).factor).toBe(1);
  });
});

describe('priority', () => {
  it('keeps a reserve of slots only high-priority work may use', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    // 5 slots, 20 % reserve: normal work may hold 4.
    const limits = { concurrency: 5, highReserve: 0.2, slotBatch: 1, idleReleaseMs: NEVER };
    for (let i = 0; i < 4; i++) await governorFor(dynamo, scope, clock, limits, `normal-${i}`).acquire('normal', clock.now() + 10);
    const fifth = governorFor(dynamo, scope, clock, limits, 'normal-4');
    await expect(fifth.acquire('normal', clock.now() + 10)).rejects.toBeInstanceOf(CapacityRefusedError);
    const interactive = governorFor(dynamo, scope, clock, limits, 'high-0');
    const permit = await interactive.acquire('high', clock.now() + 10);
    expect(Object.keys((await item(scope)).holders)).toHaveLength(5);
    permit.release();
  });

  it('keeps a reserve of tokens only high-priority work may spend', async () => {
    const clock = new ManualClock();
    const governor = governorFor(dynamo, freshScope(), clock, { highReserve: 0.2, idleReleaseMs: NEVER });
    // Burst 10, floor 2 for normal work.
    for (let i = 0; i < 8; i++) (await governor.acquire('normal', clock.now() + 10)).release();
    await expect(governor.acquire('normal', clock.now() + 10)).rejects.toThrow(/request rate is spent/);
    (await governor.acquire('high', clock.now() + 10)).release();
    (await governor.acquire('high', clock.now() + 10)).release();
    await expect(governor.acquire('high', clock.now() + 10)).rejects.toBeInstanceOf(CapacityRefusedError);
  });

  it('serves a high-priority caller before normal ones waiting in the same container', async () => {
    const clock = new ManualClock();
    const governor = governorFor(dynamo, freshScope(), clock, { concurrency: 1, slotBatch: 1, idleReleaseMs: NEVER });
    const first = await governor.acquire('normal', clock.now() + 5_000);
    const order: string[] = [];
    const normal = governor.acquire('normal', clock.now() + 5_000).then((p) => (order.push('normal'), p));
    const high = governor.acquire('high', clock.now() + 5_000).then((p) => (order.push('high'), p));
    await expect.poll(() => clock.pending).toBeGreaterThanOrEqual(2);
    first.release();
    (await high).release();
    (await normal).release();
    expect(order).toEqual(['high', 'normal']);
  });
});

describe('failure and configuration', () => {
  it('lets the request through when its DynamoDB table is unusable (BC is never made unreachable by the governor)', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const governor = new CapacityGovernor({
      store: new CapacityStore(dynamo.doc, 'no-such-table', freshScope()),
      limits: TEST_LIMITS,
      now: clock.now,
      sleep: clock.sleep,
      onStoreError: (error) => errors.push(error),
    });
    (await governor.acquire('normal', clock.now() + 10)).release();
    expect(governor.stats.storeErrors).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('stores the budget under its own key in the state table', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    (await governorFor(dynamo, scope, clock).acquire('normal', clock.now() + 10)).release();
    expect(capacityPk(scope)).toBe(`CAPACITY#${scope}`);
    expect(CAPACITY_SK).toBe('GOVERNOR');
    expect((await item(scope)).version).toBe(1);
  });

  it('is off unless BC_GOVERNOR=on, and reads its limits from BC_GOVERNOR_*', () => {
    const scope = { tenant: 't', environment: 'e', clientId: 'c' };
    expect(governorEnabled({})).toBe(false);
    expect(governorEnabled({ BC_GOVERNOR: 'off' })).toBe(false);
    expect(governorEnabled({ BC_GOVERNOR: 'on' })).toBe(true);
    expect(() => governorEnabled({ BC_GOVERNOR: 'maybe' })).toThrow(/BC_GOVERNOR must be on or off/);
    expect(governorFromEnv(scope, {})).toBeUndefined();
    expect(() => governorFromEnv(scope, { BC_GOVERNOR: 'on' })).toThrow(/BC_GOVERNOR_TABLE nor STATE_TABLE/);
    const on = { BC_GOVERNOR: 'on', STATE_TABLE: 'state' };
    expect(governorFromEnv(scope, on)).toBe(governorFromEnv(scope, on));
    expect(capacityLimitsFromEnv({ BC_GOVERNOR_RATE_PER_MINUTE: '600', BC_GOVERNOR_CONCURRENCY: '5', BC_GOVERNOR_SAFETY_MARGIN: '0.95' })).toMatchObject({
      ratePerMinute: 600,
      concurrency: 5,
      safetyMargin: 0.95,
      highReserve: 0.2,
    });
    expect(() => capacityLimitsFromEnv({ BC_GOVERNOR_SAFETY_MARGIN: '1.5' })).toThrow(/safetyMargin must be in \(0, 1\]/);
    expect(() => capacityLimitsFromEnv({ BC_GOVERNOR_CONCURRENCY: 'five' })).toThrow(/BC_GOVERNOR_CONCURRENCY must be a number/);
    expect(() => capacityLimitsFromEnv({ BC_GOVERNOR_SLOT_BATCH: '1.5' })).toThrow(/slotBatch must be a whole number/);
  });
});

/** Moves the hand clock on at each look of expect.poll, so waiters wake and exchange until the condition holds. */
const POLL_CLOCK = { timeout: 20_000, interval: 5 };

describe('the shared queue', () => {
  it('gives the next token to a high-priority caller in another container before a normal caller that waited longer', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    // Batches of one token, so both wait for the same token.
    const limits = { idleReleaseMs: NEVER, tokenBatch: 1 };
    // Drain the bucket (10 tokens at 10/s) from a third container.
    const drainer = governorFor(dynamo, scope, clock, limits, 'drainer');
    for (let i = 0; i < 10; i++) (await drainer.acquire('normal', clock.now() + 1_000)).release();
    expect((await item(scope)).tokens).toBeCloseTo(0, 5);

    const asleep = clock.pending; // the drainer's idle timer
    const order: string[] = [];
    // The normal caller looks again as soon as its token is due, the high one a little later.
    const batch = governorFor(dynamo, scope, clock, limits, 'batch-worker', 0);
    const normal = batch.acquire('normal', clock.now() + 5_000).then((p) => (order.push('normal'), p));
    await expect.poll(() => clock.pending).toBe(asleep + 1);
    clock.advance(50);
    const interactive = governorFor(dynamo, scope, clock, limits, 'interactive', 0.99);
    const high = interactive.acquire('high', clock.now() + 5_000).then((p) => (order.push('high'), p));
    await expect.poll(() => clock.pending).toBe(asleep + 2);

    // A token has dripped in; the normal caller, there first, looks first (alone): the token is not its.
    clock.advance(55);
    await expect.poll(() => order.length === 1 || clock.pending === asleep + 2).toBe(true);
    expect(order).toEqual([]);
    // The high caller looks and has it.
    await expect.poll(() => (clock.advance(10), order.length), POLL_CLOCK).toBe(1);
    (await high).release();
    expect(order).toEqual(['high']);
    // The normal caller gets its turn after the high one, with the next token.
    clock.advance(1_000);
    (await normal).release();
    expect(order).toEqual(['high', 'normal']);
    expect(Object.keys((await item(scope)).waiters)).toEqual([]);
  });

  it('gives a freed slot to a high-priority waiter before a normal one that waited longer', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    const limits = { concurrency: 1, slotBatch: 1, idleReleaseMs: 10 };
    const holder = governorFor(dynamo, scope, clock, limits, 'holder');
    const permit = await holder.acquire('normal', clock.now() + 5_000);
    const order: string[] = [];
    const normal = governorFor(dynamo, scope, clock, limits, 'normal-waiter')
      .acquire('normal', clock.now() + 5_000)
      .then((p) => (order.push('normal'), p));
    await expect.poll(() => clock.pending).toBe(1);
    clock.advance(50);
    const high = governorFor(dynamo, scope, clock, limits, 'high-waiter')
      .acquire('high', clock.now() + 5_000)
      .then((p) => (order.push('high'), p));
    await expect.poll(() => clock.pending).toBe(2);

    // The holder is done: its slot goes back to the item 10 ms later, before either waiter looks again.
    permit.release();
    clock.advance(10);
    await expect.poll(async () => Object.keys((await item(scope)).holders)).toEqual([]);
    // The normal waiter, there first, looks first (alone): the slot is not its.
    clock.advance(60);
    await expect.poll(() => order.length === 1 || clock.pending === 2).toBe(true);
    expect(order).toEqual([]);
    // Time goes on until someone has it: the high waiter.
    await expect.poll(() => (clock.advance(20), order.length), POLL_CLOCK).toBe(1);
    expect(order).toEqual(['high']);
    (await high).release();
    await expect.poll(() => (clock.advance(20), order.length), POLL_CLOCK).toBe(2);
    (await normal).release();
    expect(order).toEqual(['high', 'normal']);
  });

  it('takes a waiter that gave up out of the queue, so it does not hold up those behind it', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    const limits = { concurrency: 1, slotBatch: 1, idleReleaseMs: NEVER };
    const holder = governorFor(dynamo, scope, clock, limits, 'holder');
    const permit = await holder.acquire('normal', clock.now() + 5_000);
    const quitter = governorFor(dynamo, scope, clock, limits, 'quitter');
    await expect(quitter.acquire('high', clock.now() + 50)).rejects.toBeInstanceOf(CapacityRefusedError);
    await expect.poll(async () => Object.keys((await item(scope)).waiters)).toEqual([]);
    permit.release();
  });

  it('never lets two containers taking token batches exceed the shared rate together', async () => {
    const clock = new ManualClock();
    const scope = freshScope();
    const limits = { concurrency: 4, slotBatch: 2, tokenBatch: 5, idleReleaseMs: NEVER };
    const governors = [governorFor(dynamo, scope, clock, limits, 'one'), governorFor(dynamo, scope, clock, limits, 'two')];
    const granted = [0, 0];
    const stepMs = 50;
    const steps = 60; // 3 s at 10 tokens/s, burst 10: at most 40 requests in all
    for (let step = 0; step < steps; step++) {
      // Each container takes all it can have right now (a deadline of 1 ms: no waiting), as a busy one would.
      // The two take turns at going first.
      for (const index of step % 2 === 0 ? [0, 1] : [1, 0]) {
        const governor = governors[index]!;
        for (let attempt = 0; attempt < 20; attempt++) {
          const permit = await governor.acquire('normal', clock.now() + 1).catch(() => undefined);
          if (!permit) break;
          permit.release();
          granted[index]!++;
        }
      }
      clock.advance(stepMs);
    }
    const total = granted[0]! + granted[1]!;
    const budget = effectiveBudget(TEST_LIMITS, 1);
    expect(total).toBeLessThanOrEqual(budget.burst + (budget.ratePerSecond * steps * stepMs) / 1000);
    // And the budget is used, by both.
    expect(total).toBeGreaterThanOrEqual(30);
    expect(Math.min(...granted)).toBeGreaterThan(0);
    // Batched: fewer DynamoDB calls than requests.
    expect(governors[0]!.storeCalls + governors[1]!.storeCalls).toBeLessThan(total * 3);
  });
});

describe('the budget and the queue as data', () => {
  it('keeps at least one whole token for high-priority work, and never the whole bucket', () => {
    // 300/min × 0.95 = 4.75 tokens/s: 20 % of the burst is under one token, so the reserve is one.
    expect(effectiveBudget({ ...TEST_LIMITS, ratePerMinute: 300, safetyMargin: 0.95, highReserve: 0.2 }, 1).normalTokenFloor).toBe(1);
    expect(effectiveBudget({ ...TEST_LIMITS, highReserve: 0.2 }, 1).normalTokenFloor).toBeCloseTo(2, 5);
    // A bucket of one token stays shared (a reserve of all of it would lock normal work out).
    expect(effectiveBudget({ ...TEST_LIMITS, ratePerMinute: 60, highReserve: 0.2 }, 1).normalTokenFloor).toBe(0);
    expect(effectiveBudget({ ...TEST_LIMITS, highReserve: 0 }, 1).normalTokenFloor).toBe(0);
  });

  it('serves the queue in order: high before normal, then first come; a newcomer does not jump it', () => {
    const now = 10_000;
    const waiting: CapacityState = {
      ...initialState(now, TEST_LIMITS),
      waiters: { early: { priority: 'normal', since: now - 500, need: 1, until: now + 1_000 } },
    };
    const ask = (holder: string, priority: 'high' | 'normal') => sync(waiting, now, { holder, priority, tokens: 1, slots: 1, inUse: 0 }, TEST_LIMITS);
    // The bucket is full, yet a normal newcomer waits behind the normal waiter that was there first.
    const newcomer = ask('newcomer', 'normal');
    expect(newcomer).toMatchObject({ grantedTokens: 0, heldSlots: 0, queued: true, waitingFor: 'turn', changed: true });
    expect(newcomer.state.waiters.newcomer).toMatchObject({ priority: 'normal', since: now });
    // A high-priority caller goes ahead of it.
    expect(ask('interactive', 'high')).toMatchObject({ grantedTokens: 1, heldSlots: 1, queued: false });
    // The waiter at the head is served and leaves the queue.
    const head = ask('early', 'normal');
    expect(head).toMatchObject({ grantedTokens: 1, heldSlots: 1, queued: false });
    expect(head.state.waiters).toEqual({});
    // A waiter that lapsed (died, or never came back) no longer holds anyone up.
    expect(sync(waiting, now + 1_000, { holder: 'newcomer', priority: 'normal', tokens: 1, slots: 1, inUse: 0 }, TEST_LIMITS)).toMatchObject({ grantedTokens: 1 });
  });

  it('reads an item written before the queue had priorities (waiters as expiry times) as normal waiters', () => {
    const legacy = { ...initialState(0, TEST_LIMITS), waiters: { old: 5_000, gone: 50 } as unknown as CapacityState['waiters'] };
    expect(advance(legacy, 100, TEST_LIMITS).waiters).toEqual({ old: { priority: 'normal', since: 0, need: 1, until: 5_000 } });
  });
});
