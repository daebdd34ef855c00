// The bus's consumers (architecture §4, §6) as constructs: each one's rule or schedule, its environment and
// its grants. The saga's repair sweep is part of the saga (lib/constructs/purchase-order-saga.ts).
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { VISIBILITY_TIMEOUT_FACTOR, type EnvironmentConfig } from '../config.js';
import { approvalAccess, claudeAccess, eventBusAccess, stateAccess } from './access.js';
import { EVENT_SOURCE_PREFIX } from './event-bus.js';
import { EventConsumer } from './event-consumer.js';
import { HandlerFunction } from './handler-function.js';
import { deadLetterQueue, workQueue } from './queues.js';
import type { PurchaseOrderSaga } from './purchase-order-saga.js';
import type { Tables } from './tables.js';

/** Events that move a plan forward or change what its status shows (architecture §4, §6, issue 6). */
export const PLAN_PROGRESS_EVENTS = [
  'task:updated',
  'task:completed',
  'approval:requested',
  'approval:granted',
  'approval:denied',
  'approval:expired',
] as const;

export interface ConsumerProps {
  readonly config: EnvironmentConfig;
  readonly bus: events.IEventBus;
}

export interface TableConsumerProps extends ConsumerProps {
  readonly tables: Tables;
}

export interface SagaConsumerProps extends TableConsumerProps {
  readonly saga: PurchaseOrderSaga;
}

/** Events the audit queue hands its consumer at once, and how long it gathers them (architecture §4). */
export const AUDIT_BATCH = { size: 100, windowSeconds: 2, maxConcurrency: 2 } as const;

/**
 * The audit log of every agent event. The rule delivers to a queue rather than to the function, so the
 * consumer writes a batch of events (up to AUDIT_BATCH.size, gathered for up to AUDIT_BATCH.windowSeconds)
 * with a few BatchWriteItem calls instead of one PutItem per event; what it cannot write comes back from the
 * queue, then goes to the DLQ, which also takes what EventBridge could not deliver.
 */
export class AuditConsumer extends Construct {
  readonly handler: HandlerFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, { config, bus, tables }: TableConsumerProps) {
    super(scope, id);
    const timeout = Duration.seconds(config.consumers.timeoutSeconds);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', config, 'events for consumers/audit');
    this.queue = workQueue(this, 'Queue', { visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR), deadLetterQueue: this.deadLetterQueue });
    this.handler = new HandlerFunction(this, 'Handler', {
      config,
      handlerPath: 'consumers/audit',
      description: `bc-agent ${config.stage}: audit log of every event`,
      timeout,
      environment: { AUDIT_TABLE: tables.audit.tableName, AUDIT_RETENTION_DAYS: String(config.retention.auditDays) },
    });
    this.handler.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: AUDIT_BATCH.size,
        maxBatchingWindow: Duration.seconds(AUDIT_BATCH.windowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: AUDIT_BATCH.maxConcurrency,
      }),
    );
    const rule = new events.Rule(this, 'AllAgentEvents', {
      eventBus: bus,
      description: 'consumers/audit: AllAgentEvents',
      eventPattern: { source: events.Match.prefix(EVENT_SOURCE_PREFIX) },
    });
    rule.addTarget(
      new targets.SqsQueue(this.queue, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: config.consumers.retryAttempts,
        maxEventAge: Duration.seconds(config.consumers.maxEventAgeSeconds),
      }),
    );
    this.rules.push(rule);
    // The audit log is append-only: the consumer may add records (idempotent on eventId) and nothing else.
    tables.audit.grant(this.handler.function, 'dynamodb:PutItem', 'dynamodb:BatchWriteItem');
  }
}

/** Counts and latencies of every event as metrics (no grants: it only writes its logs, EMF). */
export class AnalyticsConsumer extends EventConsumer {
  constructor(scope: Construct, id: string, { config, bus }: ConsumerProps) {
    super(scope, id, {
      config,
      bus,
      handlerPath: 'consumers/analytics',
      description: `bc-agent ${config.stage}: counts and latencies as metrics`,
      // Every event on the bus, including any a future component publishes under another source.
      patterns: { AllEvents: { account: [Stack.of(scope).account] } },
    });
  }
}

export interface PlanProgressConsumerProps extends TableConsumerProps {
  readonly claudeSecret?: secretsmanager.ISecret;
}

/** Plan status, dispatch of the next level, and the plan's final answer (with Claude when configured). */
export class PlanProgressConsumer extends EventConsumer {
  constructor(scope: Construct, id: string, { config, bus, tables, claudeSecret }: PlanProgressConsumerProps) {
    super(scope, id, {
      config,
      bus,
      handlerPath: 'consumers/plan-progress',
      description: `bc-agent ${config.stage}: plan status and dispatch of the next level`,
      patterns: {
        PlanEvents: { source: events.Match.prefix(EVENT_SOURCE_PREFIX), detailType: [...PLAN_PROGRESS_EVENTS] },
      },
      // It writes the plan's final answer (with Claude when configured), like the analysis worker.
      timeout: Duration.seconds(config.workers.analysis.timeoutSeconds),
    });
    this.handler.use(claudeAccess(config, claudeSecret), stateAccess(tables), eventBusAccess(bus));
  }
}

/**
 * Expires approvals nobody decided (reads and decisions expire overdue ones too; this catches the rest), so
 * the waiting write or saga ends instead of waiting for the saga's own timeout.
 */
export class ApprovalExpiry extends EventConsumer {
  constructor(scope: Construct, id: string, { config, bus, tables, saga }: SagaConsumerProps) {
    super(scope, id, {
      config,
      bus,
      handlerPath: 'consumers/approval-expiry',
      description: `bc-agent ${config.stage}: expires overdue approvals`,
      schedule: { id: 'EveryMinute', schedule: events.Schedule.rate(Duration.minutes(1)) },
    });
    this.handler.use(approvalAccess(config, tables), eventBusAccess(bus), saga.taskResponseAccess);
  }
}

/**
 * Drives plans whose progress stalled (a lost message, a dead worker, a saga that ended unheard) to a final
 * state; its StuckPlansFound metric counts the plans it had to act on.
 */
export class PlanSweeper extends EventConsumer {
  constructor(scope: Construct, id: string, { config, bus, tables, saga }: SagaConsumerProps) {
    super(scope, id, {
      config,
      bus,
      handlerPath: 'consumers/plan-sweeper',
      description: `bc-agent ${config.stage}: drives stalled plans to a final state`,
      schedule: { id: 'Periodic', schedule: events.Schedule.rate(Duration.minutes(config.sweeper.periodMinutes)) },
      environment: {
        SWEEP_DISPATCHED_SECONDS: String(config.sweeper.dispatchedSeconds),
        SWEEP_RUNNING_SECONDS: String(config.sweeper.runningSeconds),
        SWEEP_SETTLE_SECONDS: String(config.sweeper.settleSeconds),
        // A single write waits for its approval's TTL; the approval sweep ends it then, this is the backstop.
        SWEEP_APPROVAL_SECONDS: String(config.approvals.ttlMinutes * 60 + 5 * 60),
        SWEEP_MAX_REDISPATCHES: String(config.sweeper.maxRedispatches),
        SWEEP_MAX_PLANS: String(config.sweeper.maxPlansPerRun),
      },
    });
    this.handler.use(stateAccess(tables), eventBusAccess(bus), saga.describeAccess);
  }
}
