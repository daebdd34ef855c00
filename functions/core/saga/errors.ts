// What a saga step throws, by name, because the state machine decides by error name (Retry/Catch
// ErrorEquals): a transient BC failure is thrown as `BcTransientError`, which the forward steps retry with
// backoff; everything else carries a name the state machine does not retry, so the Catch moves on to
// compensation (or to "not executed") at once.
import { BcConflictError, isBcError } from '../bc/index.js';
import { BreakerOpenError } from '../breaker/index.js';

/** The error names the state machine sees (lib/constructs/purchase-order-saga.ts retries only the first). */
export const SAGA_ERROR_NAMES = {
  transient: 'BcTransientError',
  bcRejected: 'BcRequestFailed',
  invalidInput: 'SagaInputInvalid',
  invalidOrder: 'PurchaseOrderInvalid',
  approval: 'ApprovalNotGranted',
  inconsistent: 'SagaStateInconsistent',
  planEnded: 'PlanEnded',
} as const;

export type SagaErrorName = (typeof SAGA_ERROR_NAMES)[keyof typeof SAGA_ERROR_NAMES];

export class SagaStepError extends Error {
  constructor(
    override readonly name: SagaErrorName,
    message: string,
    /** BC's error code or this module's own, for the user-facing summary. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** BC briefly unavailable (throttled, 502-504, timeout, network, open breaker, stale ETag): retry later. */
export class BcTransientError extends SagaStepError {
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(SAGA_ERROR_NAMES.transient, message, code, options);
  }
}

export const invalidOrder = (message: string, code = 'PurchaseOrderInvalid') => new SagaStepError(SAGA_ERROR_NAMES.invalidOrder, message, code);
export const invalidInput = (message: string) => new SagaStepError(SAGA_ERROR_NAMES.invalidInput, message, 'SagaInputInvalid');
export const inconsistent = (message: string) => new SagaStepError(SAGA_ERROR_NAMES.inconsistent, message, 'SagaStateInconsistent');

/**
 * Maps a failure of a step to what the state machine should see. BC errors and an open breaker are
 * classified; a SagaStepError passes through; anything else (a bug, DynamoDB, EventBridge) keeps its own
 * name so it is neither retried as BC trouble nor hidden.
 */
export function toStepError(error: unknown): Error {
  if (error instanceof SagaStepError) return error;
  if (error instanceof BreakerOpenError) return new BcTransientError(error.message, error.code, { cause: error });
  if (isBcError(error)) {
    // A stale ETag is cured by a fresh read, which the retried step does.
    if (error.retryable || error instanceof BcConflictError) return new BcTransientError(error.message, error.code, { cause: error });
    return new SagaStepError(SAGA_ERROR_NAMES.bcRejected, error.message, error.code, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
