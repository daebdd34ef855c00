// One environment of bc-claude-agent (architecture §1): HTTP API → orchestrator → bus → worker lanes and
// consumers, the purchase-order saga, the MCP server in front of Business Central, the tables, and alarms.
// This file only makes the constructs and connects them: each construct sets its functions' environment (the
// variables of docs/internals.md) and the grants its job needs (lib/constructs/access.ts).
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LOCAL_JWT_ISSUER, WORKER_TYPES, type EnvironmentConfig, type WorkerType } from './config.js';
import { claudeSecretOf } from './constructs/access.js';
import { Api } from './constructs/api.js';
import { WebConsole } from './constructs/web-console.js';
import { BusinessCentralAccess } from './constructs/business-central.js';
import { BcDelegation } from './constructs/bc-delegation.js';
import {
  AnalyticsConsumer,
  ApprovalExpiry,
  AuditConsumer,
  PlanProgressConsumer,
  PlanSweeper,
} from './constructs/consumers.js';
import { EventBackbone } from './constructs/event-bus.js';
import type { HandlerFunction } from './constructs/handler-function.js';
import { McpServer } from './constructs/mcp-server.js';
import { Observability } from './constructs/observability.js';
import { Orchestrator } from './constructs/orchestrator.js';
import { PurchaseOrderSaga } from './constructs/purchase-order-saga.js';
import { Tables } from './constructs/tables.js';
import { reachesBc, WorkerQueue } from './constructs/worker-queue.js';
import { WebSocketPush } from './constructs/websocket-api.js';
import { bcCapacityAccess } from './constructs/bc-capacity.js';

export type BcAgentStackProps = { config: EnvironmentConfig } & StackProps;

export { PLAN_PROGRESS_EVENTS } from './constructs/consumers.js';

export class BcAgentStack extends Stack {
  readonly config: EnvironmentConfig;
  readonly tables: Tables;
  readonly backbone: EventBackbone;
  readonly businessCentral: BusinessCentralAccess;
  readonly bcDelegation: BcDelegation;
  readonly mcpServer: McpServer;
  readonly saga: PurchaseOrderSaga;
  readonly orchestrator: Orchestrator;
  readonly workers: Record<WorkerType, WorkerQueue>;
  readonly consumers: {
    audit: AuditConsumer;
    analytics: AnalyticsConsumer;
    planProgress: PlanProgressConsumer;
    approvalExpiry: ApprovalExpiry;
    planSweeper: PlanSweeper;
  };
  readonly api: Api;
  readonly webConsole: WebConsole;
  readonly observability: Observability;
  readonly push: WebSocketPush;

