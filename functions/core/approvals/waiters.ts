// How a waiting saga hears its decision: it waits in a .waitForTaskToken step and resumes through
// SendTaskSuccess / SendTaskFailure. (A single write waits as an awaiting_approval task: approval:granted,
// routed to the write queue, resumes it; on approval:denied / approval:expired the plan-progress consumer
// fails it.)
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
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
