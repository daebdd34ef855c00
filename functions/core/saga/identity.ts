// Deterministic identities of one saga run, derived from the task it runs for (the write worker names the
// execution after the task id, so a task has one saga): the tag that lets a retried createOrder find the
// order it already made, the approval id, and the hash that binds an approval to the exact operation.
import { createHash } from 'node:crypto';
import { operationHash, sagaApprovalIdForTask } from '../approvals/index.js';
import { SAGA_TOOL } from '../plan/index.js';
import type { PurchaseOrderRequest, SagaContext } from './schema.js';

/**
 * purchaseOrders in API v2.0 documents no external/vendor document number, and `number` comes from the No.
 * Series (BC refuses manual numbers), so the saga tags its order in the free-text `shipToContact` field
 * (Text[100], filterable) with this key and looks it up there before creating.
 */
export const ORDER_KEY_FIELD = 'shipToContact';
const ORDER_KEY_PREFIX = 'bc-agent saga ';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function taskDigest(context: SagaContext): string {
  return sha256(JSON.stringify([context.tenantId, context.planId, context.taskId]));
}

/** The value of `shipToContact` on the order this saga run creates. */
export function orderKeyFor(context: SagaContext): string {
  return `${ORDER_KEY_PREFIX}${taskDigest(context).slice(0, 32)}`;
}

/** The approval id of this saga run: the same on a retried requestApproval. */
export function approvalIdFor(context: Pick<SagaContext, 'tenantId' | 'planId' | 'taskId'>): string {
  return sagaApprovalIdForTask(context);
}

/** The tool and arguments an approver sees, as the approval record and approval:requested carry them. */

/** The approvals' hash of this exact order: an approval for one order never authorises another. */
export function operationHashOf(tenantId: string, order: PurchaseOrderRequest): string {
  return operationHash(tenantId, SAGA_TOOL, order as unknown as Record<string, unknown>);
}
