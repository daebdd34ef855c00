// Live progress for chat front-ends (issue 11): an API Gateway WebSocket API whose $connect checks the same
// JWT as the HTTP API (passed as `?token=`, browsers cannot set headers on a WebSocket), a connections table,
// and the push path bus → rule → FIFO queue → notifier → PostToConnection. The FIFO queue is there for order:
// EventBridge invokes a Lambda target once per event, in parallel, so two events of one PutEvents (a task's
// task:updated and task:completed) could reach a client swapped; one message group keeps them in publish
// order. Message format: functions/core/push/message.ts, docs/asyncapi.yaml.
import { aws_apigatewayv2 as apigw, Duration, Stack } from 'aws-cdk-lib';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { claimMappingToEnv } from '../../functions/core/http/index.js';
import { SESSION_INDEX } from '../../functions/core/push/index.js';
import { PUSHED_EVENTS } from '../../functions/core/push/index.js';
import { claimMappingOf, MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR, type EnvironmentConfig } from '../config.js';
import { EVENT_SOURCE_PREFIX } from './event-bus.js';
import { HandlerFunction, removalPolicyOf } from './handler-function.js';
import { acknowledge, arnWildcardFinding } from './nag.js';
import { deadLetterQueue } from './queues.js';
import { stageAccessLog } from './access-log.js';

/** The stage name: clients connect to `wss://<api>.execute-api.<region>.amazonaws.com/v1?token=<JWT>`. */
export const WEBSOCKET_STAGE = 'v1';
/** Sessions one connection may watch at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 10;
/** The one message group of the push queue: events leave it in the order the bus received them. */
export const PUSH_MESSAGE_GROUP = 'push';

export interface WebSocketPushProps {
  readonly config: EnvironmentConfig;
  readonly bus: events.IEventBus;
}

