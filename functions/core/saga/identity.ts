// Deterministic identities of one saga run, derived from the task it runs for (the write worker names the
// execution after the task id, so a task has one saga): the tag that lets a retried createOrder find the
// order it already made, the approval id, and the hash that binds an approval to the exact operation.
import { createHash } from 'node:crypto';
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
export function approvalIdFor(context: SagaContext): string {
  return `po-${taskDigest(context).slice(0, 32)}`;
}

/** JSON with object keys sorted at every level, so equal operations hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The tool and arguments an approver sees, as the approval record and approval:requested carry them. */
export const SAGA_TOOL = 'saga_purchase_order';

/** sha256 over the tenant and the exact operation: an approval for one order never authorises another. */
export function operationHashOf(tenantId: string, order: PurchaseOrderRequest): string {
  return sha256(canonicalJson({ tenantId, tool: SAGA_TOOL, arguments: order }));
}
