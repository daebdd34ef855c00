// GET /v1/plans/{planId}/events?limit=&after=: the plan's story from the audit log, oldest first, a page at a
// time. The plan is looked up in the caller's tenant first (404 otherwise); the audit keys carry the tenant too.
import * as z from 'zod';
import { AuditStoryReader } from '../../core/audit/index.js';
import { json, notFound, serviceUnavailable, validate, type Route } from '../../core/http/index.js';
import type { StateStore } from '../../core/store/index.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryOf, scopeOf } from './scope.js';

export const MAX_EVENTS_PAGE = 500;

const querySchema = z.object({
  limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(MAX_EVENTS_PAGE, `limit must be at most ${MAX_EVENTS_PAGE}`).default(100),
  // The `next` of the previous page: an audit sort key, <occurredAt>#<eventId>.
  after: z.string().regex(/^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})#[A-Za-z0-9._:-]{1,128}$/, 'after must be the next value of a previous page').optional(),
});

export interface PlanEventsDeps {
  store: StateStore;
  db: DynamoDBDocumentClient;
  /** AUDIT_TABLE; the route answers 503 without it. */
  auditTable?: string;
}

export function planEventsRoute(deps: PlanEventsDeps): Route {
  const reader = deps.auditTable ? new AuditStoryReader(deps.db, deps.auditTable) : undefined;
  return {
    method: 'GET',
    path: '/v1/plans/{planId}/events',
    async handle(context) {
      const { caller, id: planId } = scopeOf(context, 'planId');
      const query = queryOf(querySchema, context);
      if (!reader) throw serviceUnavailable('the audit log is not configured for this API (AUDIT_TABLE)');
      const plan = await deps.store.plans.getPlan(caller.tenantId, planId);
      if (!plan) throw notFound(`no plan ${planId}`);
      const page = await reader.page(caller.tenantId, planId, query.limit, query.after);
      return json(200, { planId, events: page.events, ...(page.next ? { next: page.next } : {}) });
    },
  };
}
