// Which failures count against a breaker. A breaker protects BC from load while BC is unwell, so only signs of
// an unwell dependency count: 5xx, timeouts, network errors. A 4xx is the caller's mistake; a 429 asks the
// caller to back off (retries do that) and only counts when configured.

export interface FailureClassification {
  /** Count HTTP 429 answers as failures (default false). */
  countThrottling?: boolean;
}

interface ErrorLike {
  name?: unknown;
  status?: unknown;
  statusCode?: unknown;
  kind?: unknown;
  code?: unknown;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

export function countsAsFailure(error: unknown, options: FailureClassification = {}): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const e = error as ErrorLike;
  if (e.kind === 'timeout' || e.kind === 'network' || e.kind === 'unavailable') return true;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined) {
    // A fetch failure without a response is a network error; anything else unknown counts to stay safe.
    return true;
  }
  if (status === 429) return options.countThrottling === true;
  return status >= 500;
}

/**
 * Whether a failed call says anything about the dependency's health: false for a request refused before it
 * was sent (HTTP status 0 without a network or timeout failure, e.g. the BC client rejecting an unknown
 * field). Such an outcome must neither close nor reopen a half-open breaker.
 */
export function reachedDependency(error: unknown, options: FailureClassification = {}): boolean {
  if (countsAsFailure(error, options)) return true;
  const status = (error as ErrorLike).status ?? (error as ErrorLike).statusCode;
  return typeof status === 'number' && status > 0;
}
