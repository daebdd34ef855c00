// The container's side of the BC capacity governor. Every BC request takes one token of the shared rate budget
// and one concurrency slot before it is sent; the container takes tokens from DynamoDB in batches (spent
// locally, lapsing after tokenTtlMs) and leases a few slots (renewed while busy, given back when idle or when
// another container waits), so most requests cost no DynamoDB call. A caller that cannot get capacity before
// its deadline gets CapacityRefusedError (which the BC transport reports as a retryable NoCapacityError, requeued
// by the task runtime with its delay) instead of
// a 429 from BC. High-priority callers go first, in the container and across containers (the item's queue, high
// ahead of normal), and may use the reserve.
import { randomUUID } from 'node:crypto';
import type { CapacityLimits } from './limits.js';
import { currentBcPriority } from './priority.js';
import { initialState, sync, throttle, type Priority, type SyncResult, type WaitReason } from './state.js';
import { CapacityContention, type CapacityStore } from './store.js';

/**
 * No token or slot could be had before the caller's deadline: BC was never called; try again after retryAfterMs.
 * (The BC client's transport turns it into its NoCapacityError, so the governor depends on nothing of the client.)
 */
export class CapacityRefusedError extends Error {
  override name = 'CapacityRefusedError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

const WAIT_REASONS: Record<WaitReason, string> = {
  slot: 'no BC concurrency slot was free',
  tokens: 'the BC request rate is spent',
  turn: 'callers of higher priority or earlier in the queue were ahead',
  pause: 'BC asked every caller to wait (Retry-After)',
};

export interface CapacityPermit {
  /** Gives the slot back; call exactly once when the request has ended (idempotent). */
  release(): void;
}

export interface GovernorStats {
  /** Permits handed out. */
  acquired: number;
  /** Permits that had to wait, and for how long in all (ms). */
  waited: number;
  waitedMs: number;
  /** Callers refused with CapacityRefusedError. */
  noCapacity: number;
  /** 429s this container reported. */
  throttles: number;
  /** Exchanges with the shared item, and how many failed (the governor then lets the request through). */
  syncs: number;
  storeErrors: number;
}

export interface GovernorOptions {
  store: CapacityStore;
  limits: CapacityLimits;
  /** Names this container's lease; default a random id. */
  holder?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told when the shared store fails (the request then goes ahead ungoverned). */
  onStoreError?: (error: unknown) => void;
}

interface TokenBatch {
  count: number;
  expiresAt: number;
}

export class CapacityGovernor {
  readonly holder: string;
  readonly stats: GovernorStats = { acquired: 0, waited: 0, waitedMs: 0, noCapacity: 0, throttles: 0, syncs: 0, storeErrors: 0 };
  private readonly store: CapacityStore;
  private readonly limits: CapacityLimits;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly onStoreError?: (error: unknown) => void;

  private batches: TokenBatch[] = [];
  private held = 0;
  private inUse = 0;
  private leaseExpiresAt = 0;
  private pausedUntil = 0;
  private othersWaiting = false;
  /** A high-priority holder elsewhere waits: a normal container gives a freed slot back at once. */
  private highWaiting = false;
  /** This container has a place in the shared queue (it leaves it when its last caller gives up). */
  private queued = false;
  /** What the last exchange found missing (for the error when the deadline comes first). */
  private waitingFor: WaitReason | undefined;
  private tokensAt = 0;
  private slotRetryAt = 0;
  private lastExchange: Priority = 'normal';
  /** When this container's recent requests took their tokens: the next batch is sized by the recent pace. */
  private recentTakes: number[] = [];
  /** Requests sent since this container last gained a slot: when others wait, a turn is tokenBatch requests. */
  private turnUses = 0;
  private idleTimer = false;
  /** Until when this container takes the rate to be binding (it then asks for whole batches). */
  private starvedUntil = 0;
  private readonly waiting: Record<Priority, number> = { high: 0, normal: 0 };
  private syncing?: Promise<void>;
  private wakeUp?: () => void;
  private woken?: Promise<void>;

  constructor(options: GovernorOptions) {
    this.store = options.store;
    this.limits = options.limits;
    this.holder = options.holder ?? randomUUID();
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.onStoreError = options.onStoreError;
  }

  /** DynamoDB calls made so far by this container's governor. */
  get storeCalls(): number {
    return this.store.counters.reads + this.store.counters.writes;
  }

  /** DynamoDB calls made so far, by kind. */
  get storeCounters(): { reads: number; writes: number; conflicts: number } {
    return { ...this.store.counters };
  }

  /** Slots this container holds now (leased from the shared budget). */
  get heldSlots(): number {
    return this.held;
  }

