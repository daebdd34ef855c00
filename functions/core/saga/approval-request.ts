// The saga's side of an approval: records the request (with the task token the waiting execution resumes
// on) in APPROVALS_TABLE in the approvals item layout of functions/orchestrator/routes/approvals.ts, and
// announces it with approval:requested. Deciding, and resuming the saga with SendTaskSuccess/Failure, is
// the approvals side's job; it finds here everything it needs: the approval id, the summary and operation
// the approver sees, the hash of that exact operation, the task token and the expiry.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createEvent, type EventPublisher } from '../events/index.js';
import { isConditionalCheckFailed } from '../store/index.js';
import { approvalKey, approvalStatusKey } from '../../orchestrator/routes/approvals.js';
import { SAGA_ERROR_NAMES, SagaStepError } from './errors.js';
import { approvalIdFor, SAGA_TOOL } from './identity.js';
import type { PurchaseOrderRequest, SagaContext, ValidatedOrder } from './schema.js';

/** The item the saga writes; the approvals layout plus the fields only a saga approval has. */
export interface SagaApprovalItem {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
  approvalId: string;
  tenantId: string;
  sessionId: string;
  planId: string;
  taskId: string;
  correlationId: string;
  requestEventId: string;
  summary: string;
  operation: { tool: string; arguments: Record<string, unknown> };
  requestedBy: string;
  status: 'pending';
  requestedAt: string;
  /** Epoch seconds (the table's TTL attribute). */
  expiresAt: number;
  /** sha256 of the exact operation (identity.ts operationHashOf); SendTaskSuccess must echo it. */
  operationHash: string;
  /** Resumes the waiting execution. Never logged or shown. */
  taskToken: string;
  /** Which kind of waiter to resume. */
  resumes: 'purchase-order-saga';
}

export interface ApprovalRequestDeps {
  db: DynamoDBDocumentClient;
  tableName: string;
  publisher: EventPublisher;
  ttlMinutes: number;
  now: () => Date;
}

export interface RequestApprovalInput {
  context: SagaContext;
  requestedBy: string;
  order: PurchaseOrderRequest;
  validated: ValidatedOrder;
  taskToken: string;
}

export async function requestApproval(deps: ApprovalRequestDeps, input: RequestApprovalInput): Promise<{ approvalId: string; expiresAt: string }> {
  const { context, validated } = input;
  const approvalId = approvalIdFor(context);
  const requestedAt = deps.now();
  const expiresAt = new Date(requestedAt.getTime() + deps.ttlMinutes * 60_000);
  const operation = { tool: SAGA_TOOL, arguments: input.order as unknown as Record<string, unknown> };
  const event = createEvent(
    'approval:requested',
    { approvalId, summary: validated.summary, operation, requestedBy: input.requestedBy, expiresAt: expiresAt.toISOString() },
    { ...context, causationId: context.taskId },
    { now: requestedAt },
  );
  const item: SagaApprovalItem = {
    ...approvalKey(context.tenantId, approvalId),
    gsi1pk: approvalStatusKey(context.tenantId, 'pending'),
    gsi1sk: `${requestedAt.toISOString()}#${approvalId}`,
    approvalId,
    tenantId: context.tenantId,
    sessionId: context.sessionId,
    planId: context.planId,
    taskId: context.taskId,
    correlationId: context.correlationId,
    requestEventId: event.detail.eventId,
    summary: validated.summary,
    operation,
    requestedBy: input.requestedBy,
    status: 'pending',
    requestedAt: requestedAt.toISOString(),
    expiresAt: Math.floor(expiresAt.getTime() / 1000),
    operationHash: validated.operationHash,
    taskToken: input.taskToken,
    resumes: 'purchase-order-saga',
  };
  try {
    // A retried request (new task token) replaces a pending one for the same operation; a decided one stays.
    await deps.db.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk) OR (#status = :pending AND operationHash = :hash)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':hash': validated.operationHash },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) {
      throw new SagaStepError(SAGA_ERROR_NAMES.approval, `Approval ${approvalId} for this task was already decided or was for another operation`, 'ApprovalConflict');
    }
    throw error;
  }
  await deps.publisher.publish([event]);
  return { approvalId, expiresAt: expiresAt.toISOString() };
}
