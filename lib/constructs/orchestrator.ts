// The orchestrator behind the HTTP API: plans (with Claude when configured), sessions and approvals; it
// publishes task events and resumes a waiting saga with the approval's task token. The API construct adds
// the claim mapping its authorizer hands over (lib/constructs/api.ts).
import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { approvalAccess, claudeAccess, eventBusAccess, stateAccess } from './access.js';
import { HandlerFunction } from './handler-function.js';
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
      },
    });
    this.use(
      stateAccess(tables),
      approvalAccess(config, tables),
      eventBusAccess(bus),
      saga.taskResponseAccess,
      claudeAccess(config, claudeSecret),
    );
  }
}