  /**
   * Waits for one token and one slot, within the caller's deadline (the invocation's BC deadline, else
   * maxWaitMs). Throws CapacityRefusedError when they cannot be had in time.
   */
  async acquire(priority: Priority = currentBcPriority(), deadline?: number): Promise<CapacityPermit> {
    const started = this.now();
    const until = deadline ?? started + this.limits.maxWaitMs;
    this.waiting[priority]++;
    let waited = false;
    let served = false;
    try {
      for (;;) {
        const now = this.now();
        this.batches = this.batches.filter((batch) => batch.expiresAt > now && batch.count > 0);
        if (this.pausedUntil > now) {
          waited = true;
          await this.waitFor(this.pausedUntil, until, 'BC asked every caller to wait (Retry-After)');
          continue;
        }
        // In this container, high-priority callers go first.
        const mayTake = priority === 'high' || this.waiting.high === 0;
        const haveToken = this.batches.length > 0;
        const haveSlot = this.held > this.inUse && this.leaseExpiresAt - now > this.limits.leaseMs / 2;
        // Not while an exchange is in flight: it may hand back the very slot a local take would use.
        if (mayTake && haveToken && haveSlot && !this.syncing) {
          this.batches[0]!.count--;
          this.inUse++;
          this.recentTakes.push(now);
          this.turnUses++;
          this.stats.acquired++;
          if (waited) {
            this.stats.waited++;
            this.stats.waitedMs += now - started;
          }
          served = true;
          return this.permit();
        }
        if (this.syncing) {
          await this.syncing;
          continue;
        }
        // What the last exchange said about waiting holds for its priority: high work may use the reserve.
        const stale = priority === 'high' && this.lastExchange === 'normal';
        const nextAt = stale ? 0 : Math.max(haveToken ? 0 : this.tokensAt, haveSlot ? 0 : this.slotRetryAt);
        if (nextAt > now || !mayTake) {
          waited = true;
          await this.waitFor(mayTake ? nextAt : now + this.limits.pollMs, until, WAIT_REASONS[this.waitingFor ?? (haveSlot ? 'tokens' : 'slot')]);
          continue;
        }
        await this.runSync(() => this.exchange(!haveToken, !haveSlot));
      }
    } finally {
      this.waiting[priority]--;
      if (!served && this.waiting.high + this.waiting.normal === 0 && this.queued) {
        // The last caller gave up: its place in the queue would hold up everyone behind it until it lapsed.
        void this.runSync(async () => {
          if (this.queued && this.waiting.high + this.waiting.normal === 0) await this.exchange(false, false);
        }).catch(() => undefined);
      }
      // A caller that gave up may leave slots this container leased for it.
      this.scheduleIdleGiveBack();
    }
  }

