// The write worker's only question about approvals: "has a person approved exactly this operation?". The
// approvals work implements ApprovalGate over APPROVALS_TABLE; until then `approvalsNotAvailable` answers
// that nothing is approved and nothing can be requested, so every write stops at awaiting_approval.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../saga/identity.js';

/** One write as an approver sees it and an approval binds to it. */
export interface ApprovalSubject {
  tenantId: string;
  sessionId: string;
  planId: string;
  taskId: string;
  correlationId: string;
  /** The user whose message planned the write. */
  requestedBy: string;
  tool: string;
  /** The arguments exactly as they will be sent (every `$ref` resolved). */
  arguments: Record<string, unknown>;
  /** operationHash(tenantId, tool, arguments): an approval for one operation never authorises another. */
  operationHash: string;
  /** What the write does, in words, for the approver and the chat. */
  summary: string;
}

export type ApprovalState =
  | { status: 'granted'; approvalId: string }
  | { status: 'denied' | 'expired'; approvalId: string; reason?: string }
  | { status: 'pending'; approvalId: string }
  /** No approval exists for this operation (and, from `request`, none could be asked for). */
  | { status: 'none' };

export interface ApprovalGate {
  /** The decision recorded for this task and this exact operation hash, or `none`. */
  decisionFor(subject: ApprovalSubject): Promise<ApprovalState>;
  /** Asks for approval (idempotent per task and operation) and publishes approval:requested; `none` if it cannot. */
  request(subject: ApprovalSubject): Promise<ApprovalState>;
}

/** Until the approvals work lands: nothing is ever approved, so nothing is ever written. */
export const approvalsNotAvailable: ApprovalGate = {
  decisionFor: async () => ({ status: 'none' }),
  request: async () => ({ status: 'none' }),
};

/** sha256 over the tenant and the exact operation (same formula as the saga's operationHashOf). */
export function operationHash(tenantId: string, tool: string, args: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson({ tenantId, tool, arguments: args })).digest('hex');
}
