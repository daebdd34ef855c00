// The write worker's only question about approvals — "has a person approved exactly this operation?" — is
// asked through ApprovalGate, which functions/core/approvals implements over APPROVALS_TABLE.
import type { ApprovalGate } from '../approvals/index.js';

/** A gate for a deployment without approvals: nothing is ever approved, so every write stops at awaiting_approval. */
export const approvalsNotAvailable: ApprovalGate = {
  decisionFor: async () => ({ status: 'none' }),
  request: async () => ({ status: 'none' }),
  boundOperation: async () => undefined,
};
