// One environment of bc-claude-agent (architecture §1): HTTP API → orchestrator → bus → worker lanes and
// consumers, the purchase-order saga, the MCP server in front of Business Central, the tables, and alarms.
// Each function gets the environment of docs/internals.md and only the grants its job needs.
import { Annotations, type CfnElement, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { LOCAL_JWT_ISSUER, WORKER_TYPES, type EnvironmentConfig, type WorkerType } from './config.js';
import { Api } from './constructs/api.js';
import { BusinessCentralAccess } from './constructs/business-central.js';
import { EVENT_SOURCE_PREFIX, EventBackbone } from './constructs/event-bus.js';
import { EventConsumer } from './constructs/event-consumer.js';
import { HandlerFunction } from './constructs/handler-function.js';
import { McpServer } from './constructs/mcp-server.js';
import { acknowledge } from './constructs/nag.js';
import { Observability } from './constructs/observability.js';
import { PurchaseOrderSaga } from './constructs/purchase-order-saga.js';
import { Tables } from './constructs/tables.js';
import { WorkerQueue } from './constructs/worker-queue.js';

export type BcAgentStackProps = { config: EnvironmentConfig } & StackProps;

/** Events that move a plan forward or change what its status shows (architecture §4, §6, issue 6). */
export const PLAN_PROGRESS_EVENTS = [
  'task:updated',
  'task:completed',
  'approval:requested',
  'approval:granted',
  'approval:denied',
  'approval:expired',
] as const;

export class BcAgentStack extends Stack {
  readonly config: EnvironmentConfig;
  readonly tables: Tables;
  readonly backbone: EventBackbone;
  readonly businessCentral: BusinessCentralAccess;
  readonly mcpServer: McpServer;
  readonly saga: PurchaseOrderSaga;
  readonly orchestrator: HandlerFunction;
  readonly workers: Record<WorkerType, WorkerQueue>;
  readonly consumers: { audit: EventConsumer; analytics: EventConsumer; planProgress: EventConsumer; approvalExpiry: EventConsumer; planSweeper: EventConsumer };
  readonly api: Api;
  readonly observability: Observability;

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
    const { state, approvals, breakers, idempotency, audit } = this.tables;
    const claudeSecret = config.claude.secretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'AnthropicKey', config.claude.secretArn)
      : undefined;
    const claudeEnvironment: Record<string, string> = {
      ANTHROPIC_MODEL: config.claude.model,
      ...(claudeSecret ? { ANTHROPIC_SECRET_ARN: claudeSecret.secretArn } : {}),
    };
    const breakerEnvironment = {
      BREAKERS_TABLE: breakers.tableName,
      BREAKER_THRESHOLD: String(config.breaker.threshold),
      BREAKER_WINDOW_SECONDS: String(config.breaker.windowSeconds),
      BREAKER_OPEN_SECONDS: String(config.breaker.openSeconds),
    };
    const approvalEnvironment = {
      APPROVALS_TABLE: approvals.tableName,
      APPROVAL_TTL_MINUTES: String(config.approvals.ttlMinutes),
      APPROVAL_AUTO_APPROVE: config.approvals.autoApprove.join(','),
      APPROVAL_ALLOW_SELF: String(config.approvals.allowSelfApproval),
    };

    this.businessCentral = new BusinessCentralAccess(this, 'BusinessCentral', { config });
    this.mcpServer = new McpServer(this, 'McpServer', { config, bus, tables: this.tables, businessCentral: this.businessCentral });

    // --- Saga: its steps call BC themselves (behind the breaker) and keep approvals and state records.
    this.saga = new PurchaseOrderSaga(this, 'PurchaseOrderSaga', {
      config,
      bus,
      environment: {
        EVENT_BUS_NAME: bus.eventBusName,
        STATE_TABLE: state.tableName,
        ...this.businessCentral.environment,
        ...approvalEnvironment,
        ...breakerEnvironment,
        ...(config.bc.defaultLocationCode ? { SAGA_DEFAULT_LOCATION_CODE: config.bc.defaultLocationCode } : {}),
      },
    });
    const sagaSteps = this.saga.steps.function;
    state.grantReadWriteData(sagaSteps);
    this.tables.grantApprovalsReadWrite(this.saga.steps);
    breakers.grantReadWriteData(sagaSteps);
    bus.grantPutEventsTo(sagaSteps);
    this.businessCentral.grantCredentials(sagaSteps);
    const sagaRepair = this.saga.repair.handler.function;
    state.grantReadWriteData(sagaRepair);
    breakers.grantReadWriteData(sagaRepair);
    bus.grantPutEventsTo(sagaRepair);
    this.businessCentral.grantCredentials(sagaRepair);

    // --- Orchestrator: plans, approvals (it resumes a waiting saga with the task token), events.
    this.orchestrator = new HandlerFunction(this, 'Orchestrator', {
      config,
      handlerPath: 'orchestrator',
      description: `bc-agent ${config.stage}: HTTP API (plans, sessions, approvals)`,
      timeout: Duration.seconds(config.api.timeoutSeconds),
      memorySize: 1024,
      environment: {
        EVENT_BUS_NAME: bus.eventBusName,
        STATE_TABLE: state.tableName,
        MAX_BODY_BYTES: String(config.limits.bodyBytes),
        MAX_TEXT_CHARS: String(config.limits.textChars),
        MAX_TASKS_PER_PLAN: String(config.limits.tasksPerPlan),
        ...approvalEnvironment,
        ...claudeEnvironment,
        // GET /v1/plans/{planId}/events reads the plan's story; record links point at this stage's BC web client.
        AUDIT_TABLE: audit.tableName,
        BC_WEB_CLIENT_URL: config.bc.webClientUrl,
        BC_TENANT: config.bc.tenant,
        BC_ENVIRONMENT: config.bc.environment,
        ...(config.bc.companyName ? { BC_COMPANY_NAME: config.bc.companyName } : {}),
      },
    });
    const orchestrator = this.orchestrator.function;
    state.grantReadWriteData(orchestrator);
    this.tables.grantApprovalsReadWrite(this.orchestrator);
    bus.grantPutEventsTo(orchestrator);
    this.saga.stateMachine.grantTaskResponse(orchestrator);
    claudeSecret?.grantRead(orchestrator);
    audit.grant(orchestrator, 'dynamodb:Query');

    // --- Workers, each with a high and a normal lane.
    const workerEnvironment = (type: WorkerType): Record<string, string> => {
      const environment: Record<string, string> = {
        EVENT_BUS_NAME: bus.eventBusName,
        STATE_TABLE: state.tableName,
        IDEMPOTENCY_TABLE: idempotency.tableName,
      };
      // Query and write reach BC through the MCP server, which holds the circuit breaker; analysis summarises
      // results already stored and validation checks against the entity catalogue, so neither may call it.
      if (reachesBc(type)) environment.MCP_SERVER_URL = this.mcpServer.mcpUrl;
      if (type === 'write') {
        Object.assign(environment, approvalEnvironment, { PURCHASE_ORDER_SAGA_ARN: this.saga.stateMachine.stateMachineArn });
      }
      if (type === 'analysis') Object.assign(environment, claudeEnvironment);
      return environment;
    };
    this.workers = Object.fromEntries(
      WORKER_TYPES.map((type) => [
        type,
        new WorkerQueue(this, `${type[0]!.toUpperCase()}${type.slice(1)}Worker`, {
          config,
          type,
          bus,
          environment: workerEnvironment(type),
        }),
      ]),
    ) as Record<WorkerType, WorkerQueue>;
    for (const worker of Object.values(this.workers)) {
      const fn = worker.handler.function;
      state.grantReadWriteData(fn);
      idempotency.grantReadWriteData(fn);
      bus.grantPutEventsTo(fn);
      if (reachesBc(worker.type)) this.mcpServer.grantInvokeUrl(fn);
    }
    const writer = this.workers.write.handler.function;
    this.tables.grantApprovalsReadWrite(this.workers.write.handler);
    this.saga.stateMachine.grantStartExecution(writer);
    claudeSecret?.grantRead(this.workers.analysis.handler.function);
    // A granted single write resumes in the write worker's high lane: the person has waited already.
    // (A saga's approval resumes through the task token instead; the write worker ignores those.)
    this.workers.write.route(
      'ApprovalGranted',
      { source: events.Match.prefix(EVENT_SOURCE_PREFIX), detailType: ['approval:granted'] },
      'high',
      bus,
    );

    // --- Consumers.
    const auditConsumer = new EventConsumer(this, 'AuditConsumer', {
      config,
      bus,
      handlerPath: 'consumers/audit',
      description: `bc-agent ${config.stage}: audit log of every event`,
      patterns: { AllAgentEvents: { source: events.Match.prefix(EVENT_SOURCE_PREFIX) } },
      environment: { AUDIT_TABLE: audit.tableName, AUDIT_RETENTION_DAYS: String(config.retention.auditDays) },
    });
    // The audit log is append-only: the consumer may add records (idempotent on eventId) and nothing else.
    audit.grant(auditConsumer.handler.function, 'dynamodb:PutItem', 'dynamodb:BatchWriteItem');
    const analytics = new EventConsumer(this, 'AnalyticsConsumer', {
      config,
      bus,
      handlerPath: 'consumers/analytics',
      description: `bc-agent ${config.stage}: counts and latencies as metrics`,
      // Every event on the bus, including any a future component publishes under another source.
      patterns: { AllEvents: { account: [this.account] } },
    });
    const planProgress = new EventConsumer(this, 'PlanProgressConsumer', {
      config,
      bus,
      handlerPath: 'consumers/plan-progress',
      description: `bc-agent ${config.stage}: plan status and dispatch of the next level`,
      patterns: {
        PlanEvents: { source: events.Match.prefix(EVENT_SOURCE_PREFIX), detailType: [...PLAN_PROGRESS_EVENTS] },
      },
      environment: {
        EVENT_BUS_NAME: bus.eventBusName,
        STATE_TABLE: state.tableName,
        IDEMPOTENCY_TABLE: idempotency.tableName,
        ...claudeEnvironment,
      },
      // It writes the plan's final answer (with Claude when configured), like the analysis worker.
      timeout: Duration.seconds(config.workers.analysis.timeoutSeconds),
    });
    claudeSecret?.grantRead(planProgress.handler.function);
    state.grantReadWriteData(planProgress.handler.function);
    idempotency.grantReadWriteData(planProgress.handler.function);
    bus.grantPutEventsTo(planProgress.handler.function);
    // Expires approvals nobody decided (reads and decisions expire overdue ones too; this catches the rest), so
    // the waiting write or saga ends instead of waiting for the saga's own timeout.
    const approvalExpiry = new EventConsumer(this, 'ApprovalExpiry', {
      config,
      bus,
      handlerPath: 'consumers/approval-expiry',
      description: `bc-agent ${config.stage}: expires overdue approvals`,
      schedule: { id: 'EveryMinute', schedule: events.Schedule.rate(Duration.minutes(1)) },
      environment: { EVENT_BUS_NAME: bus.eventBusName, ...approvalEnvironment },
    });
    this.tables.grantApprovalsReadWrite(approvalExpiry.handler);
    bus.grantPutEventsTo(approvalExpiry.handler.function);
    this.saga.stateMachine.grantTaskResponse(approvalExpiry.handler.function);
    // Drives plans whose progress stalled (a lost message, a dead worker, a saga that ended unheard) to a final
    // state; its StuckPlansFound metric counts the plans it had to act on.
    const planSweeper = new EventConsumer(this, 'PlanSweeper', {
      config,
      bus,
      handlerPath: 'consumers/plan-sweeper',
      description: `bc-agent ${config.stage}: drives stalled plans to a final state`,
      schedule: { id: 'Periodic', schedule: events.Schedule.rate(Duration.minutes(config.sweeper.periodMinutes)) },
      environment: {
        EVENT_BUS_NAME: bus.eventBusName,
        STATE_TABLE: state.tableName,
        IDEMPOTENCY_TABLE: idempotency.tableName,
        PURCHASE_ORDER_SAGA_ARN: this.saga.stateMachine.stateMachineArn,
        SWEEP_DISPATCHED_SECONDS: String(config.sweeper.dispatchedSeconds),
        SWEEP_RUNNING_SECONDS: String(config.sweeper.runningSeconds),
        SWEEP_SETTLE_SECONDS: String(config.sweeper.settleSeconds),
        // A single write waits for its approval's TTL; the approval sweep ends it then, this is the backstop.
        SWEEP_APPROVAL_SECONDS: String(config.approvals.ttlMinutes * 60 + 5 * 60),
        SWEEP_MAX_REDISPATCHES: String(config.sweeper.maxRedispatches),
        SWEEP_MAX_PLANS: String(config.sweeper.maxPlansPerRun),
      },
    });
    state.grantReadWriteData(planSweeper.handler.function);
    idempotency.grantReadWriteData(planSweeper.handler.function);
    bus.grantPutEventsTo(planSweeper.handler.function);
    // DescribeExecution of the saga a task started (executions are named after their task, hence `:*`).
    this.saga.stateMachine.grantExecution(planSweeper.handler.function, 'states:DescribeExecution');
    const sagaLogicalId = this.getLogicalId(this.saga.stateMachine.node.defaultChild as CfnElement);
    acknowledge(
      planSweeper.handler,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${sagaLogicalId}"}]}]}:*]`,
      'DescribeExecution on the executions of the one purchase-order state machine; execution names are per task.',
    );
    this.consumers = { audit: auditConsumer, analytics, planProgress, approvalExpiry, planSweeper };

    this.api = new Api(this, 'Api', { config, orchestrator });

    // --- Alarms.
    this.observability = new Observability(this, 'Alarms', { config });
    const functions: Array<[string, HandlerFunction]> = [
      ['Orchestrator', this.orchestrator],
      ['McpServer', this.mcpServer.handler],
      ['SagaSteps', this.saga.steps],
      ...Object.values(this.workers).map((w): [string, HandlerFunction] => [`${w.type}Worker`, w.handler]),
      ['AuditConsumer', auditConsumer.handler],
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
    // Breaker, compensation and stuck-plan alarms, the DLQs nobody named above, and the stage's dashboard.
    this.observability.watchOperations({ analytics: analytics.handler.function, stateMachine: this.saga.stateMachine });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'HTTP API base URL (routes under /v1)' });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'McpServerUrl', { value: this.mcpServer.mcpUrl, description: 'MCP Streamable HTTP (IAM auth)' });
    new CfnOutput(this, 'BcCredentialsSecretArn', {
      value: this.businessCentral.credentials.secretArn,
      description: 'Put { "clientId", "clientSecret" } here after the first deploy',
    });
    new CfnOutput(this, 'PurchaseOrderSagaArn', { value: this.saga.stateMachine.stateMachineArn });
  }
}

/** The worker types that call BC (through the MCP server). */
function reachesBc(type: WorkerType): boolean {
  return type === 'query' || type === 'write';
}
