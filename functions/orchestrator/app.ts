// The orchestrator's routes, wired to their dependencies. index.ts builds the dependencies from the
// environment; tests build them against dynalite and a test bus.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '../core/observability/index.js';
import type { EventPublisher } from '../core/events/index.js';
import { createRouter, type HttpResponse } from '../core/http/index.js';
import type { Planner } from '../core/planner/index.js';
import type { StateStore } from '../core/store/index.js';
import { ApprovalStore, type ApprovalSettings, type SagaWaiter } from '../core/approvals/index.js';
import type { WebClientSettings } from '../core/record-links/index.js';
import { approvalRoutes, lazyApprovalService } from './routes/approvals.js';
import { cancelRoute } from './routes/cancel.js';
import { feedbackRoute } from './routes/feedback.js';
import { metricsRoute } from './routes/metrics.js';
import { operationsMetricsReaderFromEnv, type OperationsMetricsReader } from '../core/operations-metrics/index.js';
import { planEventsRoute } from './routes/plan-events.js';
import { sessionListRoute } from './routes/session-list.js';
import { healthRoute } from './routes/health.js';
import { DEFAULT_MESSAGE_LIMITS, messagesRoute, type MessageLimits } from './routes/messages.js';
import { planRoute } from './routes/plans.js';
import { sessionRoute } from './routes/sessions.js';
import { delegationFromEnv } from './delegation.js';
import type { BcDelegationPort } from './start-plan.js';

function delegationOf(deps: OrchestratorDeps): { delegation?: BcDelegationPort } {
  const delegation = deps.delegation === undefined ? delegationFromEnv() : deps.delegation;
  return delegation ? { delegation } : {};
}

export interface OrchestratorDeps {
  store: StateStore;
  planner: Planner;
  publisher: EventPublisher;
  logger: Logger;
  metrics?: Metrics;
  /** For the approvals routes. */
  db: DynamoDBDocumentClient;
  approvalsTable: string;
  limits?: MessageLimits;
  now?: () => Date;
  /** AUDIT_TABLE, for GET /v1/plans/{planId}/events. */
  auditTable?: string;
  /** The BC web client of this stage (BC_WEB_CLIENT_URL …): record links in plan views; none when absent. */
  webClient?: WebClientSettings;
  /** APPROVAL_* variables when absent. */
  approvalSettings?: ApprovalSettings;
  /** Step Functions when absent (a cancelled plan's waiting saga is failed through it). */
  saga?: SagaWaiter;
  /** GET /v1/metrics reads CloudWatch through this (ANALYTICS_METRICS_* variables when absent). */
  operationsMetrics?: OperationsMetricsReader;
  /** Per-user BC access; from BC_ACCESS (./delegation.ts) when absent, none when the stage calls BC as the app. */
  delegation?: BcDelegationPort | null;
}

export function createOrchestrator(deps: OrchestratorDeps): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const now = deps.now ?? (() => new Date());
  const approvalDeps = {
    db: deps.db,
    tableName: deps.approvalsTable,
    publisher: deps.publisher,
    plans: deps.store.plans,
    now,
    ...(deps.approvalSettings ? { settings: deps.approvalSettings } : {}),
    ...(deps.saga ? { saga: deps.saga } : {}),
  };
  const approvals = lazyApprovalService(approvalDeps);
  const approvalRecords = new ApprovalStore(deps.db, deps.approvalsTable);
  return createRouter(
    [
      healthRoute,
      messagesRoute({ store: deps.store, planner: deps.planner, publisher: deps.publisher, now, ...(deps.metrics ? { metrics: deps.metrics } : {}), ...delegationOf(deps) }, deps.limits ?? DEFAULT_MESSAGE_LIMITS),
      planRoute(deps.store, undefined, {
        approvals: (tenantId, approvalId) => approvalRecords.get(tenantId, approvalId),
        ...(deps.webClient ? { links: deps.webClient } : {}),
      }),
      cancelRoute({ store: deps.store, publisher: deps.publisher, approvals: { close: (...args) => approvals().close(...args), current: (...args) => approvals().current(...args) }, now }),
      planEventsRoute({ store: deps.store, db: deps.db, ...(deps.auditTable ? { auditTable: deps.auditTable } : {}) }),
      feedbackRoute({ store: deps.store, publisher: deps.publisher, now }),
      sessionListRoute(deps.store),
      metricsRoute({ reader: lazyOnce(() => deps.operationsMetrics ?? operationsMetricsReaderFromEnv()), now }),
      sessionRoute(deps.store),
      ...approvalRoutes(approvalDeps, approvals),
    ],
    deps.logger,
  );
}

/** Builds on the first call and keeps the result (a configuration error surfaces on the route that needs it). */
function lazyOnce<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
