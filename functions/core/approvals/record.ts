// The approval record in APPROVALS_TABLE, the view a caller sees, and the events that tell its story.
//
//   pk  TENANT#<t>#APPROVAL#<approvalId>   sk  APPROVAL
//   gsi1pk TENANT#<t>#STATUS#<status>      gsi1sk <requestedAt>#<approvalId>      (index byStatus)
//   expiresAt  epoch seconds: the deadline of the decision, and the table's TTL (the audit log keeps history)
//
// Every key starts with the tenant, so another tenant's approval id is simply not found.
import type { ApiSchemas } from '../http/index.js';
import { createEvent, type DomainEvent, type EventContext } from '../events/index.js';
import { isSafeId } from '../store/index.js';
import { operationHash, type ApprovalOperation } from './operation.js';

export const APPROVAL_STATUSES = ['pending', 'granted', 'denied', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export type DecidedStatus = Exclude<ApprovalStatus, 'pending'>;

function part(name: string, value: string): string {
  if (!isSafeId(value)) throw new Error(`invalid ${name} "${value}" for an approval key`);
  return value;
}

export const approvalKey = (tenantId: string, approvalId: string) => ({
  pk: `TENANT#${part('tenantId', tenantId)}#APPROVAL#${part('approvalId', approvalId)}`,
  sk: 'APPROVAL',
});
export const approvalStatusKey = (tenantId: string, status: ApprovalStatus) => `TENANT#${part('tenantId', tenantId)}#STATUS#${status}`;
export const approvalStatusSort = (requestedAt: string, approvalId: string) => `${requestedAt}#${approvalId}`;

/** What a write (or saga) asking for a decision says: its task's story, who planned it and what it would do. */
export interface ApprovalAsk {
  tenantId: string;
  sessionId: string;
  planId: string;
  taskId: string;
  correlationId: string;
  /** What caused the request (the task's event); the decision events are caused by the request event. */
  causationId?: string;
  /** The `sub` of the user whose message planned the write (the tenant is the record's). */
  requestedBy: string;
  operation: ApprovalOperation;
  /** What it does, in words, for the approver. */
  summary: string;
  /** A waiting Step Functions execution (.waitForTaskToken) resumes on this. Never shown or logged. */
  taskToken?: string;
}

/** One approval as stored (keys omitted). */
export interface ApprovalRecord extends ApprovalAsk {
  approvalId: string;
  /** eventId of approval:requested, so a repeated request re-publishes the same event (consumers dedupe). */
  requestEventId?: string;
  /** sha256 of the tenant and operation (operation.ts); recomputed from `operation` when checked. */
  operationHash?: string;
  status: ApprovalStatus;
  requestedAt: string;
  /** Epoch seconds: the deadline of the decision (and the TTL). */
  expiresAt: number;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
  /** eventId of approval:granted/denied/expired, fixed with the decision (a re-drive re-publishes it). */
  decisionEventId?: string;
  /** When the decision was announced (event published, saga answered); absent until then, so the sweep retries. */
  toldAt?: string;
  /** The rule that approved it without a person. */
  autoApprovedBy?: string;
  /**
   * Why it was closed without effect: what it would release can no longer run (the plan or task ended, or the
   * saga no longer waits on its token). A closed approval is `expired` and takes no decision.
   */
  closedReason?: string;
}

export type ApprovalItem = ApprovalRecord & { pk: string; sk: string; gsi1pk: string; gsi1sk: string };

export function toItem(record: ApprovalRecord): ApprovalItem {
  return {
    ...approvalKey(record.tenantId, record.approvalId),
    gsi1pk: approvalStatusKey(record.tenantId, record.status),
    gsi1sk: approvalStatusSort(record.requestedAt, record.approvalId),
    ...record,
  };
}

export function fromItem(item: Record<string, unknown>): ApprovalRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _gpk, gsi1sk: _gsk, ...record } = item;
  return record as unknown as ApprovalRecord;
}

export const deadlineMs = (record: Pick<ApprovalRecord, 'expiresAt'>) => record.expiresAt * 1000;

/** Pending past its deadline: expired, whether or not the sweep has recorded it yet. */
export const isOverdue = (record: ApprovalRecord, now: Date) => record.status === 'pending' && deadlineMs(record) <= now.getTime();

/** The hash of the operation the approver was shown: what a grant authorises. */
export const boundHash = (record: ApprovalRecord) => operationHash(record.tenantId, record.operation.tool, record.operation.arguments);

/** What the API shows (never the task token): the API's `Approval` (docs/openapi.json). */
export type ApprovalView = ApiSchemas['Approval'];

export function toView(record: ApprovalRecord, now: Date): ApprovalView {
  return {
    approvalId: record.approvalId,
    planId: record.planId,
    taskId: record.taskId,
    summary: record.summary,
    operation: record.operation,
    requestedBy: record.requestedBy,
    status: isOverdue(record, now) ? 'expired' : record.status,
    requestedAt: record.requestedAt,
    expiresAt: new Date(deadlineMs(record)).toISOString(),
    ...(record.decidedBy ? { decidedBy: record.decidedBy } : {}),
    ...(record.decidedAt ? { decidedAt: record.decidedAt } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.closedReason ? { closedReason: record.closedReason } : {}),
  };
}

function storyOf(record: ApprovalRecord, causationId: string): EventContext {
  return {
    tenantId: record.tenantId,
    sessionId: record.sessionId,
    planId: record.planId,
    taskId: record.taskId,
    correlationId: record.correlationId,
    causationId,
  };
}

/** approval:requested, the same event (id and time) however often it is rebuilt. */
export function requestedEvent(record: ApprovalRecord): DomainEvent<'approval:requested'> {
  return createEvent(
    'approval:requested',
    {
      approvalId: record.approvalId,
      summary: record.summary,
      operation: record.operation,
      requestedBy: record.requestedBy,
      expiresAt: new Date(deadlineMs(record)).toISOString(),
    },
    storyOf(record, record.causationId ?? record.taskId),
    { ...(record.requestEventId ? { eventId: record.requestEventId } : {}), now: new Date(record.requestedAt) },
  );
}

/** approval:granted / denied / expired of a decided record, the same event however often it is rebuilt. */
export function decisionEvent(record: ApprovalRecord): DomainEvent<'approval:granted' | 'approval:denied' | 'approval:expired'> {
  const context = storyOf(record, record.requestEventId ?? record.approvalId);
  const options = { ...(record.decisionEventId ? { eventId: record.decisionEventId } : {}), now: new Date(record.decidedAt ?? record.requestedAt) };
  switch (record.status) {
    case 'granted':
    case 'denied':
      return createEvent(
        record.status === 'granted' ? 'approval:granted' : 'approval:denied',
        { approvalId: record.approvalId, decidedBy: record.decidedBy ?? 'unknown', ...(record.reason ? { reason: record.reason } : {}) },
        context,
        options,
      );
    case 'expired':
      return createEvent('approval:expired', { approvalId: record.approvalId, expiredAt: record.decidedAt ?? new Date(deadlineMs(record)).toISOString() }, context, options);
    default:
      throw new Error(`approval ${record.approvalId} is ${record.status}: no decision event`);
  }
}