export class WebSocketPush extends Construct {
  readonly api: apigw.WebSocketApi;
  readonly stage: apigw.WebSocketStage;
  /** Connections and their session subscriptions (`connectionId`, `sk`; GSI `bySession` on `sessionKey`; TTL `expiresAt`). */
  readonly connections: dynamodb.Table;
  /** $connect, $disconnect, subscribe, $default. */
  readonly routes: HandlerFunction;
  readonly notifier: HandlerFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** Events EventBridge could not put on the push queue (after its retries). */
  readonly deliveryDeadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, { config, bus }: WebSocketPushProps) {
    super(scope, id);

    this.connections = new dynamodb.Table(this, 'Connections', {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      partitionKey: { name: 'connectionId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      // The stage's data policy, like every table of the stack (tables.ts).
      removalPolicy: removalPolicyOf(config),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.retention.pointInTimeRecovery },
      deletionProtection: config.retention.removalPolicy === 'retain',
    });
    this.connections.addGlobalSecondaryIndex({
      indexName: SESSION_INDEX,
      partitionKey: { name: 'sessionKey', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    if (!config.retention.pointInTimeRecovery) {
      acknowledge(this.connections, 'AwsSolutions-DDB3', `Stage ${config.stage} holds disposable data; PITR is on where config.retention.pointInTimeRecovery is.`);
    }

    this.routes = new HandlerFunction(this, 'Routes', {
      config,
      handlerPath: 'websocket',
      description: `bc-agent ${config.stage}: WebSocket API ($connect JWT check, subscribe, $disconnect)`,
      timeout: Duration.seconds(10),
      environment: {
        CONNECTIONS_TABLE: this.connections.tableName,
        JWT_ISSUER: config.jwt.issuer,
        JWT_AUDIENCE: config.jwt.audience.join(','),
        MAX_SUBSCRIPTIONS_PER_CONNECTION: String(MAX_SUBSCRIPTIONS_PER_CONNECTION),
        // The notifier's window: the subscribe reply tells a new subscriber when pushes are sure to reach it.
        PUSH_SUBSCRIBER_CACHE_SECONDS: String(config.push.subscriberCacheSeconds),
        ...claimMappingToEnv(claimMappingOf(config.jwt)),
      },
    });
    this.grantConnections(this.routes);

    const integration = new WebSocketLambdaIntegration('Routes', this.routes.function);
    this.api = new apigw.WebSocketApi(this, 'Api', {
      description: `bc-agent ${config.stage}: live progress (subscribe to a session's events)`,
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration },
      disconnectRouteOptions: { integration },
      defaultRouteOptions: { integration, returnResponse: true },
    });
    this.api.addRoute('subscribe', { integration, returnResponse: true });
    for (const route of this.api.node.findAll().filter((c): c is apigw.WebSocketRoute => c instanceof apigw.WebSocketRoute)) {
      acknowledge(
        route,
        'AwsSolutions-APIG4',
        'API Gateway WebSocket APIs have no JWT authorizer: the $connect function verifies the JWT (issuer keys, issuer, audience, lifetime) and refuses the connection otherwise; later routes run only on connections it accepted.',
      );
    }

    // No query string: it carries the caller's token.
    const accessLog = stageAccessLog(this, config, {
      eventType: '$context.eventType',
      connectionId: '$context.connectionId',
      status: '$context.status',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
    });
    this.accessLogs = accessLog.logGroup;
    this.stage = new apigw.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      throttle: config.api.throttle,
      accessLogSettings: accessLog.settings,
    });

    // --- Push: bus → FIFO queue (one group: publish order) → notifier → PostToConnection.
    this.deadLetterQueue = new sqs.Queue(this, 'PushDeadLetterQueue', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(config.retention.dlqDays),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter queue (pushes that could not read their subscribers).');
    const notifierTimeout = Duration.seconds(config.consumers.timeoutSeconds);
    this.queue = new sqs.Queue(this, 'PushQueue', {
      fifo: true,
      // The event (with its unique id) is the message: a redelivered PutEvents target call is dropped as a duplicate.
      contentBasedDeduplication: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(notifierTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      // A push older than this helps nobody; the plan view has it.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.rule = new events.Rule(this, 'PushEvents', {
      eventBus: bus,
      description: 'session events pushed to WebSocket subscribers',
      eventPattern: { source: events.Match.prefix(EVENT_SOURCE_PREFIX), detailType: [...PUSHED_EVENTS] },
    });
    // EventBridge's own dead-letter queue must be a standard queue.
    this.deliveryDeadLetterQueue = deadLetterQueue(this, 'PushDeliveryDeadLetterQueue', config, 'events EventBridge could not put on the push queue');
    this.rule.addTarget(
      new targets.SqsQueue(this.queue, {
        messageGroupId: PUSH_MESSAGE_GROUP,
        deadLetterQueue: this.deliveryDeadLetterQueue,
        retryAttempts: config.consumers.retryAttempts,
        maxEventAge: Duration.seconds(config.consumers.maxEventAgeSeconds),
      }),
    );

    this.notifier = new HandlerFunction(this, 'Notifier', {
      config,
      handlerPath: 'consumers/notifier',
      description: `bc-agent ${config.stage}: pushes session events to WebSocket subscribers`,
      timeout: notifierTimeout,
      environment: {
        CONNECTIONS_TABLE: this.connections.tableName,
        // The management API endpoint (https://<api>.execute-api.<region>.amazonaws.com/v1).
        WEBSOCKET_CALLBACK_URL: this.stage.callbackUrl,
        // How long a container remembers a session's subscribers (functions/core/push/subscribers.ts).
        PUSH_SUBSCRIBER_CACHE_SECONDS: String(config.push.subscriberCacheSeconds),
      },
    });
    // A failed batch comes back whole and in order (FIFO); the one message group keeps one batch in flight.
    this.notifier.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));
    this.grantConnections(this.notifier);
    this.stage.grantManagementApiAccess(this.notifier.function);
    acknowledge(
      this.notifier,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${Stack.of(this).getLogicalId(this.api.node.defaultChild as never)}>/${WEBSOCKET_STAGE}/*/@connections/*]`,
      'PostToConnection/DeleteConnection on any connection of this one API stage: connection ids are only known at run time.',
    );
  }

  /** The clients' URL, `wss://…/v1`. */
  get url(): string {
    return this.stage.url;
  }

  private grantConnections(handler: HandlerFunction): void {
    this.connections.grantReadWriteData(handler.function);
    acknowledge(handler, arnWildcardFinding(this.connections, '/index/*'), 'Queries the connections table\'s own bySession index; <table>/index/* names no other table.');
  }
}
