// What an approval binds to: the exact operation (tool + arguments), its hash, and the approval id of a task.
import { createHash } from 'node:crypto';
import { SAGA_TOOL } from '../plan/index.js';

/** The operation an approver sees and decides: an MCP write tool or a saga, with its exact arguments. */
export interface ApprovalOperation {
  tool: string;
  arguments: Record<string, unknown>;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

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

/**
 * sha256 of the canonical JSON of the tenant and the operation: an approval for one operation never
 * authorises another (other arguments, another tenant). The saga's operationHashOf is this for its order.
 */
export function operationHash(tenantId: string, tool: string, args: Record<string, unknown>): string {
  return sha256(canonicalJson({ tenantId, tool, arguments: args }));
}

/** The approval id of one plan task: a redelivered task asks for the same approval, never a second one. */
export function approvalIdForTask(task: { tenantId: string; planId: string; taskId: string }): string {
  return `ap-${sha256(JSON.stringify([task.tenantId, task.planId, task.taskId])).slice(0, 32)}`;
}

/** The approval id of a plan task's purchase-order saga (saga/identity.ts asks under it; the plan view reads it). */
export function sagaApprovalIdForTask(task: { tenantId: string; planId: string; taskId: string }): string {
  return `po-${sha256(JSON.stringify([task.tenantId, task.planId, task.taskId])).slice(0, 32)}`;
}

/** The MCP write tools and the HTTP method each stands for in auto-approve rules (`POST:customers`). */
const TOOL_METHODS: Record<string, string> = {
  bc_create_entity: 'POST',
  bc_update_entity: 'PATCH',
  bc_delete_entity: 'DELETE',
};
/** The saga creates a purchase order (and its lines and reservations): it is approved as one. */
const SAGA_RULES: Record<string, string> = { [SAGA_TOOL]: 'POST:purchaseOrders' };

/**
 * The auto-approve rule names (`<METHOD>:<entitySet>`) that must all be configured for the operation to be
 * approved without a person; empty when the operation cannot be auto-approved at all.
 */
export function autoApproveKeys(operation: ApprovalOperation): string[] {
  const args = operation.arguments;
  const saga = SAGA_RULES[operation.tool];
  if (saga) return [saga];
  const method = TOOL_METHODS[operation.tool];
  if (method) return typeof args.entity === 'string' ? [`${method}:${args.entity}`] : [];
  if (operation.tool === 'bc_batch_operation') {
    const ops = Array.isArray(args.operations) ? (args.operations as Array<Record<string, unknown>>) : [];
    if (ops.length === 0 || ops.some((op) => typeof op?.entity !== 'string')) return [];
    return [...new Set(ops.map((op) => `BATCH:${String(op.entity)}`))];
  }
  return [];
}
