// BC online's documented OData concurrency limit, beside its rate limit: per environment at most 5 requests are
// processed at once, up to 95 more wait in a queue (first come, first served), and a request that finds the
// queue full is answered 429 with Retry-After. A slot is held until the answer is sent (or the connection
// closes), so injected latency occupies it like BC's own processing time does.
import { BcError } from './errors.js';

export interface ConcurrencyConfig {
  /** Requests processed at once per environment (BC online: 5). */
  maxActive: number;
  /** Requests waiting for a slot per environment (BC online: 95, so 100 connections in all). */
  maxQueued: number;
}

export const defaultConcurrency: ConcurrencyConfig = { maxActive: 5, maxQueued: 95 };

/** Counters of the gate, per environment and in total; part of GET /_admin/stats. */
export interface ConcurrencyStats {
  maxActive: number;
  maxQueued: number;
  /** Requests being processed now / waiting now, summed over environments. */
  active: number;
  queued: number;
  /** Highest `active` / `queued` one environment reached since the last reset. */
  peakActive: number;
  peakQueued: number;
  /** Requests that had to wait for a slot. */
  waited: number;
  /** Requests answered 429 because the queue was full. */
  rejected: number;
}

/** The 429 BC sends when an environment's request queue is full. */
export function tooManyConcurrentRequests(retryAfterSeconds: number): BcError {
  return new BcError(
    429,
    'Application_TooManyRequests',
    'The maximum number of concurrent requests for this environment has been exceeded. Retry after the period given in the Retry-After header',
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function validateConcurrency(config: ConcurrencyConfig): ConcurrencyConfig {
  if (!Number.isInteger(config.maxActive) || config.maxActive < 1) throw new Error(`concurrency.maxActive must be an integer ≥ 1, got ${config.maxActive}`);
  if (!Number.isInteger(config.maxQueued) || config.maxQueued < 0) throw new Error(`concurrency.maxQueued must be an integer ≥ 0, got ${config.maxQueued}`);
  return config;
}

interface Lane {
  active: number;
  queue: Array<() => void>;
}

export class ConcurrencyGate {
  private readonly lanes = new Map<string, Lane>();
  private counters = { peakActive: 0, peakQueued: 0, waited: 0, rejected: 0 };

  constructor(private readonly config: ConcurrencyConfig) {
    validateConcurrency(config);
  }

  private lane(environment: string): Lane {
    let lane = this.lanes.get(environment);
    if (!lane) {
      lane = { active: 0, queue: [] };
      this.lanes.set(environment, lane);
    }
    return lane;
  }

  /**
   * Admits a request of `environment`: resolves with its release once a slot is free, or throws BC's 429 when
   * the queue is full. A waiter whose `signal` aborts (the client went away) leaves the queue and rejects.
   * `release` is idempotent, so it can be tied to both 'finish' and 'close'.
   */
  async enter(environment: string, signal?: AbortSignal): Promise<() => void> {
    const lane = this.lane(environment);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = lane.queue.shift();
      // The slot passes straight to the longest waiter, so `active` never dips and lets a newcomer jump the queue.
      if (next) next();
      else lane.active--;
    };
    if (lane.active < this.config.maxActive) {
      lane.active++;
      this.counters.peakActive = Math.max(this.counters.peakActive, lane.active);
      return release;
    }
    if (lane.queue.length >= this.config.maxQueued) {
      this.counters.rejected++;
      throw tooManyConcurrentRequests(1);
    }
    this.counters.waited++;
    await new Promise<void>((resolve, reject) => {
      const admit = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        const index = lane.queue.indexOf(admit);
        if (index >= 0) lane.queue.splice(index, 1);
        reject(new Error('The client closed the connection while its request was queued'));
      };
      lane.queue.push(admit);
      this.counters.peakQueued = Math.max(this.counters.peakQueued, lane.queue.length);
      signal?.addEventListener('abort', leave, { once: true });
    });
    return release;
  }

  snapshot(): ConcurrencyStats {
    let active = 0;
    let queued = 0;
    for (const lane of this.lanes.values()) {
      active += lane.active;
      queued += lane.queue.length;
    }
    return { maxActive: this.config.maxActive, maxQueued: this.config.maxQueued, active, queued, ...this.counters };
  }

  /** Clears the counters (not the requests in progress). */
  resetCounters(): void {
    this.counters = { peakActive: 0, peakQueued: 0, waited: 0, rejected: 0 };
  }
}

/** Concurrency settings from BC_SANDBOX_MAX_CONCURRENT / BC_SANDBOX_MAX_QUEUED (for `npm start`). */
export function concurrencyFromEnv(env: Record<string, string | undefined>): Partial<ConcurrencyConfig> {
  const read = (name: string, min: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got '${raw}'`);
    return value;
  };
  const maxActive = read('BC_SANDBOX_MAX_CONCURRENT', 1);
  const maxQueued = read('BC_SANDBOX_MAX_QUEUED', 0);
  return { ...(maxActive !== undefined ? { maxActive } : {}), ...(maxQueued !== undefined ? { maxQueued } : {}) };
}