  /** BC answered 429: everyone pauses for `retryAfterMs` and the shared budget shrinks (AIMD). */
  async throttled(retryAfterMs: number | undefined): Promise<void> {
    const now = this.now();
    this.stats.throttles++;
    this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? this.limits.defaultPauseMs));
    this.batches = [];
    try {
      await this.store.update(
        () => initialState(now, this.limits),
        (state) => {
          const next = throttle(state, now, retryAfterMs, this.limits);
          return { state: next, result: next };
        },
      );
    } catch (error) {
      this.stats.storeErrors++;
      this.onStoreError?.(error);
    }
  }

  private permit(): CapacityPermit {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inUse--;
        this.wake();
        const yieldToHigh = this.highWaiting && this.waiting.high === 0;
        if (this.othersWaiting && this.held > this.inUse && (this.turnUses >= this.limits.tokenBatch || yieldToHigh)) {
          // Another container waits and this one has had its turn (or it is high-priority work and this is not):
          // the freed slot goes back now, even if this container has more to do (its callers queue like everyone
          // else's), so slots rotate and the head of the queue gets it.
          this.turnUses = 0;
          void this.runSync(() => this.exchange(false, false)).catch(() => undefined);
        } else {
          this.scheduleIdleGiveBack();
        }
      },
    };
  }

  /** Idle slots are kept for idleReleaseMs (the next call usually follows at once), then given back if still idle. */
  private scheduleIdleGiveBack(): void {
    if (this.idleTimer || this.inUse > 0 || this.waiting.high + this.waiting.normal > 0 || this.held === 0) return;
    if (this.leaseExpiresAt <= this.now()) {
      // The lease has run out: nothing is held any more.
      this.held = 0;
      return;
    }
    this.idleTimer = true;
    void this.sleep(this.limits.idleReleaseMs)
      .then(() =>
        // Checked again once any exchange in flight has ended: skipping would keep the slots until their lease
        // ran out, with other containers waiting for them.
        this.runSync(async () => {
          if (this.inUse === 0 && this.waiting.high + this.waiting.normal === 0 && this.held > 0) await this.exchange(false, false);
        }),
      )
      .catch(() => undefined)
      .finally(() => {
        this.idleTimer = false;
        // A give-back that failed, or slots an exchange granted after every caller had left: try again.
        this.scheduleIdleGiveBack();
      });
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    this.woken = undefined;
    wake?.();
  }

  /** Waits until `at` (or a local release, whichever is first); refuses when `at` is past the deadline. */
  private async waitFor(at: number, until: number, why: string): Promise<void> {
    const now = this.now();
    if (at >= until || now >= until) {
      this.stats.noCapacity++;
      throw new CapacityRefusedError(`No BC capacity before the deadline: ${why}`, Math.max(this.limits.pollMs, at - now));
    }
    this.woken ??= new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    await Promise.race([this.sleep(Math.max(1, at - now)), this.woken]);
  }

  private async runSync(work: () => Promise<void>): Promise<void> {
    while (this.syncing) await this.syncing;
    const running = work().finally(() => {
      this.syncing = undefined;
      this.wake();
      // Slots granted for callers that have since left must not stay with an idle container.
      this.scheduleIdleGiveBack();
    });
    this.syncing = running;
    return running;
  }

  /** One exchange with the shared item: tokens if `wantToken`, the slots the local demand needs. */
  private async exchange(wantToken: boolean, wantSlot: boolean): Promise<void> {
    const now = this.now();
    const demand = this.waiting.high + this.waiting.normal;
    const priority: Priority = this.waiting.high > 0 ? 'high' : 'normal';
    const slots = Math.min(Math.max(this.limits.slotBatch, this.inUse), this.inUse + (this.othersWaiting && !wantSlot ? 0 : demand));
    // A batch covers what this container is likely to spend before the tokens lapse (its recent pace, or the
    // callers waiting now), so a busy container writes once per batch and an idle one wastes little.
    const since = this.now() - this.limits.tokenTtlMs;
    this.recentTakes = this.recentTakes.filter((at) => at > since).slice(-this.limits.tokenBatch);
    // While the rate binds (the bucket was found empty lately), each container waits for a whole batch.
    // High-priority work takes what there is at once.
    const starved = this.starvedUntil > now && priority === 'normal';
    const tokens = wantToken ? (starved ? this.limits.tokenBatch : Math.min(this.limits.tokenBatch, Math.max(1, demand, this.recentTakes.length))) : 0;
    const inUse = this.inUse;
    this.lastExchange = priority;
    this.stats.syncs++;
    let result: SyncResult;
    try {
      result = await this.store.update(
        () => initialState(now, this.limits),
        (state) => {
          const outcome = sync(state, now, { holder: this.holder, priority, tokens, minTokens: starved ? tokens : 1, slots, inUse }, this.limits);
          return { state: outcome.state, result: outcome, write: outcome.changed };
        },
        // Giving slots back must not be lost to a busy item (they would idle until their lease ran out).
        wantToken || wantSlot ? 8 : 40,
      );
    } catch (error) {
      if (error instanceof CapacityContention) {
        // Others were busy with the item: nothing was taken or given; look again after a poll interval.
        this.tokensAt = wantToken ? now + this.limits.pollMs : this.tokensAt;
        this.slotRetryAt = now + Math.round(this.limits.pollMs * (0.5 + this.random()));
        return;
      }
      // The governor must never make BC unreachable: without its store, the request goes ahead as it would
      // without a governor (BC's own 429s and the transport's backoff still apply).
      this.stats.storeErrors++;
      this.onStoreError?.(error);
      if (wantToken) this.batches.push({ count: 1, expiresAt: now + this.limits.tokenTtlMs });
      if (wantSlot) {
        this.held = Math.max(this.held, this.inUse + 1);
        this.leaseExpiresAt = now + this.limits.leaseMs;
      }
      return;
    }
    if (result.grantedTokens > 0) this.batches.push({ count: result.grantedTokens, expiresAt: now + this.limits.tokenTtlMs });
    // Slots released while the exchange was in flight are still held: the item says heldSlots.
    if (result.heldSlots > this.held) this.turnUses = 0;
    this.held = result.heldSlots;
    this.leaseExpiresAt = result.heldSlots > 0 ? result.leaseExpiresAt : 0;
    this.othersWaiting = result.othersWaiting;
    this.highWaiting = result.highWaiting;
    this.queued = result.queued;
    // A waiter looks again when the item says its turn comes (a little spread, so waiters whose turns fall
    // together do not all write at the same moment), not sooner: looks cost DynamoDB calls.
    const turnAt = result.queued ? result.retryAt + Math.round((this.random() * this.limits.pollMs) / 4) : 0;
    if (wantToken) this.tokensAt = result.grantedTokens > 0 ? 0 : turnAt;
    if (result.waitingFor === 'tokens' || result.waitingFor === 'turn') this.starvedUntil = now + 5_000;
    this.pausedUntil = Math.max(this.pausedUntil, result.pausedUntil);
    // A container that holds all the slots it may lease waits for its own callers to release one (which wakes it).
    this.slotRetryAt = this.held > this.inUse ? 0 : turnAt || now + this.limits.pollMs;
    this.waitingFor = result.waitingFor;
  }
}
