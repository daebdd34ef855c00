// How a task's failure is judged: transient failures (BC unavailable, throttled, timed out, circuit open) are
// retried through the queue with backoff; permanent ones (bad input, not found, refused) end the task at once.
import { McpToolError, McpTransportError } from '../mcp/index.js';
import { RefResolutionError } from '../plan/index.js';
import type { ErrorInfo } from '../events/index.js';

/** BC's code for "the circuit breaker is open": no call was made, try later. */
export const DEPENDENCY_UNAVAILABLE = 'DependencyUnavailable';

/** A failure that ends the task now (retrying cannot help). */
export class PermanentTaskError extends Error {
  override readonly name = 'PermanentTaskError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ClassifiedFailure {
  transient: boolean;
  error: ErrorInfo;
  /** The least wait before the next attempt that the failure itself names (BC's Retry-After, the governor's estimate). */
  retryAfterSeconds?: number;
}

/** Errors that say nothing about the dependency's health, e.g. a bug: retried, then dead-lettered. */
const UNKNOWN_CODE = 'Internal_Error';

export function classifyFailure(error: unknown): ClassifiedFailure {
  if (error instanceof PermanentTaskError) return { transient: false, error: { code: error.code, message: error.message } };
  if (error instanceof RefResolutionError) return { transient: false, error: { code: 'RefResolutionFailed', message: error.message } };
  if (error instanceof McpToolError) {
    return {
      transient: error.retryable || error.code === DEPENDENCY_UNAVAILABLE,
      error: { code: error.code, message: error.message },
      ...(error.retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(error.retryAfterMs / 1000) } : {}),
    };
  }
  if (error instanceof McpTransportError) {
    const code = error.kind === 'timeout' ? 'Timeout' : error.kind === 'unauthorized' ? 'Unauthorized' : 'McpUnavailable';
    return { transient: error.retryable, error: { code, message: error.message } };
  }
  const named = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (named && named.code === DEPENDENCY_UNAVAILABLE) {
    return { transient: true, error: { code: DEPENDENCY_UNAVAILABLE, message: String(named.message ?? 'unavailable') } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { transient: true, error: { code: UNKNOWN_CODE, message } };
}

/** What a person reads while a task waits for its next attempt. */
export function retryReason(error: ErrorInfo, attempt: number, maxAttempts: number, delaySeconds: number): string {
  const what =
    error.code === DEPENDENCY_UNAVAILABLE || error.code === 'McpUnavailable' || error.code === 'Timeout' || /^(Internal_ServiceUnavailable|Internal_ServerError|Application_TooManyRequests)/.test(error.code)
      ? 'Business Central is unavailable right now'
      : `The attempt failed (${error.code})`;
  return `${what}; retrying in ${delaySeconds} s (attempt ${attempt} of ${maxAttempts}).`;
}
