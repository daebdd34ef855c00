// GET /v1/approvals?status=… and POST /v1/approvals/{approvalId}: thin HTTP over functions/core/approvals
// (record layout, four eyes, tenant scoping, expiry and resuming whatever waits all live there).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { APPROVAL_STATUSES, ApprovalError, createApprovalService, type ApprovalService, type ApprovalSettings, planWaiterCheck, type SagaWaiter } from '../../core/approvals/index.js';
import type { EventPublisher } from '../../core/events/index.js';
import { conflict, forbidden, HttpError, json, notFound, pathId, readCaller, type Route } from '../../core/http/index.js';
import { setCorrelation } from '../../core/observability/index.js';
import type { StateStore } from '../../core/store/index.js';
import { bodyOf, callerOf, queryOf } from './scope.js';


export interface ApprovalDeps {
  db: DynamoDBDocumentClient;
  tableName: string;
  publisher: EventPublisher;
  /** APPROVAL_* variables when absent. */
  settings?: ApprovalSettings;
  /** Step Functions when absent. */
  saga?: SagaWaiter;
  /** The plans: a decision whose plan or task has ended is refused (409 ApprovalWaiterGone) and closes it. */
  plans?: Pick<StateStore['plans'], 'getPlan'>;
  now?: () => Date;
}

/**
 * The orchestrator's one approval service, built on first use so that reading the settings (and a bad
 * APPROVAL_* value) surfaces on a request that needs approvals, not on every route.
 */
export function lazyApprovalService(deps: ApprovalDeps): () => ApprovalService {
  let built: ApprovalService | undefined;
  return () =>
    (built ??= createApprovalService({
      db: deps.db,
      tableName: deps.tableName,
      publisher: deps.publisher,
      ...(deps.settings ? { settings: deps.settings } : {}),
      ...(deps.saga ? { saga: deps.saga } : {}),
      ...(deps.plans ? { waiting: planWaiterCheck(deps.plans) } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }));
}

const MAX_DECISION_BYTES = 4 * 1024;

const listQuerySchema = z.object({
  status: z.enum(APPROVAL_STATUSES).default('pending'),
  // mine=true: the caller's own requests (what they wait for), whatever their role.
  mine: z.enum(['true', 'false'], { error: "mine must be 'true' or 'false'" }).default('false'),
});
const decisionSchema = z.strictObject({
  decision: z.enum(['grant', 'deny'], { error: "decision must be 'grant' or 'deny'" }),
  reason: z.string().trim().min(1, 'reason must not be empty').max(500, 'reason must be at most 500 characters').optional(),
});

function toHttpError(error: ApprovalError) {
  switch (error.kind) {
    case 'not_found':
      return notFound(error.message);
    case 'forbidden':
      return forbidden(error.message);
    case 'waiter_gone':
      // Nothing waits for this decision any more (the plan or task ended, the saga stopped waiting): it was closed.
      return new HttpError(409, 'ApprovalWaiterGone', error.message);
    default:
      // A decided and an expired approval alike: the decision can no longer be made (the message says which).
      return conflict(error.message);
  }
}

export function approvalRoutes(deps: ApprovalDeps, shared?: () => ApprovalService): Route[] {
  const service = shared ?? lazyApprovalService(deps);

  const list: Route = {
    method: 'GET',
    path: '/v1/approvals',
    async handle(context) {
      const caller = callerOf(context);
      const { status, mine } = queryOf(listQuerySchema, context);
      return json(200, { approvals: mine === 'true' ? await service().listOwn(caller, status) : await service().list(caller, status) });
    },
  };

  const decide: Route = {
    method: 'POST',
    path: '/v1/approvals/{approvalId}',
    async handle(context) {
      const { params, logger } = context;
      const caller = readCaller(context.event);
      const approvalId = pathId(params, 'approvalId');
      setCorrelation(logger, { tenantId: caller.tenantId });
      const body = bodyOf(decisionSchema, context, MAX_DECISION_BYTES, 'the decision');
      try {
        const decided = await service().decide(caller, approvalId, body.decision, body.reason);
        setCorrelation(logger, { planId: decided.planId, taskId: decided.taskId });
        logger.info('approval decided', { approvalId, status: decided.status });
        return json(200, decided);
      } catch (error) {
        if (error instanceof ApprovalError) throw toHttpError(error);
        throw error;
      }
    },
  };

  return [list, decide];
}
