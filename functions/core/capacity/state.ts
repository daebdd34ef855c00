// The shared budget of one BC environment and identity, as one DynamoDB item, and the pure transitions on it:
// refill the token bucket, grow the AIMD factor back, take a batch of tokens, lease / renew / return slots,
// and shrink everything on a 429 with the Retry-After pause stored for every container to honour. The store
// writes the result with a version condition, so concurrent containers never double-spend.
import { effectiveBudget, type CapacityLimits } from './limits.js';

export type Priority = 'high' | 'normal';

export interface SlotLease {
  /** Slots this holder may use until `expiresAt`. */
  slots: number;
  expiresAt: number;
}

/** A holder waiting for capacity: its place in the shared queue. */
export interface Waiter {
  priority: Priority;
  /** When it joined the queue (first come, first served within a priority). */
  since: number;
  /** Tokens it waits for (its batch), so those behind it know when their turn comes. */
  need: number;
  /** It counts as waiting until then (a waiter that died or gave up stops blocking the queue after this). */
  until: number;
}

export interface CapacityState {
  /** Optimistic-lock counter: every write expects the version it read. */
  version: number;
  /** Tokens in the bucket as of `refilledAt`. */
  tokens: number;
  refilledAt: number;
  /** AIMD multiplier of the configured limits, in [minFactor, 1]. */
  factor: number;
  /** When `factor` was last brought up to date. */
  factorAt: number;
  /** Nobody sends before this (BC's Retry-After, shared). */
  pausedUntil: number;
  /** Slot leases by holder (one holder per container). */
  holders: Record<string, SlotLease>;
  /**
   * The queue: holders that found no capacity. Served in order (high priority first, then first come), so a
   * freed slot or refilled token goes to the head, never to a newcomer or to normal work while high work waits.
   */
  waiters: Record<string, Waiter>;
  /** 429s reported by any container (for the stats). */
  throttles: number;
  /** When the factor was last cut, so one burst of 429s cuts it once. */
  lastDecreaseAt: number;
}

/** How long past the time it was told to look again a waiter keeps its place: a live one is back well before. */
export function waiterGraceMs(limits: CapacityLimits): number {
  return 3 * limits.pollMs;
}

export function initialState(now: number, limits: CapacityLimits): CapacityState {
  return {
    version: 0,
    tokens: effectiveBudget(limits, 1).burst,
    refilledAt: now,
    factor: 1,
    factorAt: now,
    pausedUntil: 0,
    holders: {},
    waiters: {},
    throttles: 0,
    lastDecreaseAt: 0,
  };
}

/** Brings the factor (additive increase, not while paused) and the bucket (refill, not while paused) to `now`. */
export function advance(state: CapacityState, now: number, limits: CapacityLimits): CapacityState {
  const growFrom = Math.max(state.factorAt, state.pausedUntil);
  const factor = now > growFrom ? Math.min(1, state.factor + (limits.increasePerSecond * (now - growFrom)) / 1000) : state.factor;
  const budget = effectiveBudget(limits, factor);
  const refillFrom = Math.max(state.refilledAt, state.pausedUntil);
  const tokens = now > refillFrom ? Math.min(budget.burst, state.tokens + (budget.ratePerSecond * (now - refillFrom)) / 1000) : Math.min(budget.burst, state.tokens);
  const holders = Object.fromEntries(Object.entries(state.holders).filter(([, lease]) => lease.expiresAt > now));
  const waiters = Object.fromEntries(
    Object.entries(state.waiters ?? {})
      // An item written before the queue had priorities held only an expiry per waiter.
      .map(([holder, waiter]): [string, Waiter] => [holder, typeof waiter === 'number' ? { priority: 'normal', since: 0, need: 1, until: waiter } : waiter])
      .filter(([, waiter]) => waiter.until > now),
  );
  return { ...state, factor, factorAt: Math.max(now, state.factorAt), tokens, refilledAt: Math.max(now, state.refilledAt), holders, waiters };
}

