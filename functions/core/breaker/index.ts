// A circuit breaker per dependency key whose state lives in DynamoDB, shared by every Lambda that calls the
// dependency (architecture §9). closed → open after `threshold` counted failures within `windowMs` → half-open
// after `openMs`, where exactly one caller across all containers probes (conditional write on a lease) →
// closed on success, open again on failure.
//
// Cost: the healthy path writes nothing and reads at most once per `cacheMs` per container; a failure costs
// one write; transitions cost one conditional write each. If DynamoDB itself fails, the breaker fails open
// (the call goes ahead) and says so in the log: losing the breaker must not take BC access down with it.
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countsAsFailure, reachedDependency, type FailureClassification } from './classify.js';
import { BreakerOpenError } from './errors.js';
import { BreakerStore, type BreakerRecord, type BreakerState } from './store.js';

export { BreakerOpenError } from './errors.js';
export { countsAsFailure } from './classify.js';
export type { BreakerState } from './store.js';

export interface BreakerStateChange {
  key: string;
  from: BreakerState;
  to: BreakerState;
  at: string;
  reason: string;
  failures?: number;
  openUntil?: string;
}

export interface BreakerLogger {
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface CircuitBreakerOptions extends FailureClassification {
  key: string;
  tableName: string;
  db: DynamoDBDocumentClient;
  threshold?: number;
  windowMs?: number;
  openMs?: number;
  /** How long a read of the record is trusted (≤ 1 s by default). */
  cacheMs?: number;
  /** How long a probe may run before another caller may probe instead. */
  probeLeaseMs?: number;
  /** Decides which errors count; defaults to countsAsFailure with the options above. */
  isFailure?: (error: unknown) => boolean;
  /** Whether an error came from the dependency at all (a probe refused locally proves nothing); default reachedDependency. */
  isAnswer?: (error: unknown) => boolean;
  /**
   * Runs the half-open probe so that it ends by `leaseUntil` (e.g. with that as the BC deadline). A probe that
   * outlived its lease would run alongside the next caller's; default: the call as it is.
   */
  runProbe?: <T>(call: () => Promise<T>, leaseUntil: number) => Promise<T>;
  /** Called once per transition, by the caller whose conditional write made it (e.g. to publish an event). */
  onStateChange?: (change: BreakerStateChange) => Promise<void> | void;
  logger?: BreakerLogger;
  now?: () => number;
}

/**
 * How a call meets an open breaker: `refuse` (the default) fails fast with BreakerOpenError; `call` goes
 * ahead anyway — for calls that must be made even while BC is struggling (a saga's compensations, which undo
 * writes and are few and bounded). A `call` still counts its failures while closed and still takes the probe
 * when one is due, so its outcome moves the breaker like any other call's.
 */
export interface ExecuteOptions {
  whenOpen?: 'refuse' | 'call';
}

export const BREAKER_DEFAULTS = { threshold: 5, windowMs: 60_000, openMs: 60_000, cacheMs: 1_000, probeLeaseMs: 30_000 } as const;

export class CircuitBreaker {
  readonly key: string;
  private readonly store: BreakerStore;
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly openMs: number;
  private readonly cacheMs: number;
  private readonly probeLeaseMs: number;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly isAnswer: (error: unknown) => boolean;
  private readonly now: () => number;
  private readonly owner = randomUUID();
  private cached?: { record: BreakerRecord; readAt: number };
  /** The read in flight, shared so that concurrent callers on a cold cache cost one read, not one each. */
  private reading?: Promise<BreakerRecord | undefined>;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.key = options.key;
    this.store = new BreakerStore(options.db, options.tableName);
    this.threshold = options.threshold ?? BREAKER_DEFAULTS.threshold;
    this.windowMs = options.windowMs ?? BREAKER_DEFAULTS.windowMs;
    this.openMs = options.openMs ?? BREAKER_DEFAULTS.openMs;
    this.cacheMs = options.cacheMs ?? BREAKER_DEFAULTS.cacheMs;
    this.probeLeaseMs = options.probeLeaseMs ?? BREAKER_DEFAULTS.probeLeaseMs;
    this.isFailure = options.isFailure ?? ((error) => countsAsFailure(error, options));
    this.isAnswer = options.isAnswer ?? ((error) => this.isFailure(error) || reachedDependency(error, options));
    this.now = options.now ?? Date.now;
  }

  /** Runs `call` through the breaker: rejects fast with BreakerOpenError while the dependency is unavailable. */
  async execute<T>(call: () => Promise<T>, options: ExecuteOptions = {}): Promise<T> {
    const record = await this.view();
    if (record === undefined) return call(); // DynamoDB unavailable: fail open.
    const now = this.now();
    const refuse = options.whenOpen !== 'call';
    switch (record.state) {
      case 'closed':
        return this.runClosed(call);
      case 'open':
        if ((record.openUntil ?? 0) > now) {
          if (refuse) throw new BreakerOpenError(this.key, (record.openUntil ?? now) - now);
          return call(); // not a probe: the breaker stays open until a probe says otherwise
        }
        return this.probe(call, 'open', refuse);
      case 'half-open':
        if ((record.probeLeaseUntil ?? 0) > now) {
          if (refuse) throw new BreakerOpenError(this.key, (record.probeLeaseUntil ?? now) - now);
          return call();
        }
        return this.probe(call, 'half-open', refuse);
    }
  }