  constructor(scope: Construct, id: string, props: BcAgentStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;

    if (config.stage !== 'dev' && config.jwt.issuer === LOCAL_JWT_ISSUER) {
      // Fails closed (no one can sign for the local issuer on AWS), but an operator should know why.
      Annotations.of(this).addWarningV2(
        'bc-agent:local-jwt-issuer',
        `jwt.issuer is the local cloud's issuer; set your identity provider in cdk.json context "bc-agent:${config.stage}"`,
      );
    }

    this.tables = new Tables(this, 'Tables', { config });
    this.backbone = new EventBackbone(this, 'Events', { config });
    const { bus } = this.backbone;
    const tables = this.tables;
    // The Anthropic key (when configured) is read by the functions that call Claude.
    const claudeSecret = claudeSecretOf(this, config);

    this.businessCentral = new BusinessCentralAccess(this, 'BusinessCentral', { config });
    const businessCentral = this.businessCentral;
    this.mcpServer = new McpServer(this, 'McpServer', { config, bus, tables, businessCentral });
    this.saga = new PurchaseOrderSaga(this, 'PurchaseOrderSaga', { config, bus, tables, businessCentral });
    const saga = this.saga;

    // BC capacity governor: every function that calls BC shares one budget per BC environment and identity.
    const bcCapacity = bcCapacityAccess(config, tables);
    for (const handler of [this.mcpServer.handler, this.saga.steps, this.saga.repair.handler]) handler.use(bcCapacity);
    this.orchestrator = new Orchestrator(this, 'Orchestrator', { config, bus, tables, saga, claudeSecret });

    // --- Workers, each with a high and a normal lane.
    this.workers = Object.fromEntries(
      WORKER_TYPES.map((type) => [
        type,
        new WorkerQueue(this, `${type[0]!.toUpperCase()}${type.slice(1)}Worker`, {
          config,
          type,
          bus,
          tables,
          mcpServer: this.mcpServer,
          saga,
          claudeSecret,
        }),
      ]),
    ) as Record<WorkerType, WorkerQueue>;

    // Per-user BC access (config.bc.access): the orchestrator seals each caller's delegated grant, the workers
    // that reach BC redeem it and pass the person's token to the MCP server.
    this.bcDelegation = new BcDelegation(this, 'BcDelegation', { config, businessCentral });
    this.orchestrator.use(this.bcDelegation.sealing);
    for (const worker of Object.values(this.workers)) if (reachesBc(worker.type)) worker.handler.use(this.bcDelegation.redeeming);
    this.mcpServer.handler.use(this.bcDelegation.mode);
    // The purchase-order saga's steps write as the requester too (core/saga/requester.ts).
    this.saga.steps.use(this.bcDelegation.redeeming);

    // --- Consumers.
    this.consumers = {
      audit: new AuditConsumer(this, 'AuditConsumer', { config, bus, tables }),
      analytics: new AnalyticsConsumer(this, 'AnalyticsConsumer', { config, bus }),
      planProgress: new PlanProgressConsumer(this, 'PlanProgressConsumer', { config, bus, tables, claudeSecret }),
      approvalExpiry: new ApprovalExpiry(this, 'ApprovalExpiry', { config, bus, tables, saga }),
      planSweeper: new PlanSweeper(this, 'PlanSweeper', { config, bus, tables, saga }),
    };
    const { audit, analytics, planProgress, approvalExpiry, planSweeper } = this.consumers;

    this.orchestrator.readOperationsMetrics(analytics.handler.function);
    this.api = new Api(this, 'Api', { config, orchestrator: this.orchestrator.function });
    // Live progress: a WebSocket API, its connections table, and the notifier that pushes a session's events.
    this.push = new WebSocketPush(this, 'Push', { config, bus });
    this.webConsole = new WebConsole(this, 'WebConsole', { config, httpApi: this.api.httpApi });
    new CfnOutput(this, 'WebConsoleUrl', { value: this.webConsole.url, description: 'The web console (CloudFront); upload with: aws s3 sync .local/web s3://<WebConsoleBucket>/' });
    new CfnOutput(this, 'WebConsoleBucket', { value: this.webConsole.bucket.bucketName });

    // --- Alarms.
    this.observability = new Observability(this, 'Alarms', { config });
    const functions: Array<[string, HandlerFunction]> = [
      ['Orchestrator', this.orchestrator],
      ['McpServer', this.mcpServer.handler],
      ['SagaSteps', this.saga.steps],
      ...Object.values(this.workers).map((w): [string, HandlerFunction] => [`${w.type}Worker`, w.handler]),
      ['AuditConsumer', audit.handler],
      ['AnalyticsConsumer', analytics.handler],
      ['PlanProgressConsumer', planProgress.handler],
      ['ApprovalExpiry', approvalExpiry.handler],
      ['SagaRepair', this.saga.repair.handler],
      ['PlanSweeper', planSweeper.handler],
    ];
    for (const [name, handler] of functions) this.observability.watchFunction(name, handler.function, name);
    for (const worker of Object.values(this.workers)) {
      for (const [lane, { deadLetterQueue }] of Object.entries(worker.lanes)) {
        this.observability.watchDeadLetterQueue(`${worker.type}${lane}`, deadLetterQueue, `the ${worker.type} worker's ${lane} lane`);
      }
    }
    for (const [name, consumer] of Object.entries(this.consumers)) {
      this.observability.watchDeadLetterQueue(name, consumer.deadLetterQueue, `the ${name} consumer`);
    }
    this.observability.watchStateMachine('PurchaseOrderSaga', this.saga.stateMachine, 'the purchase-order saga');
    this.observability.watchFunction('WebSocketRoutes', this.push.routes.function, 'WebSocketRoutes');
    this.observability.watchFunction('Notifier', this.push.notifier.function, 'Notifier');
    this.observability.watchDeadLetterQueue('push', this.push.deadLetterQueue, 'the WebSocket push queue');
    this.observability.watchDeadLetterQueue('pushDelivery', this.push.deliveryDeadLetterQueue, 'events EventBridge could not put on the WebSocket push queue');
    // Breaker, compensation and stuck-plan alarms, the DLQs nobody named above, and the stage's dashboard.
    this.observability.watchOperations({ analytics: analytics.handler.function, stateMachine: this.saga.stateMachine });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'HTTP API base URL (routes under /v1)' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.push.url, description: 'WebSocket API (connect with ?token=<JWT>, then subscribe)' });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'McpServerUrl', { value: this.mcpServer.mcpUrl, description: 'MCP Streamable HTTP (IAM auth)' });
    new CfnOutput(this, 'BcCredentialsSecretArn', {
      value: this.businessCentral.credentials.secretArn,
      description: 'Put { "clientId", "clientSecret" } here after the first deploy',
    });
    new CfnOutput(this, 'PurchaseOrderSagaArn', { value: this.saga.stateMachine.stateMachineArn });
  }
}
