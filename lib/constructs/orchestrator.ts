// The orchestrator behind the HTTP API: plans (with Claude when configured), sessions and approvals; it
// publishes task events and resumes a waiting saga with the approval's task token. The API construct adds
// the claim mapping its authorizer hands over (lib/constructs/api.ts).
import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { approvalAccess, claudeAccess, eventBusAccess, operationsMetricsAccess, stateAccess } from './access.js';
import { HandlerFunction } from './handler-function.js';
import { metricsIdentityOf } from './observability.js';
import type { PurchaseOrderSaga } from './purchase-order-saga.js';
import type { Tables } from './tables.js';

export interface OrchestratorProps {
  readonly config: EnvironmentConfig;
  readonly bus: events.IEventBus;
  readonly tables: Tables;
  /** The saga whose approval step a decision resumes. */
  readonly saga: PurchaseOrderSaga;
  readonly claudeSecret?: secretsmanager.ISecret;
}

export class Orchestrator extends HandlerFunction {
  constructor(scope: Construct, id: string, { config, bus, tables, saga, claudeSecret }: OrchestratorProps) {
    super(scope, id, {
      config,
      handlerPath: 'orchestrator',
      description: `bc-agent ${config.stage}: HTTP API (plans, sessions, approvals)`,
      timeout: Duration.seconds(config.api.timeoutSeconds),
      memorySize: 1024,
      environment: {
        MAX_BODY_BYTES: String(config.limits.bodyBytes),
        MAX_TEXT_CHARS: String(config.limits.textChars),
        MAX_TASKS_PER_PLAN: String(config.limits.tasksPerPlan),
        // GET /v1/plans/{planId}/events reads the plan's story; record links point at this stage's BC web client.
        AUDIT_TABLE: tables.audit.tableName,
        BC_WEB_CLIENT_URL: config.bc.webClientUrl,
        BC_TENANT: config.bc.tenant,
        BC_ENVIRONMENT: config.bc.environment,
        ...(config.bc.companyName ? { BC_COMPANY_NAME: config.bc.companyName } : {}),
      },
    });
    // The plan's audit story is read, never written, by the orchestrator.
    tables.audit.grant(this.function, 'dynamodb:Query');
    this.use(
      stateAccess(tables),
      approvalAccess(config, tables),
      eventBusAccess(bus),
      saga.taskResponseAccess,
      claudeAccess(config, claudeSecret),
    );
  }

  /** GET /v1/metrics reads the analytics consumer's metrics: their names from its environment, and the grant. */
  readOperationsMetrics(analytics: lambda.IFunction): this {
    return this.use(operationsMetricsAccess(metricsIdentityOf(analytics)));
  }
}
