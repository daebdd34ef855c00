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

/**
 * Each answers whether the execution heard it: false when Step Functions says the token no longer waits
 * (TaskDoesNotExist, TaskTimedOut, InvalidToken: answered already, timed out, or its execution ended);
 * anything but `false` counts as heard.
 */
export interface SagaWaiter {
  succeed(taskToken: string, output: SagaApprovalOutput): Promise<boolean | void>;
  fail(taskToken: string, error: string, cause: string): Promise<boolean | void>;
}

/** Step Functions answers these when the token was already answered or its task timed out: nothing left to do. */
const SETTLED_TOKEN_ERRORS = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

async function settleOnce(send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    if (SETTLED_TOKEN_ERRORS.has((error as { name?: string }).name ?? '')) return false;
    throw error;
  }
}

/**
 * Why an approval can no longer take effect, or undefined while its write may still run: the plan or its task
 * has ended (cancelled, failed by the plan sweeper, …). One consistent read of the plan.
 */
export type WaiterCheck = (record: ApprovalRecord) => Promise<string | undefined>;

const FINAL = ['succeeded', 'failed', 'cancelled'];

export function planWaiterCheck(plans: { getPlan(tenantId: string, planId: string): Promise<{ status: string; tasks: { id: string; status: string; error?: { message: string } }[] } | undefined> }): WaiterCheck {
  return async (record) => {
    const plan = await plans.getPlan(record.tenantId, record.planId);
    const task = plan?.tasks.find((t) => t.id === record.taskId);
    // Approvals are only requested for stored tasks (and plans outlive approvals by far): one not found here
    // is not judged; whatever would run checks its plan itself.
    if (!plan || !task) return undefined;
    if (FINAL.includes(task.status)) return `its task ${record.taskId} has ended (${task.status}${task.error ? `: ${task.error.message}` : ''})`;
    if (FINAL.includes(plan.status)) return `its plan ${record.planId} has ended (${plan.status})`;
    return undefined;
  };
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
