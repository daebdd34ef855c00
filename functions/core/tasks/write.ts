// The write task: validated, then approved by a person (or handed to the purchase-order saga), then written once.
import { purchaseOrderSchema, type PurchaseOrderRequest } from '../saga/index.js';
import { PermanentTaskError } from '../task-runtime/index.js';
import type { TaskExecutor } from '../task-runtime/index.js';
import { operationHash, type ApprovalGate, type ApprovalSubject, type WriteOrigin } from '../approvals/index.js';
import { parseArgs } from './parse-args.js';
import { validateRecord, type ValidationProblem } from './validation-rules.js';
import { summarizeWrite } from './write-summary.js';
import { POST_DOCUMENT_TOOL, SAGA_TOOL, type PostDocumentArgs } from '../plan/index.js';
import { preparePosting } from './posting.js';

/** Starts the purchase-order saga for a task; a second start for the same task must be harmless. */
export type SagaStarter = (input: PurchaseOrderSagaInput) => Promise<void>;

export interface PurchaseOrderSagaInput extends WriteOrigin {
  order: PurchaseOrderRequest;
}

export interface WriteOptions {
  gate: ApprovalGate;
  startSaga?: SagaStarter;
}

/** Problems of the records a write sends, by the entity's schema and business rules. */
function writeProblems(tool: string, args: Record<string, unknown>): ValidationProblem[] {
  const record = (entity: unknown, data: unknown, mode: 'create' | 'update') =>
    typeof entity === 'string' && data && typeof data === 'object' ? validateRecord(entity, data as Record<string, unknown>, mode).problems : [];
  switch (tool) {
    case 'bc_create_entity':
      return record(args.entity, args.data, 'create');
    case 'bc_update_entity':
      return record(args.entity, args.data, 'update');
    case 'bc_batch_operation':
      return (args.operations as Record<string, unknown>[]).flatMap((op, i) =>
        op.data ? record(op.entity, op.data, op.method === 'POST' ? 'create' : 'update').map((p) => ({ ...p, message: `operations[${i}]: ${p.message}` })) : [],
      );
    default:
      return [];
  }
}

export function writeExecutor(options: WriteOptions): TaskExecutor {
  return async (context) => {
    const { task, events, plan } = context;
    const args = parseArgs<Record<string, unknown>>(task.tool, context.args);
    const origin: WriteOrigin = { ...stripStory(events), taskId: task.id, requestedBy: plan.createdBy };
    // A posting is described from the document itself (number, partner, amount), read from BC; once this task has
    // asked for approval, what runs is the operation it asked for (the document may be posted by an earlier attempt).
    const posting = task.tool === POST_DOCUMENT_TOOL
      ? await preparePosting(context, args as PostDocumentArgs, (await options.gate.boundOperation(origin))?.arguments)
      : undefined;
    const summary = posting?.summary ?? summarizeWrite(task.tool, args);
    // Nothing is asked or run for a document that is unknown or no longer a draft (posting twice is never right).
    if (posting?.refusal) throw posting.refusal;

    if (task.tool === SAGA_TOOL) {
      const order = purchaseOrderSchema.safeParse(args);
      if (!order.success) throw new PermanentTaskError('InvalidArguments', `the purchase order is not valid: ${order.error.issues.map((i) => i.message).join('; ')}`);
      if (!options.startSaga) throw new Error('the write worker has no saga to start (PURCHASE_ORDER_SAGA_ARN)');
      // The saga validates the order, asks for approval in its own step, and reports task:completed itself.
      await options.startSaga({ ...stripStory(events), taskId: task.id, requestedBy: plan.createdBy, order: order.data });
      return { kind: 'handed_off', reason: 'the purchase-order saga runs it' };
    }

    const problems = writeProblems(task.tool, args);
    if (problems.length > 0) throw new PermanentTaskError('ValidationFailed', `Nothing was written: ${problems.map((p) => p.message).join('; ')}`);

    const subject: ApprovalSubject = {
      ...origin,
      tool: task.tool,
      arguments: posting?.arguments ?? args,
      operationHash: operationHash(events.tenantId, task.tool, posting?.arguments ?? args),
      summary,
    };
    let approval = await options.gate.decisionFor(subject);
    if (approval.status === 'denied' || approval.status === 'expired') {
      throw new PermanentTaskError(approval.status === 'denied' ? 'ApprovalDenied' : 'ApprovalExpired', `Not written: the approval was ${approval.status}${'reason' in approval && approval.reason ? ` (${approval.reason})` : ''}.`);
    }
    if (approval.status === 'none') approval = await options.gate.request(subject);
    if (approval.status !== 'granted') return { kind: 'awaiting_approval', summary: `Waiting for approval: ${summary}` };

    // Keyed by the approval and the exact operation: a redelivered message never writes twice.
    const payload = await context.once({ operation: subject.operationHash, approval: approval.approvalId }, () =>
      posting ? posting.run() : context.bc().call(task.tool, args),
    );
    return { kind: 'succeeded', payload };
  };
}

function stripStory(events: { tenantId: string; sessionId: string; planId: string; correlationId: string }) {
  return { tenantId: events.tenantId, sessionId: events.sessionId, planId: events.planId, correlationId: events.correlationId };
}
