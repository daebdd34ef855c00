// Which approval a plan task waits on: a single write asks under approvalIdForTask, a purchase-order saga
// under its own id (sagaApprovalIdForTask, which saga/identity.ts uses). Both are derived from the task, so they can be found without a search.
import { approvalIdForTask, sagaApprovalIdForTask } from '../approvals/index.js';
import { SAGA_TOOL } from '../plan/index.js';

/** The approval id a write task of the plan asks for (undefined for tasks that never ask). */
export function approvalIdOfTask(tenantId: string, planId: string, task: { id: string; type: string; tool: string }): string | undefined {
  if (task.type !== 'write') return undefined;
  const ids = { tenantId, planId, taskId: task.id };
  return task.tool === SAGA_TOOL ? sagaApprovalIdForTask(ids) : approvalIdForTask(ids);
}
