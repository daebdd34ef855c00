// The orchestrator's half of per-user BC access (BC_ACCESS=delegated): when a message becomes a plan, the caller's
// API token is exchanged on their behalf and the sealed grant stored (functions/core/bc BcDelegation); a refusal
// becomes DelegationRefusedError, which the messages route answers with BC's reason and nothing stored.
import { BcDelegationError, bcDelegationFromEnv, type BcDelegation } from '../core/bc/index.js';
import type { Env } from '../core/config/index.js';
import { DelegationRefusedError, type BcDelegationPort } from './start-plan.js';

export function delegationPort(delegation: BcDelegation): BcDelegationPort {
  return {
    async accept(tenantId, userId, assertion) {
      try {
        return await delegation.accept(tenantId, userId, assertion);
      } catch (error) {
        if (error instanceof BcDelegationError) throw new DelegationRefusedError(error.code, error.message, error.transient);
        throw error;
      }
    },
  };
}

/** The delegation of this stage, or undefined when BC is called as the app (BC_ACCESS=app, the default). */
export function delegationFromEnv(env: Env = process.env): BcDelegationPort | undefined {
  const delegation = bcDelegationFromEnv(env);
  return delegation ? delegationPort(delegation) : undefined;
}
