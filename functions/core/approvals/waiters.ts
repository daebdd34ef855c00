// What waits on a decision and how it is told. A saga waits in a .waitForTaskToken step and resumes through
// SendTaskSuccess / SendTaskFailure; a single write waits as an awaiting_approval task: a grant resumes it
// through approval:granted (routed to the write queue), a denial or expiry ends it here as failed.
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createEvent, type EventPublisher } from '../events/index.js';
import type { PlanStore } from '../store/index.js';
import { boundHash, type ApprovalRecord } from './record.js';

/** The error a saga's approval step fails with when the approval is denied or expires (its Catch ends the saga). */
export const APPROVAL_NOT_GRANTED = 'ApprovalNotGranted';

/** The output of the saga's approval step on a grant (functions/core/saga/schema.ts approvalDecisionSchema). */
export interface SagaApprovalOutput {
  approvalId: string;
  status: 'granted';
  operationHash: string;
  decidedBy: string;
}

export interface SagaWaiter {
  succeed(taskToken: string, output: SagaApprovalOutput): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** Step Functions answers these when the token was already answered or its task timed out: nothing left to do. */
const SETTLED_TOKEN_ERRORS = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

async function settleOnce(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (SETTLED_TOKEN_ERRORS.has((error as { name?: string }).name ?? '')) return;
    throw error;
  }
}

export function stepFunctionsWaiter(client: SFNClient = new SFNClient({})): SagaWaiter {
  return {
    succeed: (taskToken, output) => settleOnce(() => client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))),
    // Step Functions limits error to 256 and cause to 32768 characters.
    fail: (taskToken, error, cause) => settleOnce(() => client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }))),
  };
}

export const sagaApprovalOutput = (record: ApprovalRecord): SagaApprovalOutput => ({
  approvalId: record.approvalId,
  status: 'granted',
  operationHash: boundHash(record),
  decidedBy: record.decidedBy ?? 'unknown',
});

export function notGrantedCause(record: ApprovalRecord): string {
  if (record.status === 'expired') return `Approval ${record.approvalId} expired at ${record.decidedAt ?? 'its deadline'} without a decision; nothing was written.`;
  return `Approval ${record.approvalId} was denied by ${record.decidedBy ?? 'an approver'}${record.reason ? `: ${record.reason}` : ''}; nothing was written.`;
}

/** Ends a single write whose approval was denied or expired: the task fails, and says why. */
export interface WriteEnder {
  end(record: ApprovalRecord): Promise<void>;
}

export function planTaskEnder(plans: PlanStore, publisher: EventPublisher, now: () => Date = () => new Date()): WriteEnder {
  return {
    async end(record) {
      const code = record.status === 'expired' ? 'ApprovalExpired' : 'ApprovalDenied';
      const error = { code, message: notGrantedCause(record) };
      const plan = await plans.getPlan(record.tenantId, record.planId);
      const task = plan?.tasks.find((t) => t.id === record.taskId);
      if (!task) return;
      const at = now();
      // Only a task that waits (or is being looked at by its worker) ends here; a finished one stays as it is.
      const ended = await plans.transitionTask(record.tenantId, record.planId, record.taskId, 'failed', { from: ['running', 'awaiting_approval'], error, now: at });
      if (!ended.transitioned) return;
      const context = {
        tenantId: record.tenantId,
        sessionId: record.sessionId,
        planId: record.planId,
        taskId: record.taskId,
        correlationId: record.correlationId,
        causationId: record.decisionEventId ?? record.approvalId,
      };
      const started = Date.parse(task.startedAt ?? task.updatedAt);
      await publisher.publish([
        createEvent('task:updated', { status: 'failed', previousStatus: task.status, reason: error.message }, context, { now: at }),
        createEvent(
          'task:completed',
          { taskType: task.type, status: 'failed', error, attempt: Math.max(1, task.attempt), durationMs: Math.max(0, at.getTime() - (Number.isNaN(started) ? at.getTime() : started)) },
          context,
          { now: at },
        ),
      ]);
    },
  };
}