/** Queue order: high priority first, then first come, then by name (every container sorts the same way). */
function before(a: [string, Waiter], b: [string, Waiter]): number {
  if (a[1].priority !== b[1].priority) return a[1].priority === 'high' ? -1 : 1;
  if (a[1].since !== b[1].since) return a[1].since - b[1].since;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export interface SyncRequest {
  holder: string;
  priority: Priority;
  /** Tokens wanted now (0 = none). */
  tokens: number;
  /**
   * Fewest tokens worth an exchange (default 1). When the rate binds, containers wait for a whole batch each
   * instead of all racing for every single token as it drips in (a hot-key storm of lost writes).
   */
  minTokens?: number;
  /** Slots the holder wants to hold in all after this sync (its in-use slots are never taken away). */
  slots: number;
  /** Slots in use right now (the floor of what the holder keeps). */
  inUse: number;
}

/** Why a holder waits: its turn in the queue, a free slot, tokens in the bucket, or BC's Retry-After. */
export type WaitReason = 'turn' | 'slot' | 'tokens' | 'pause';

export interface SyncResult {
  state: CapacityState;
  grantedTokens: number;
  /** Slots the holder now holds (lease renewed to now + leaseMs), ≥ inUse. */
  heldSlots: number;
  leaseExpiresAt: number;
  /** Whether other holders wait (then idle slots are given back promptly). */
  othersWaiting: boolean;
  /** Whether a high-priority holder waits (then a normal container gives a freed slot back at once). */
  highWaiting: boolean;
  /** The holder waits: it is in the queue and should look again at `retryAt`. */
  queued: boolean;
  /** When the holder's turn is expected (0 when it does not wait). */
  retryAt: number;
  /** What it waits for, when it does. */
  waitingFor?: WaitReason;
  /** The shared pause (Retry-After) in force, 0 when none. */
  pausedUntil: number;
  /**
   * Whether the item must be written: tokens taken, the lease changed or is due for renewal, or the holder joins
   * or leaves the queue. A container that only looks again before its turn writes nothing.
   */
  changed: boolean;
}

/**
 * One container's exchange with the shared budget: take tokens, set its lease, join or leave the queue.
 * Capacity goes to the head of the queue: a holder with waiters ahead of it (higher priority, or the same
 * priority and there first) gets no new slot or token, so what is freed waits for the holder whose turn it is.
 */
export function sync(previous: CapacityState, now: number, request: SyncRequest, limits: CapacityLimits): SyncResult {
  const state = advance(previous, now, limits);
  const budget = effectiveBudget(limits, state.factor);
  const high = request.priority === 'high';
  const mine = state.waiters[request.holder];
  // A newcomer joins behind everyone of its priority (and, being normal, behind all high waiters).
  const me: [string, Waiter] = [request.holder, { priority: request.priority, since: mine?.since ?? now, need: 1, until: 0 }];
  const ahead = Object.entries(state.waiters)
    .filter(([holder]) => holder !== request.holder)
    .filter((entry) => before(entry, me) < 0);
  const blocked = ahead.length > 0;

  // Slots: what others hold counts against the cap of this priority; in-use slots are never revoked; a holder
  // behind others in the queue keeps what it has but gets no more.
  const lease = state.holders[request.holder];
  const others = Object.entries(state.holders).reduce((sum, [holder, held]) => (holder === request.holder ? sum : sum + held.slots), 0);
  const cap = high ? budget.slots : budget.normalSlots;
  const grantable = blocked ? Math.min(lease?.slots ?? 0, Math.max(0, cap - others)) : Math.max(0, cap - others);
  let heldSlots = Math.max(request.inUse, Math.min(request.slots, grantable));
  const waitsForSlot = request.slots > request.inUse && heldSlots <= request.inUse;

  // Tokens: none while paused or before the holder's turn; normal work leaves the high reserve in the bucket; none
  // to a holder without a free slot, whose tokens would lapse unused while it waits.
  const floor = high ? 0 : budget.normalTokenFloor;
  const least = Math.max(1, Math.min(request.minTokens ?? 1, request.tokens, Math.floor(budget.burst - floor)));
  let grantedTokens = 0;
  let tokens = state.tokens;
  let retryAt = 0;
  const paused = now < state.pausedUntil;
  const hasFreeSlot = heldSlots > request.inUse;
  // Waiting for tokens puts the holder in the queue; a holder at its own slot cap (all its slots busy) waits
  // for its own callers, not for the others.
  let waitsForTokens = false;
  if (request.tokens > 0) {
    const available = Math.floor(tokens - floor);
    if (paused) {
      retryAt = state.pausedUntil;
      waitsForTokens = true;
    } else if (!blocked && hasFreeSlot && available >= least) {
      grantedTokens = Math.min(request.tokens, available);
      tokens -= grantedTokens;
    } else if (blocked || hasFreeSlot) {
      // Its turn for tokens: when the bucket holds the reserve, what those ahead wait for, and its batch.
      const aheadNeed = ahead.reduce((sum, [, waiter]) => sum + waiter.need, 0);
      const deficit = floor + aheadNeed + least - tokens;
      retryAt = deficit > 0 ? now + Math.ceil((deficit / budget.ratePerSecond) * 1000) : 0;
      waitsForTokens = true;
    }
    // A slot is no use without a token: while the holder waits for tokens, idle slots go back for others.
    if (grantedTokens === 0) heldSlots = request.inUse;
  }
  if (waitsForSlot && !paused) {
    // The head looks every poll interval (a slot is freed by a release it cannot see); the rest by their place.
    retryAt = Math.max(retryAt, now + limits.pollMs * (1 + ahead.length));
  }
  const queued = waitsForTokens || waitsForSlot;
  if (queued && retryAt <= now) retryAt = now + limits.pollMs;

  const leaseExpiresAt = now + limits.leaseMs;
  const holders = { ...state.holders };
  if (heldSlots > 0) holders[request.holder] = { slots: heldSlots, expiresAt: leaseExpiresAt };
  else delete holders[request.holder];
  const leaseChanged = (lease?.slots ?? 0) !== heldSlots || (heldSlots > 0 && lease !== undefined && lease.expiresAt - now < limits.leaseMs / 2);

  const waiters = { ...state.waiters };
  let waiterChanged = false;
  if (queued) {
    const until = retryAt + waiterGraceMs(limits);
    // The place is rewritten only when it would lapse before the next look, or what it waits for changed.
    if (!mine || mine.until < retryAt + limits.pollMs || mine.priority !== request.priority || mine.need !== least) {
      waiters[request.holder] = { priority: request.priority, since: me[1].since, need: least, until: Math.max(until, mine?.until ?? 0) };
      waiterChanged = true;
    }
  } else if (mine) {
    delete waiters[request.holder];
    waiterChanged = true;
  }
  const othersWaiting = Object.keys(waiters).some((holder) => holder !== request.holder);
  const highWaiting = Object.entries(waiters).some(([holder, waiter]) => holder !== request.holder && waiter.priority === 'high');
  return {
    state: { ...state, version: previous.version + 1, tokens, holders, waiters },
    grantedTokens,
    heldSlots,
    leaseExpiresAt,
    othersWaiting,
    highWaiting,
    queued,
    retryAt: queued ? retryAt : 0,
    ...(queued ? { waitingFor: paused ? 'pause' : blocked ? 'turn' : waitsForSlot ? 'slot' : 'tokens' } : {}),
    pausedUntil: paused ? state.pausedUntil : 0,
    changed: grantedTokens > 0 || leaseChanged || waiterChanged,
  };
}

/**
 * BC answered 429: pause everyone until Retry-After (or the default pause), empty the bucket, and cut the factor
 * (at most once per pause, so a burst of 429s from many containers is one decrease).
 */
export function throttle(previous: CapacityState, now: number, retryAfterMs: number | undefined, limits: CapacityLimits): CapacityState {
  const state = advance(previous, now, limits);
  const pausedUntil = Math.max(state.pausedUntil, now + (retryAfterMs ?? limits.defaultPauseMs));
  // A 429 that arrives while a pause is in force answers a request sent before it: the cut was made already.
  const cut = now >= state.pausedUntil;
  const factor = cut ? Math.max(limits.minFactor, state.factor * limits.decreaseFactor) : state.factor;
  return {
    ...state,
    version: previous.version + 1,
    tokens: 0,
    pausedUntil,
    factor,
    factorAt: now,
    lastDecreaseAt: cut ? now : state.lastDecreaseAt,
    throttles: state.throttles + 1,
  };
}
