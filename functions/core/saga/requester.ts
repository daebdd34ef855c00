// Per-user BC access in the purchase-order saga: under delegated access (BC_ACCESS=delegated) a step's BC calls
// run with the person's own BC token (their delegated grant, redeemed by functions/core/bc DelegatedTokens), so
// BC's permissions and change log apply to the requester, as for the workers' writes. The undo steps fall back
// to the app's identity when the person's access can no longer be had: undoing the saga's own writes must not
// wait for someone to sign in again.
import { BcDelegationError, withBcUserToken, type DelegatedTokens } from '../bc/index.js';
import { BcTransientError, SAGA_ERROR_NAMES, SagaStepError } from './errors.js';
import { COMPENSATION_ORDER, type SagaContext, type SagaStep } from './schema.js';

/** The steps that call BC; the others (approval, bookkeeping) need no token. */
const BC_STEPS: ReadonlySet<SagaStep> = new Set<SagaStep>(['validate', 'createOrder', 'addLine', 'reserveInventory', ...COMPENSATION_ORDER]);
const UNDO_STEPS: ReadonlySet<SagaStep> = new Set<SagaStep>(COMPENSATION_ORDER);

export interface RequesterAccess {
  /** Undefined when the stage calls BC as the app. */
  tokens: DelegatedTokens | undefined;
  /** Told when an undo step runs as the app because the person's access is gone. */
  onFallback?: (step: SagaStep, reason: string) => void;
}

/** Runs `work` with the step's BC calls acting as the saga's requester (`input.requestedBy`). */
export async function asRequester<T>(
  access: RequesterAccess,
  step: SagaStep,
  input: Record<string, unknown>,
  context: SagaContext | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const requestedBy = typeof input.requestedBy === 'string' ? input.requestedBy : undefined;
  if (!access.tokens || !BC_STEPS.has(step)) return work();
  if (!context || !requestedBy) {
    // A state machine that does not pass the requester would otherwise write as the app without anyone noticing.
    throw new SagaStepError(SAGA_ERROR_NAMES.invalidInput, `The ${step} step needs the requester (requestedBy) and the saga context under delegated BC access`, 'SagaInputInvalid');
  }
  let token: string;
  try {
    token = await access.tokens.accessToken(context.tenantId, requestedBy);
  } catch (error) {
    if (!(error instanceof BcDelegationError)) throw error;
    if (UNDO_STEPS.has(step)) {
      access.onFallback?.(step, error.message);
      return work();
    }
    if (error.transient) throw new BcTransientError(error.message, error.code, { cause: error });
    throw new SagaStepError(SAGA_ERROR_NAMES.bcRejected, error.message, error.code, { cause: error });
  }
  return withBcUserToken(token, work);
}
