// A worker type (query, write, analysis, validation): its Lambda and two SQS lanes, high and normal, each with
// its own DLQ and its own event source mapping. Priority comes from the lanes: the high lane is polled by its
// own mapping with its own concurrency cap, so a high-priority task never waits behind a backlog of normal
// ones. Rules route `task:created` by `detail.type` and `detail.priority` to the lanes. What each type
// may use (tables, bus, MCP server, saga, Claude) is set here, next to the function.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  MAX_RECEIVE_COUNT,
  VISIBILITY_TIMEOUT_FACTOR,
  type EnvironmentConfig,
  type WorkerType,
} from '../config.js';
import { approvalAccess, claudeAccess, eventBusAccess, idempotencyAccess, stateAccess, type Access } from './access.js';
import { EVENT_SOURCE_PREFIX } from './event-bus.js';
import { HandlerFunction } from './handler-function.js';
import type { McpServer } from './mcp-server.js';
import type { PurchaseOrderSaga } from './purchase-order-saga.js';
import { deadLetterQueue, workQueue } from './queues.js';
import type { Tables } from './tables.js';

export const LANES = ['high', 'normal'] as const;
export type Lane = (typeof LANES)[number];

export interface WorkerLane {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

export interface WorkerQueueProps {
  readonly config: EnvironmentConfig;
  readonly type: WorkerType;
  readonly bus: events.IEventBus;
  readonly tables: Tables;
  /** Query and write reach BC through it. */
  readonly mcpServer: McpServer;
  /** Write starts it for a purchase order. */
  readonly saga: PurchaseOrderSaga;
  /** Analysis summarises with Claude when a key is configured. */
  readonly claudeSecret?: secretsmanager.ISecret;
}

/** The worker types that call BC (through the MCP server). */
export function reachesBc(type: WorkerType): boolean {
  return type === 'query' || type === 'write';
}

/**
 * The `task:created` pattern of one lane. The event carries the dispatched task as `detail.task` (see
 * functions/core/events/catalogue.ts). A task is high priority only when `task.priority` is exactly `high`;
 * any other value, or none, goes to the normal lane, so every task matches exactly one lane.
 */
export function taskCreatedPattern(type: WorkerType, lane: Lane): events.EventPattern {
  const priority =
    lane === 'high'
      ? { priority: ['high'] }
      : { $or: [{ priority: [{ 'anything-but': ['high'] }] }, { priority: [{ exists: false }] }] };
  return {
    source: events.Match.prefix(EVENT_SOURCE_PREFIX),
    detailType: ['task:created'],
    detail: { task: { type: [type], ...priority } },
  };
}

export class WorkerQueue extends Construct {
  readonly type: WorkerType;
  readonly handler: HandlerFunction;
  readonly lanes: Record<Lane, WorkerLane>;
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: WorkerQueueProps) {
    super(scope, id);
    const { config, type } = props;
    const settings = config.workers[type];
    this.type = type;
    this.handler = new HandlerFunction(this, 'Handler', {
      config,
      handlerPath: `workers/${type}`,
      description: `bc-agent ${config.stage}: ${type} worker`,
      timeout: Duration.seconds(settings.timeoutSeconds),
      memorySize: settings.memoryMb,
      // The worker needs to know when an attempt is the last one (it then marks the task failed), and how long
      // a run can last (a delivery's hold on its task lapses after that).
      environment: { MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT), TASK_LEASE_SECONDS: String(settings.timeoutSeconds) },
    });

    const visibilityTimeout = Duration.seconds(settings.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR);
    const makeLane = (lane: Lane): WorkerLane => {
      const laneName = lane === 'high' ? 'High' : 'Normal';
      const dlq = deadLetterQueue(this, `${laneName}DeadLetterQueue`, config, `${type} worker, ${lane} lane`);
      const queue = workQueue(this, `${laneName}Queue`, { visibilityTimeout, deadLetterQueue: dlq });
      this.handler.function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: settings.batchSize,
          maxBatchingWindow:
            settings.maxBatchingWindowSeconds > 0 ? Duration.seconds(settings.maxBatchingWindowSeconds) : undefined,
          reportBatchItemFailures: true,
          maxConcurrency: lane === 'high' ? settings.highMaxConcurrency : settings.maxConcurrency,
        }),
      );
      return { queue, deadLetterQueue: dlq };
    };
    this.lanes = { high: makeLane('high'), normal: makeLane('normal') };

    for (const lane of LANES) {
      this.route(`TaskCreated${lane === 'high' ? 'High' : 'Normal'}`, taskCreatedPattern(type, lane), lane, props.bus);
    }
    if (type === 'write') {
      // A granted single write resumes in the high lane: the person has waited already. (A saga's approval
      // resumes through the task token instead; the write worker ignores those.)
      this.route(
        'ApprovalGranted',
        { source: events.Match.prefix(EVENT_SOURCE_PREFIX), detailType: ['approval:granted'] },
        'high',
        props.bus,
      );
    }

    const uses: Access[] = [stateAccess(props.tables), idempotencyAccess(props.tables), eventBusAccess(props.bus)];
    // Analysis summarises results already stored and validation checks against the entity catalogue, so
    // neither may call BC; query and write reach it through the MCP server, which holds the circuit breaker.
    if (reachesBc(type)) uses.push(props.mcpServer.clientAccess);
    if (type === 'write') uses.push(approvalAccess(config, props.tables), props.saga.startAccess);
    if (type === 'analysis') uses.push(claudeAccess(config, props.claudeSecret));
    this.handler.use(...uses);
  }

  /**
   * Routes events matching `pattern` to a lane. Delivery failures land in the lane's DLQ, next to the
   * messages the worker gave up on: both are the event as JSON, so one redrive handles both.
   */
  route(id: string, pattern: events.EventPattern, lane: Lane, bus: events.IEventBus): events.Rule {
    const { queue, deadLetterQueue: dlq } = this.lanes[lane];
    const rule = new events.Rule(this, id, {
      eventBus: bus,
      description: `${this.type} worker, ${lane} lane: ${id}`,
      eventPattern: pattern,
    });
    rule.addTarget(new targets.SqsQueue(queue, { deadLetterQueue: dlq, retryAttempts: 10, maxEventAge: Duration.hours(2) }));
    this.rules.push(rule);
    return rule;
  }
}
