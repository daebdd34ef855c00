// The write worker's question, "has a person approved exactly this operation?", answered from the approval
// record: granted only if the record of this task was granted for the same operation hash that the worker
// is about to run. (The write task, functions/core/tasks/write.ts, asks it.)
import { approvalIdForTask, operationHash } from './operation.js';
import { boundHash } from './record.js';
import type { ApprovalOutcome, ApprovalService } from './service.js';

/** Where a write comes from: the task of a plan, and the person whose message planned it. */
export interface WriteOrigin {
  tenantId: string;
  sessionId: string;
  planId: string;
  taskId: string;
  correlationId: string;
  /** The user whose message planned the write. */
  requestedBy: string;
}

/** One write as an approver sees it and an approval binds to it. */
export interface ApprovalSubject extends WriteOrigin {
  tool: string;
  /** The arguments exactly as they will be sent (every `$ref` resolved). */
  arguments: Record<string, unknown>;
  /** operationHash(tenantId, tool, arguments). */
  operationHash: string;
  /** What the write does, in words. */
  summary: string;
}

export type ApprovalState =
  | { status: 'granted'; approvalId: string }
  | { status: 'denied' | 'expired'; approvalId: string; reason?: string }
  | { status: 'pending'; approvalId: string }
  | { status: 'none' };

export interface ApprovalGate {
  /** The decision recorded for this task and this exact operation hash, or `none`. */
  decisionFor(subject: ApprovalSubject): Promise<ApprovalState>;
  /** Asks for approval (idempotent per task) and publishes approval:requested. */
  request(subject: ApprovalSubject): Promise<ApprovalState>;
  /** The operation this task's approval was asked for, if it has been asked. */
  boundOperation(origin: WriteOrigin): Promise<{ tool: string; arguments: Record<string, unknown> } | undefined>;
}

const OTHER_OPERATION = 'the approval of this task was given for a different operation; nothing was written';

/** The subject's hash must be the hash of what it will run: a caller cannot present one operation and run another. */
function checkedHash(subject: ApprovalSubject): string {
  const actual = operationHash(subject.tenantId, subject.tool, subject.arguments);
  if (actual !== subject.operationHash) throw new Error(`the operation hash of task ${subject.taskId} does not match its arguments`);
  return actual;
}

function stateOf(outcome: ApprovalOutcome): ApprovalState {
  switch (outcome.status) {
    case 'granted':
    case 'pending':
      return { status: outcome.status, approvalId: outcome.approvalId };
    case 'mismatch':
      return { status: 'denied', approvalId: outcome.approvalId, reason: OTHER_OPERATION };
    default:
      return { status: outcome.status, approvalId: outcome.approvalId, ...(outcome.reason ? { reason: outcome.reason } : {}) };
  }
}

export function approvalGate(service: ApprovalService): ApprovalGate {
  return {
    async decisionFor(subject) {
      const hash = checkedHash(subject);
      const approvalId = approvalIdForTask(subject);
      const record = await service.current(subject.tenantId, approvalId);
      if (!record) return { status: 'none' };
      if (boundHash(record) !== hash) return { status: 'denied', approvalId, reason: OTHER_OPERATION };
      if (record.status === 'granted' || record.status === 'pending') return { status: record.status, approvalId };
      return { status: record.status, approvalId, ...(record.reason ? { reason: record.reason } : {}) };
    },
    async boundOperation(origin) {
      return (await service.current(origin.tenantId, approvalIdForTask(origin)))?.operation;
    },
    async request(subject) {
      checkedHash(subject);
      const outcome = await service.request({
        tenantId: subject.tenantId,
        sessionId: subject.sessionId,
        planId: subject.planId,
        taskId: subject.taskId,
        correlationId: subject.correlationId,
        requestedBy: subject.requestedBy,
        operation: { tool: subject.tool, arguments: subject.arguments },
        summary: subject.summary,
      });
      return stateOf(outcome);
    },
  };
}
