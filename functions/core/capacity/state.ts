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
  /** Holders that found no free slot, until when they are taken to be waiting (so holders give slots back). */
  waiters: Record<string, number>;
  /** 429s reported by any container (for the stats). */
  throttles: number;
  /** When the factor was last cut, so one burst of 429s cuts it once. */
  lastDecreaseAt: number;
}

/** How long a waiter's mark lasts: long enough that a waiter rewrites it rarely, short enough to vanish with it. */
export function waiterTtlMs(limits: CapacityLimits): number {
  return Math.max(5_000, 40 * limits.pollMs);
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
  const waiters = Object.fromEntries(Object.entries(state.waiters).filter(([, until]) => until > now));
  return { ...state, factor, factorAt: Math.max(now, state.factorAt), tokens, refilledAt: Math.max(now, state.refilledAt), holders, waiters };
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

export interface SyncResult {
  state: CapacityState;
  grantedTokens: number;
  /** Slots the holder now holds (lease renewed to now + leaseMs), ≥ inUse. */
  heldSlots: number;
  leaseExpiresAt: number;
  /** Whether other holders wait for a slot (then idle slots are given back promptly). */
  othersWaiting: boolean;
  /** Holders waiting for a slot, this one included (a waiter looks again less often in a longer queue). */
  waiting: number;
  /** When a token can next be had (0 = now), when none was granted. */
  tokensAt: number;
  /** The shared pause (Retry-After) in force, 0 when none. */
  pausedUntil: number;
  /**
   * Whether the item must be written: tokens taken, the lease changed or is due for renewal, or the holder starts
   * waiting. A container that only looks again (nothing free, already known to wait) writes nothing.
   */
  changed: boolean;
}

/** One container's exchange with the shared budget: take tokens, set its lease, note that it waits. */
export function sync(previous: CapacityState, now: number, request: SyncRequest, limits: CapacityLimits): SyncResult {
  const state = advance(previous, now, limits);
  const budget = effectiveBudget(limits, state.factor);
  const high = request.priority === 'high';

  // Slots: what others hold counts against the cap of this priority; in-use slots are never revoked.
  const others = Object.entries(state.holders).reduce((sum, [holder, lease]) => (holder === request.holder ? sum : sum + lease.slots), 0);
  const cap = high ? budget.slots : budget.normalSlots;
  const heldSlots = Math.max(request.inUse, Math.min(request.slots, Math.max(0, cap - others)));
  const leaseExpiresAt = now + limits.leaseMs;
  const holders = { ...state.holders };
  if (heldSlots > 0) holders[request.holder] = { slots: heldSlots, expiresAt: leaseExpiresAt };
  else delete holders[request.holder];
  const waiters = { ...state.waiters };
  const waitingUntil = state.waiters[request.holder];
  const waitsNow = request.slots > heldSlots;
  // A waiter's mark is refreshed when half spent, not on every look.
  const waiterTtl = waiterTtlMs(limits);
  const waiterFresh = waitingUntil !== undefined && waitingUntil - now > waiterTtl / 2;
  if (waitsNow && !waiterFresh) waiters[request.holder] = now + waiterTtl;
  else if (!waitsNow) delete waiters[request.holder];
  const lease = state.holders[request.holder];
  const leaseChanged = (lease?.slots ?? 0) !== heldSlots || (heldSlots > 0 && lease !== undefined && lease.expiresAt - now < limits.leaseMs / 2);
  const waiterChanged = (waitsNow && !waiterFresh) || (!waitsNow && waitingUntil !== undefined);

  // Tokens: none while paused; normal work leaves the high reserve in the bucket; and none to a holder without a
  // free slot, whose tokens would lapse unused while it waits.
  let grantedTokens = 0;
  let tokensAt = 0;
  let tokens = state.tokens;
  if (request.tokens > 0 && heldSlots > request.inUse) {
    const floor = high ? 0 : budget.normalTokenFloor;
    if (now < state.pausedUntil) {
      tokensAt = state.pausedUntil;
    } else {
      const least = Math.max(1, Math.min(request.minTokens ?? 1, request.tokens, Math.floor(budget.burst - floor)));
      const available = Math.floor(tokens - floor);
      grantedTokens = available >= least ? Math.min(request.tokens, available) : 0;
      tokens -= grantedTokens;
      if (grantedTokens === 0) tokensAt = now + Math.ceil(((floor + least - tokens) / budget.ratePerSecond) * 1000);
    }
  }
  const othersWaiting = Object.keys(waiters).some((holder) => holder !== request.holder);
  return {
    state: { ...state, version: previous.version + 1, tokens, holders, waiters },
    grantedTokens,
    heldSlots,
    leaseExpiresAt,
    othersWaiting,
    waiting: Object.keys(waiters).length,
    tokensAt,
    pausedUntil: state.pausedUntil > now ? state.pausedUntil : 0,
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
