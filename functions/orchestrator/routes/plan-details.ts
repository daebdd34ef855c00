// What the plan view adds to the stored tasks: why a task is where it is (statusReason: a retry notice, the
// approval it waits for, its cancellation) and links to the BC records its result names.
import type { ApprovalRecord } from '../../core/approvals/index.js';
import { SAGA_TOOL } from '../../core/plan/index.js';
import { approvalIdOfTask, CANCELLED_CODE } from '../../core/cancel/index.js';
import { recordLinks, type RecordLink, type WebClientSettings } from '../../core/record-links/index.js';
import type { StoredPlan, StoredTask } from '../../core/store/index.js';

export type StatusReason =
  | { kind: 'retrying'; message: string; attempt: number; nextAttemptAt: string }
  | {
      kind: 'awaiting_approval';
      message: string;
      approval: { approvalId: string; summary: string; status: string; expiresAt: string; requestedBy: string };
    }
  | { kind: 'cancelled'; message: string };

/** Reads an approval by id (the approvals table); undefined when there is none (yet). */
export type ApprovalLookup = (tenantId: string, approvalId: string) => Promise<ApprovalRecord | undefined>;

export async function statusReasonOf(plan: Pick<StoredPlan, 'tenantId' | 'planId'>, task: StoredTask, approvals?: ApprovalLookup): Promise<StatusReason | undefined> {
  if (task.status === 'running' && task.retry && task.retry.attempt === task.attempt) {
    return { kind: 'retrying', message: task.retry.reason, attempt: task.retry.attempt, nextAttemptAt: task.retry.nextAttemptAt };
  }
  if (task.status === 'awaiting_approval' && approvals) {
    const approvalId = approvalIdOfTask(plan.tenantId, plan.planId, task);
    const record = approvalId ? await approvals(plan.tenantId, approvalId) : undefined;
    if (!record) return undefined;
    const expiresAt = new Date(record.expiresAt * 1000).toISOString();
    return {
      kind: 'awaiting_approval',
      message: `Waiting for an approver to decide: ${record.summary} (expires ${expiresAt}).`,
      approval: { approvalId: record.approvalId, summary: record.summary, status: record.status, expiresAt, requestedBy: record.requestedBy },
    };
  }
  if (task.status === 'cancelled' && task.error?.code === CANCELLED_CODE) return { kind: 'cancelled', message: task.error.message };
  return undefined;
}

/** The entity set and record(s) a task's result is about, in the shape recordLinks reads. */
function subjectOf(task: StoredTask, result: unknown): { entitySet: string; records: unknown } | undefined {
  if (task.tool === SAGA_TOOL) {
    const order = result as { orderId?: unknown; orderNumber?: unknown } | null;
    return typeof order?.orderId === 'string' ? { entitySet: 'purchaseOrders', records: { id: order.orderId, number: order.orderNumber } } : undefined;
  }
  const entity = task.arguments.entity;
  if (typeof entity !== 'string') return undefined;
  if (task.tool === 'bc_query_entity' || task.tool === 'bc_create_entity' || task.tool === 'bc_update_entity') return { entitySet: entity, records: result };
  return undefined;
}

export function linksOf(settings: WebClientSettings | undefined, task: StoredTask, result: unknown): RecordLink[] {
  if (!settings || result === undefined) return [];
  const subject = subjectOf(task, result);
  return subject ? recordLinks(settings, subject.entitySet, subject.records) : [];
}