  /** The state as this container currently sees it (through the cache). */
  async state(): Promise<BreakerState> {
    return (await this.view())?.state ?? 'closed';
  }

  private async runClosed<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (this.isFailure(error)) await this.recordFailure();
      throw error;
    }
  }

  private async recordFailure(): Promise<void> {
    const at = this.now();
    try {
      const record = await this.store.appendFailure(this.key, at);
      if (!record) {
        this.forget(); // someone opened it meanwhile: re-read next time
        return;
      }
      const recent = record.failures.filter((t) => t > at - this.windowMs);
      if (recent.length >= this.threshold) {
        const opened = await this.store.open(this.key, at, at + this.openMs);
        if (opened) {
          this.remember(opened);
          await this.report('closed', 'open', `${recent.length} failures within ${this.windowMs / 1000} s`, opened, recent.length);
        } else {
          this.forget();
        }
        return;
      }
      this.remember(record);
      if (record.failures.length > this.threshold * 4) await this.store.trimFailures(this.key, record.version, recent);
    } catch (error) {
      this.options.logger?.warn('circuit breaker could not record a failure; failing open', { key: this.key, error: String(error) });
    }
  }

  private async probe<T>(call: () => Promise<T>, from: BreakerState, refuse = true): Promise<T> {
    const at = this.now();
    const leaseUntil = at + this.probeLeaseMs;
    let lease: BreakerRecord | undefined;
    try {
      lease = await this.store.acquireProbe(this.key, this.owner, at, leaseUntil);
    } catch (error) {
      this.options.logger?.warn('circuit breaker could not take the probe lease; failing open', { key: this.key, error: String(error) });
      return call();
    }
    if (!lease) {
      this.forget();
      if (!refuse) return call();
      throw new BreakerOpenError(this.key, this.probeLeaseMs);
    }
    this.remember(lease);
    if (from === 'open') await this.report('open', 'half-open', 'open timeout elapsed; probing', lease);

    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await (this.options.runProbe ? this.options.runProbe(call, leaseUntil) : call()) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // An answer that is not a dependency failure (a 4xx, say) still shows the dependency is answering; a call
    // that never reached it shows nothing, so the lease is handed back for the next caller to probe.
    const healthy = outcome.ok || !this.isFailure(outcome.error);
    const conclusive = outcome.ok || this.isAnswer(outcome.error);
    try {
      const done = this.now();
      if (!conclusive) {
        const released = await this.store.releaseProbe(this.key, this.owner, done);
        if (released) this.remember(released);
        else this.forget();
      } else if (healthy) {
        const closed = await this.store.close(this.key, this.owner, done);
        if (closed) {
          this.remember(closed);
          await this.report('half-open', 'closed', 'probe succeeded', closed);
        }
      } else {
        const reopened = await this.store.reopen(this.key, this.owner, done, done + this.openMs);
        if (reopened) {
          this.remember(reopened);
          await this.report('half-open', 'open', 'probe failed', reopened);
        }
      }
    } catch (error) {
      this.options.logger?.warn('circuit breaker could not record the probe outcome', { key: this.key, error: String(error) });
      this.forget();
    }
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  private async view(): Promise<BreakerRecord | undefined> {
    if (this.cached && this.fresh()) return this.cached.record;
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<BreakerRecord | undefined> {
    try {
      const record = await this.store.read(this.key);
      // A transition this container wrote while the read was on its way is newer than what the read saw.
      const cached = this.cached?.record;
      if (cached && cached.version > record.version && this.fresh()) return cached;
      this.remember(record);
      return record;
    } catch (error) {
      this.options.logger?.warn('circuit breaker state unreadable; failing open', { key: this.key, error: String(error) });
      return undefined;
    }
  }

  /** Whether the cached record is recent enough to trust. */
  private fresh(): boolean {
    if (!this.cached) return false;
    // A clock that stepped back (now before readAt) must not make the cached record look fresh for that long.
    const age = this.now() - this.cached.readAt;
    return age >= 0 && age < this.cacheMs;
  }

  private remember(record: BreakerRecord): void {
    this.cached = { record, readAt: this.now() };
  }

  private forget(): void {
    this.cached = undefined;
  }

  private async report(from: BreakerState, to: BreakerState, reason: string, record: BreakerRecord, failures?: number): Promise<void> {
    if (!this.options.onStateChange) return;
    try {
      await this.options.onStateChange({
        key: this.key,
        from,
        to,
        at: new Date(this.now()).toISOString(),
        reason,
        ...(failures !== undefined ? { failures } : {}),
        ...(record.openUntil !== undefined && to === 'open' ? { openUntil: new Date(record.openUntil).toISOString() } : {}),
      });
    } catch (error) {
      this.options.logger?.warn('circuit breaker transition could not be reported', { key: this.key, to, error: String(error) });
    }
  }
}
export { BC_CALLS, bcBreakerKey, guardWithBreaker, runBcProbe } from './guard.js';
