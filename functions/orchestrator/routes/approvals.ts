// GET /v1/approvals?status=… and POST /v1/approvals/{approvalId} over APPROVALS_TABLE.
// The approvals work owns this module and the item layout below; what is here reads and decides for real:
//   pk  TENANT#<t>#APPROVAL#<approvalId>   sk  APPROVAL
//   gsi1pk TENANT#<t>#STATUS#<status>      gsi1sk <requestedAt>#<approvalId>   (index byStatus)
//   fields: approvalId, tenantId, sessionId, planId, taskId, correlationId, requestEventId?, summary,
//           operation { tool, arguments }, requestedBy, status, requestedAt, expiresAt (epoch s, TTL),
//           decidedBy?, decidedAt?, reason?
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { createEvent, type EventPublisher } from '../../core/events/index.js';
import {
  conflict,
  forbidden,
  hasRole,
  json,
  notFound,
  parseJsonBody,
  pathId,
  readCaller,
  validate,
  type Route,
} from '../../core/http/index.js';
import { setCorrelation } from '../../core/observability/index.js';
import { isConditionalCheckFailed } from '../../core/store/index.js';

export const APPROVER_ROLE = 'approver';
export const APPROVAL_STATUSES = ['pending', 'granted', 'denied', 'expired'] as const;
type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const approvalKey = (tenantId: string, approvalId: string) => ({ pk: `TENANT#${tenantId}#APPROVAL#${approvalId}`, sk: 'APPROVAL' });
export const approvalStatusKey = (tenantId: string, status: ApprovalStatus) => `TENANT#${tenantId}#STATUS#${status}`;

interface ApprovalItem {
  approvalId: string;
  tenantId: string;
  sessionId: string;
  planId: string;
  taskId: string;
  correlationId: string;
  requestEventId?: string;
  summary: string;
  operation: { tool: string; arguments: Record<string, unknown> };
  requestedBy: string;
  status: ApprovalStatus;
  requestedAt: string;
  expiresAt: number;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
}

export interface ApprovalDeps {
  db: DynamoDBDocumentClient;
  tableName: string;
  publisher: EventPublisher;
  now?: () => Date;
}

const isExpired = (item: ApprovalItem, now: Date) => item.expiresAt * 1000 <= now.getTime();

function approvalView(item: ApprovalItem, now: Date) {
  return {
    approvalId: item.approvalId,
    planId: item.planId,
    taskId: item.taskId,
    summary: item.summary,
    operation: item.operation,
    requestedBy: item.requestedBy,
    // An expired request may linger until TTL removes it: it is shown as what it is.
    status: item.status === 'pending' && isExpired(item, now) ? 'expired' : item.status,
    requestedAt: item.requestedAt,
    expiresAt: new Date(item.expiresAt * 1000).toISOString(),
    ...(item.decidedBy ? { decidedBy: item.decidedBy, decidedAt: item.decidedAt } : {}),
    ...(item.reason ? { reason: item.reason } : {}),
  };
}

const listQuerySchema = z.object({ status: z.enum(APPROVAL_STATUSES).default('pending') });
const decisionSchema = z.strictObject({
  decision: z.enum(['grant', 'deny'], { error: "decision must be 'grant' or 'deny'" }),
  reason: z.string().trim().max(500, 'reason must be at most 500 characters').optional(),
});

export function approvalRoutes(deps: ApprovalDeps): Route[] {
  const now = deps.now ?? (() => new Date());

  const list: Route = {
    method: 'GET',
    path: '/v1/approvals',
    async handle({ event, logger }) {
      const caller = readCaller(event);
      setCorrelation(logger, { tenantId: caller.tenantId });
      const { status } = validate(listQuerySchema, event.queryStringParameters ?? {}, { what: 'the query' });
      // Only approvers decide, so only they have approvals to look at.
      if (!hasRole(caller, APPROVER_ROLE)) return json(200, { approvals: [] });
      const items: ApprovalItem[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await deps.db.send(
          new QueryCommand({
            TableName: deps.tableName,
            IndexName: 'byStatus',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': approvalStatusKey(caller.tenantId, status) },
            ExclusiveStartKey: start,
          }),
        );
        items.push(...((page.Items ?? []) as ApprovalItem[]));
        start = page.LastEvaluatedKey;
      } while (start && items.length < 100);
      const at = now();
      const approvals = items.map((item) => approvalView(item, at)).filter((a) => a.status === status);
      return json(200, { approvals });
    },
  };

  const decide: Route = {
    method: 'POST',
    path: '/v1/approvals/{approvalId}',
    async handle({ event, params, logger }) {
      const caller = readCaller(event);
      const approvalId = pathId(params, 'approvalId');
      setCorrelation(logger, { tenantId: caller.tenantId });
      const body = validate(decisionSchema, parseJsonBody(event, 4 * 1024), { what: 'the decision' });
      const key = approvalKey(caller.tenantId, approvalId);
      const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
      if (!Item) throw notFound(`no approval ${approvalId}`);
      const item = Item as ApprovalItem;
      setCorrelation(logger, { correlationId: item.correlationId, planId: item.planId, taskId: item.taskId });
      if (!hasRole(caller, APPROVER_ROLE)) throw forbidden('only approvers can decide approvals');
      const at = now();
      if (item.status !== 'pending') throw conflict(`approval ${approvalId} is already ${item.status}`);
      if (isExpired(item, at)) throw conflict(`approval ${approvalId} has expired`);

      const status: ApprovalStatus = body.decision === 'grant' ? 'granted' : 'denied';
      try {
        await deps.db.send(
          new UpdateCommand({
            TableName: deps.tableName,
            Key: key,
            UpdateExpression: 'SET #status = :status, gsi1pk = :gsi1pk, decidedBy = :by, decidedAt = :at' + (body.reason ? ', reason = :reason' : ''),
            // Binds the decision to the operation the approver saw: it must still be pending and unexpired.
            ConditionExpression: '#status = :pending AND expiresAt > :nowEpoch',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':status': status,
              ':gsi1pk': approvalStatusKey(caller.tenantId, status),
              ':by': caller.sub,
              ':at': at.toISOString(),
              ':pending': 'pending',
              ':nowEpoch': Math.floor(at.getTime() / 1000),
              ...(body.reason ? { ':reason': body.reason } : {}),
            },
          }),
        );
      } catch (error) {
        if (isConditionalCheckFailed(error)) throw conflict(`approval ${approvalId} was decided or expired meanwhile`);
        throw error;
      }
      const decided = createEvent(
        status === 'granted' ? 'approval:granted' : 'approval:denied',
        { approvalId, decidedBy: caller.sub, ...(body.reason ? { reason: body.reason } : {}) },
        {
          tenantId: caller.tenantId,
          sessionId: item.sessionId,
          planId: item.planId,
          taskId: item.taskId,
          correlationId: item.correlationId,
          causationId: item.requestEventId ?? approvalId,
        },
      );
      await deps.publisher.publish([decided]);
      return json(200, approvalView({ ...item, status, decidedBy: caller.sub, decidedAt: at.toISOString(), ...(body.reason ? { reason: body.reason } : {}) }, at));
    },
  };

  return [list, decide];
}
