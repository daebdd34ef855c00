// The budget the capacity governor keeps every caller of one BC environment and identity inside: BC's published
// limits less a safety margin, the high-priority reserve, and how containers share it (token batches, slot
// leases). Read from the BC_GOVERNOR_* environment the stack sets per stage (docs/internals.md).
import { optionalEnv, type Env } from '../config/index.js';

/** BC online's documented OData limits per environment and user / service principal. */
export const BC_PUBLISHED_LIMITS = {
  /** 6,000 requests per 5 minutes per user or service principal. */
  ratePerMinute: 1_200,
  /** Requests processed at once per environment (the next 95 are queued, then 429). */
  concurrency: 5,
} as const;

export interface CapacityLimits {
  /** BC's request rate for this identity (before the margin). */
  ratePerMinute: number;
  /** BC's concurrent requests for this environment (before the margin). */
  concurrency: number;
  /** Share of BC's limits the governor hands out, (0, 1]; 0.9 keeps 10 % for clocks, retries and strays. */
  safetyMargin: number;
  /** Share of tokens and slots only high-priority (interactive) work may use, [0, 1). */
  highReserve: number;
  /** Tokens the bucket holds at most, in seconds of the rate (the burst). */
  burstSeconds: number;
  /** Most tokens a container takes from the shared bucket in one DynamoDB write. */
  tokenBatch: number;
  /** A container's unused tokens lapse after this long, so an idle container cannot burst later. */
  tokenTtlMs: number;
  /** Most concurrency slots a container leases at once. */
  slotBatch: number;
  /** How long a slot lease lives without renewal: a container that dies frees its slots after this. */
  leaseMs: number;
  /** An idle container keeps its slots this long before giving them back (the next call usually follows). */
  idleReleaseMs: number;
  /** How often a container that found no free slot looks again. */
  pollMs: number;
  /** AIMD: a 429 multiplies the budget by this, (0, 1). */
  decreaseFactor: number;
  /** AIMD: the budget grows back by this share of the configured limits per second. */
  increasePerSecond: number;
  /** The budget never shrinks below this share of the configured limits. */
  minFactor: number;
  /** A 429 without Retry-After pauses everyone for this long. */
  defaultPauseMs: number;
  /** The longest a caller waits for capacity when its invocation states no deadline. */
  maxWaitMs: number;
}

export const DEFAULT_CAPACITY_LIMITS: CapacityLimits = {
  ...BC_PUBLISHED_LIMITS,
  safetyMargin: 0.9,
  highReserve: 0.2,
  burstSeconds: 1,
  tokenBatch: 5,
  tokenTtlMs: 1_000,
  slotBatch: 2,
  leaseMs: 20_000,
  idleReleaseMs: 100,
  pollMs: 100,
  decreaseFactor: 0.5,
  increasePerSecond: 0.05,
  minFactor: 0.1,
  defaultPauseMs: 1_000,
  maxWaitMs: 30_000,
};

/** The budget after the margin, at AIMD factor `factor` (1 = full). */
export interface EffectiveBudget {
  ratePerSecond: number;
  burst: number;
  slots: number;
  /** Slots normal-priority work may hold (the rest is the high reserve). */
  normalSlots: number;
  /** Tokens normal-priority work must leave in the bucket. */
  normalTokenFloor: number;
}

export function effectiveBudget(limits: CapacityLimits, factor: number): EffectiveBudget {
  const ratePerSecond = (limits.ratePerMinute / 60) * limits.safetyMargin * factor;
  const burst = Math.max(1, ratePerSecond * limits.burstSeconds);
  const slots = Math.max(1, Math.floor(limits.concurrency * limits.safetyMargin * factor));
  // With one slot left it is shared: a reserve that locked normal work out for good would turn into a deadlock.
  const normalSlots = Math.max(1, slots - Math.ceil(slots * limits.highReserve));
  // The token reserve is at least one whole token (a fraction of one would never let a high caller in ahead of
  // normal work) and leaves normal work at least one (a reserve of the whole bucket would lock it out for good).
  const reserve = limits.highReserve > 0 ? Math.max(1, burst * limits.highReserve) : 0;
  return { ratePerSecond, burst, slots, normalSlots, normalTokenFloor: Math.min(reserve, Math.max(0, burst - 1)) };
}

