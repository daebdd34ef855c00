/** Thrown instead of calling the dependency while its breaker is open (or another caller holds the probe). */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  readonly code = 'DependencyUnavailable';
  constructor(
    readonly key: string,
    /** Milliseconds until the breaker lets a probe through; callers retry later, not fail. */
    readonly retryAfterMs: number,
  ) {
    super(`The dependency '${key}' is unavailable (circuit open); retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}
