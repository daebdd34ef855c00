// Retry timing of the worker queues (architecture §9): exponential backoff with full jitter, applied through
// the message's visibility timeout, so a failed message comes back later without a sleeping Lambda.

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  baseSeconds: number;
  factor: number;
  /** No delay exceeds this (SQS accepts visibility timeouts up to 12 h; a worker retry should be far sooner). */
  maxSeconds: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseSeconds: 2, factor: 2, maxSeconds: 900 };

/** SQS's own limit on a visibility timeout. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/**
 * The ceiling of the delay after the `receiveCount`-th receive failed: base · factor^(receiveCount − 1),
 * capped. receiveCount is SQS's ApproximateReceiveCount (1 on the first delivery).
 */
export function backoffCeilingSeconds(receiveCount: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (!Number.isInteger(receiveCount) || receiveCount < 1) throw new RangeError(`receiveCount must be a whole number ≥ 1, got ${receiveCount}`);
  return Math.min(policy.maxSeconds, policy.baseSeconds * policy.factor ** (receiveCount - 1));
}

/**
 * Full jitter: a uniformly random delay in (0, ceiling], in whole seconds as SQS takes them, at least 1 s
 * so a retry never comes back at once.
 */
export function backoffDelaySeconds(
  receiveCount: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeilingSeconds(receiveCount, policy);
  const delay = Math.ceil(random() * ceiling);
  return Math.min(MAX_VISIBILITY_TIMEOUT_SECONDS, Math.max(1, Math.min(delay, Math.ceil(ceiling))));
}