export function validateLimits(limits: CapacityLimits): CapacityLimits {
  const problems: string[] = [];
  const positive = (name: keyof CapacityLimits) => {
    if (!(Number.isFinite(limits[name]) && limits[name] > 0)) problems.push(`${name} must be a positive number, got ${limits[name]}`);
  };
  (['ratePerMinute', 'concurrency', 'burstSeconds', 'tokenBatch', 'tokenTtlMs', 'slotBatch', 'leaseMs', 'idleReleaseMs', 'pollMs', 'increasePerSecond', 'defaultPauseMs', 'maxWaitMs'] as const).forEach(positive);
  const within = (name: keyof CapacityLimits, ok: (v: number) => boolean, range: string) => {
    if (!(Number.isFinite(limits[name]) && ok(limits[name]))) problems.push(`${name} must be in ${range}, got ${limits[name]}`);
  };
  within('safetyMargin', (v) => v > 0 && v <= 1, '(0, 1]');
  within('highReserve', (v) => v >= 0 && v < 1, '[0, 1)');
  within('decreaseFactor', (v) => v > 0 && v < 1, '(0, 1)');
  within('minFactor', (v) => v > 0 && v <= 1, '(0, 1]');
  for (const name of ['concurrency', 'tokenBatch', 'slotBatch'] as const) {
    if (!Number.isInteger(limits[name])) problems.push(`${name} must be a whole number, got ${limits[name]}`);
  }
  if (problems.length > 0) throw new Error(`Invalid BC capacity limits: ${problems.join('; ')}`);
  return limits;
}

/** Environment variable of each setting (docs/internals.md). */
export const CAPACITY_ENV: Record<keyof CapacityLimits, string> = {
  ratePerMinute: 'BC_GOVERNOR_RATE_PER_MINUTE',
  concurrency: 'BC_GOVERNOR_CONCURRENCY',
  safetyMargin: 'BC_GOVERNOR_SAFETY_MARGIN',
  highReserve: 'BC_GOVERNOR_HIGH_RESERVE',
  burstSeconds: 'BC_GOVERNOR_BURST_SECONDS',
  tokenBatch: 'BC_GOVERNOR_TOKEN_BATCH',
  tokenTtlMs: 'BC_GOVERNOR_TOKEN_TTL_MS',
  slotBatch: 'BC_GOVERNOR_SLOT_BATCH',
  leaseMs: 'BC_GOVERNOR_LEASE_MS',
  idleReleaseMs: 'BC_GOVERNOR_IDLE_RELEASE_MS',
  pollMs: 'BC_GOVERNOR_POLL_MS',
  decreaseFactor: 'BC_GOVERNOR_DECREASE_FACTOR',
  increasePerSecond: 'BC_GOVERNOR_INCREASE_PER_SECOND',
  minFactor: 'BC_GOVERNOR_MIN_FACTOR',
  defaultPauseMs: 'BC_GOVERNOR_DEFAULT_PAUSE_MS',
  maxWaitMs: 'BC_GOVERNOR_MAX_WAIT_MS',
};

/** The limits from BC_GOVERNOR_* (each unset one keeps its default), validated. */
export function capacityLimitsFromEnv(env: Env): CapacityLimits {
  const limits: CapacityLimits = { ...DEFAULT_CAPACITY_LIMITS };
  for (const [key, name] of Object.entries(CAPACITY_ENV) as Array<[keyof CapacityLimits, string]>) {
    const text = optionalEnv(name, env);
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got '${text}'`);
    limits[key] = value;
  }
  return validateLimits(limits);
}
