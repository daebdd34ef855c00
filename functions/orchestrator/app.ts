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
import { approvalRoutes } from './routes/approvals.js';
import { healthRoute } from './routes/health.js';
import { DEFAULT_MESSAGE_LIMITS, messagesRoute, type MessageLimits } from './routes/messages.js';
import { planRoute } from './routes/plans.js';
import { sessionRoute } from './routes/sessions.js';

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
}

export function createOrchestrator(deps: OrchestratorDeps): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const now = deps.now ?? (() => new Date());
  return createRouter(
    [
      healthRoute,
      messagesRoute({ store: deps.store, planner: deps.planner, publisher: deps.publisher, now, ...(deps.metrics ? { metrics: deps.metrics } : {}) }, deps.limits ?? DEFAULT_MESSAGE_LIMITS),
      planRoute(deps.store),
      sessionRoute(deps.store),
      ...approvalRoutes({ db: deps.db, tableName: deps.approvalsTable, publisher: deps.publisher, plans: deps.store.plans, now }),
    ],
    deps.logger,
  );
}
