// The saga's side of an approval: asks the approvals service (functions/core/approvals, the one module every
// write path uses) for a decision on this exact order, with the task token the waiting execution resumes
// on. Deciding, and resuming the saga with SendTaskSuccess/Failure, is the approvals side's job.
import type { ApprovalService } from '../approvals/index.js';
import { SAGA_ERROR_NAMES, SagaStepError } from './errors.js';
import { SAGA_TOOL } from '../plan/index.js';
import { approvalIdFor } from './identity.js';
import type { PurchaseOrderRequest, SagaContext, ValidatedOrder } from './schema.js';

export interface RequestApprovalInput {
  context: SagaContext;
  requestedBy: string;
  order: PurchaseOrderRequest;
  validated: ValidatedOrder;
  taskToken: string;
}

export async function requestApproval(approvals: Pick<ApprovalService, 'request'>, input: RequestApprovalInput): Promise<{ approvalId: string; expiresAt: string }> {
  const { context, validated } = input;
  const outcome = await approvals.request({
    ...context,
    causationId: context.taskId,
    requestedBy: input.requestedBy,
    operation: { tool: SAGA_TOOL, arguments: input.order as unknown as Record<string, unknown> },
    summary: validated.summary,
    taskToken: input.taskToken,
    approvalId: approvalIdFor(context),
  });
  if (outcome.status === 'mismatch') {
    throw new SagaStepError(SAGA_ERROR_NAMES.approval, `Approval ${outcome.approvalId} for this task was asked for another operation`, 'ApprovalConflict');
  }
  return { approvalId: outcome.approvalId, expiresAt: outcome.expiresAt };
}
