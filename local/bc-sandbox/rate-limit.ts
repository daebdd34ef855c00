// BC online's documented OData limit: 6,000 requests per user or service principal in a five-minute sliding
// window; beyond it, 429 with Retry-After.
export interface RateLimitConfig {
  /** Requests allowed per window (default 6000). */
  limit: number;
  /** Window length in milliseconds (default 300000). */
  windowMs: number;
}

export const defaultRateLimit: RateLimitConfig = { limit: 6000, windowMs: 5 * 60 * 1000 };

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number,
  ) {}

  /** Records a request; returns the seconds to wait when the principal is over its limit. */
  take(principal: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.now();
    const windowStart = now - this.config.windowMs;
    const times = (this.hits.get(principal) ?? []).filter((t) => t > windowStart);
    if (times.length >= this.config.limit) {
      this.hits.set(principal, times);
      const retryAfterMs = times[0]! + this.config.windowMs - now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    }
    times.push(now);
    this.hits.set(principal, times);
    return { allowed: true };
  }

  clear(): void {
    this.hits.clear();
  }
}

/** Rate limit settings from BC_SANDBOX_RATE_LIMIT / BC_SANDBOX_RATE_WINDOW_SECONDS (for `npm start`). */
export function rateLimitFromEnv(env: Record<string, string | undefined>): Partial<RateLimitConfig> {
  const read = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer ≥ 1, got '${raw}'`);
    return value;
  };
  const limit = read('BC_SANDBOX_RATE_LIMIT');
  const windowSeconds = read('BC_SANDBOX_RATE_WINDOW_SECONDS');
  return { ...(limit !== undefined ? { limit } : {}), ...(windowSeconds !== undefined ? { windowMs: windowSeconds * 1000 } : {}) };
}
