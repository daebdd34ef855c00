// The purchase-order saga (architecture §9, issue 5): a Standard Step Functions state machine (JSONPath)
// whose forward steps and compensations are all LambdaInvokes of functions/saga-steps/purchase-order with the
// payload `{ step, input }` (plus `taskToken` for the approval step).
//
//   Validate → RequestApproval (.waitForTaskToken) → CreateOrder → AddLines (Map) [→ ReserveInventory] → Done
//
// ReserveInventory (and ReleaseReservations) exist only on a stage with `saga.reservations` (lib/config.ts): it
// needs the itemReservations API of the extension in bc-extension/, which a standard tenant lacks. The shape
// comes from functions/core/saga/shape.ts; the steps and the repair sweep get it as SAGA_RESERVATIONS.
//
// After each committing step a `checkpoint:created` event; a failure of a committing step (after its retries)
// or of its checkpoint enters compensation where that step's undo begins, announced by `rollback:initiated`:
//
//   [ReleaseReservations →] DeleteLines → DeleteOrder → SummarizeRollback → rollback:completed → ReportFailed → Fail
//
// Every compensation is retried; one that still fails is parked for the repair sweep (a repair record in the
// state table, functions/core/saga/repair.ts), announced as `rollback:compensation-failed` with its repairId,
// and the next compensation still runs. Such a rollback ends in `RollbackPending`, never `RolledBack`; the
// sweep (functions/consumers/saga-repair) announces `rollback:completed` with `repaired: true` once BC is as
// before. A failure before anything was
// written (validation, approval denied or expired) ends in ReportFailed → Fail without compensation.
// task:completed (which needs the duration and attempt the saga cannot compute) is published by the step
// function's reportSucceeded / reportFailed steps; checkpoints and rollback events go through the Step
// Functions EventBridge integration.
//
// Execution input (the write worker starts it, named after the task id):
//   { tenantId, sessionId, planId, taskId, correlationId, requestedBy, order: { …, lines: [ … ] } }
// Step results accumulate under `$.results.<step>`; the failure that triggered compensation is `$.error`.
import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { approvalAccess, breakerAccess, eventBusAccess, stateAccess, type Access } from './access.js';
import type { BusinessCentralAccess } from './business-central.js';
import { HandlerFunction, logRetentionOf, removalPolicyOf } from './handler-function.js';
import { acknowledge, arnWildcardFinding } from './nag.js';
import { EventConsumer } from './event-consumer.js';
import type { Tables } from './tables.js';
import { ALL_FORWARD_STEPS, COMPENSATION_OF, compensationsFrom as compensationsOfShape, ROLLBACK_PENDING_ERROR, SAGA_RESERVATIONS_ENV, sagaShape } from '../../functions/core/saga/index.js';

const { JsonPath } = sfn;

/** The event source of everything the saga publishes. */
export const SAGA_EVENT_SOURCE = 'bc-agent.saga';

/**
 * Errors a forward step retries with backoff before compensating: BC briefly unavailable (the step function
 * throws `BcTransientError`), Lambda throttling, or a step that ran out of time (the Lambda's own timeout,
 * `Sandbox.Timedout`, or the task's, `States.Timeout`) — safe because every forward step first finds what an
 * earlier attempt made. LambdaInvoke's own retrier already covers Lambda's service exceptions.
 */
export const SAGA_TRANSIENT_ERRORS = ['BcTransientError', 'Lambda.TooManyRequestsException', 'Sandbox.Timedout', 'States.Timeout'] as const;

/**
 * Every committing forward step in order (a stage without reservations runs the first two), and the
 * compensation that undoes each.
 */
export const FORWARD_STEPS = ALL_FORWARD_STEPS;
export const COMPENSATIONS = COMPENSATION_OF;

type ForwardStep = (typeof FORWARD_STEPS)[number];

/**
 * The compensations that run when `failed` fails: its own undo, then those of the steps before it (on a
 * stage with reservations unless `reservations` says otherwise).
 */
export function compensationsFrom(failed: ForwardStep, reservations = true): string[] {
  return compensationsOfShape(sagaShape(reservations), failed);
}

/**
 * Every `step` the saga sends to functions/saga-steps/purchase-order. `addLine` runs once per line (its
 * input is `{ tenantId, sessionId, planId, taskId, correlationId, requestedBy, order, line, lineIndex }`); `requestApproval`
 * also gets `taskToken`; `parkCompensation` (input and `executionId`) parks the failed compensations and returns
 * `{ repairId }`; `summarizeRollback` returns `{ status: 'succeeded'|'partial', compensated, failed }`;
 * `reportSucceeded`/`reportFailed` publish task:completed (the failure is `input.error`).
 */
export { SAGA_STEPS } from '../../functions/core/saga/index.js';

export { ROLLBACK_PENDING_ERROR, SAGA_FAIL_ERRORS } from '../../functions/core/saga/index.js';

/** The IAM5 finding for `<execution arn of machine>:*`, what grantExecution grants. */
function executionWildcardFinding(machine: sfn.StateMachine): string {
  const machineId = Stack.of(machine).getLogicalId(machine.node.defaultChild as CfnElement);
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}:*]`;
}

/** Backoff for transient errors: 2 s, 4 s, with full jitter, then the Catch. */
const TRANSIENT_RETRY: sfn.RetryProps = {
  errors: [...SAGA_TRANSIENT_ERRORS],
  interval: Duration.seconds(2),
  maxAttempts: 3,
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

export interface PurchaseOrderSagaProps {
  readonly config: EnvironmentConfig;
  readonly bus: events.IEventBus;
  /** State (plans, repair records), approvals and the breaker's table. */
  readonly tables: Tables;
  /** The steps call BC themselves, behind the breaker. */
  readonly businessCentral: BusinessCentralAccess;
}

const pascal = (name: string): string => name[0]!.toUpperCase() + name.slice(1);

export class PurchaseOrderSaga extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly steps: HandlerFunction;
  readonly logGroup: logs.LogGroup;
  /** The scheduled repair sweep (functions/consumers/saga-repair): parked and abandoned rollbacks. */
  readonly repair: EventConsumer;
  /** For a function that starts executions (the write worker): PURCHASE_ORDER_SAGA_ARN and StartExecution. */
  readonly startAccess: Access;
  /** For a function that looks at executions (the plan sweeper): PURCHASE_ORDER_SAGA_ARN and DescribeExecution. */
  readonly describeAccess: Access;
  /** For a function that resumes a waiting approval step with its task token (SendTask*; no environment). */
  readonly taskResponseAccess: Access;

  private readonly bus: events.IEventBus;

  constructor(scope: Construct, id: string, props: PurchaseOrderSagaProps) {
    super(scope, id);
    const { config, tables, businessCentral } = props;
    this.bus = props.bus;
    const state = stateAccess(tables);
    const approvals = approvalAccess(config, tables);
    const breaker = breakerAccess(config, tables);
    const bus = eventBusAccess(props.bus);
    const shape = sagaShape(config.saga.reservations);
    // The steps and the repair sweep run the compensations of this shape (functions/core/saga/shape.ts).
    const settings: Record<string, string> = {
      [SAGA_RESERVATIONS_ENV]: String(shape.reservations),
      ...(config.bc.defaultLocationCode ? { SAGA_DEFAULT_LOCATION_CODE: config.bc.defaultLocationCode } : {}),
    };
    this.steps = new HandlerFunction(this, 'Steps', {
      config,
      handlerPath: 'saga-steps/purchase-order',
      description: `bc-agent ${config.stage}: purchase-order saga steps and compensations`,
      timeout: Duration.seconds(config.sagaStepTimeoutSeconds),
      environment: settings,
    });
    // The steps call BC themselves (behind the breaker) and keep approvals and state records.
    this.steps.use(state, approvals, breaker, bus, businessCentral);

    // Compensation chain, built backwards so each compensation knows what follows it.
    const failed = new sfn.Fail(this, 'RolledBack', {
      error: 'PurchaseOrderSagaFailed',
      cause: 'A forward step failed; the steps it had completed were compensated',
    });
    const failure = { code: JsonPath.stringAt('$.error.Error'), message: JsonPath.stringAt('$.error.Cause') };
    // A compensation that could not complete was parked (functions/core/saga/repair.ts): BC is not as before
    // yet, so the execution must not say "compensated"; the task's error names the repair.
    const pending = new sfn.Fail(this, 'RollbackPending', {
      error: ROLLBACK_PENDING_ERROR,
      cause: 'A forward step failed and a compensation could not complete; it is parked for the repair sweep (rollback:compensation-failed names the repair)',
    });
    const reportRolledBack = new sfn.Choice(this, 'RolledBackFully')
      // A Catch writes $.compensationErrors only when a compensation gave up (also if SummarizeRollback failed).
      .when(sfn.Condition.isPresent('$.compensationErrors'), this.reportStep('ReportRollbackPending', 'reportFailed', pending))
      .otherwise(this.reportStep('ReportRolledBack', 'reportFailed', failed));
    const rollbackCompleted = this.publish(
      'RollbackCompleted',
      'rollback:completed',
      {
        status: JsonPath.stringAt('$.rollback.status'),
        compensated: JsonPath.listAt('$.rollback.compensated'),
        failed: JsonPath.listAt('$.rollback.failed'),
      },
      reportRolledBack,
    );
    // Which compensations ran and which failed is data (`$.compensations`, `$.compensationErrors`); the
    // step function turns it into rollback:completed's { status, compensated, failed }.
    const summarizeRollback = this.reportStep('SummarizeRollback', 'summarizeRollback', rollbackCompleted, '$.rollback', reportRolledBack);

    let next: sfn.IChainable = summarizeRollback;
    const compensationEntry = {} as Record<ForwardStep, sfn.IChainable>;
    for (const forward of shape.forwardSteps) {
      const compensation = this.compensation(COMPENSATIONS[forward], next);
      compensationEntry[forward] = this.publish(
        `RollbackInitiatedAt${pascal(forward)}`,
        'rollback:initiated',
        { failedStep: forward, error: failure, steps: compensationsOfShape(shape, forward) },
        compensation,
      );
      next = compensation;
    }

    // Failures before BC was touched: nothing to undo.
    const notExecuted = this.reportStep(
      'ReportNotExecuted',
      'reportFailed',
      new sfn.Fail(this, 'NotExecuted', {
        error: 'PurchaseOrderNotExecuted',
        cause: 'Validation failed or the approval was denied or expired; nothing was written',
      }),
    );

    const validate = this.forwardStep('Validate', 'validate');
    validate.addCatch(notExecuted, { resultPath: '$.error' });

    const requestApproval = new tasks.LambdaInvoke(this, 'RequestApproval', {
      lambdaFunction: this.steps.function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ step: 'requestApproval', input: JsonPath.entirePayload, taskToken: JsonPath.taskToken }),
      resultPath: '$.results.approval',
      // The approval expires after ttlMinutes; this is the backstop if no one reports the expiry.
      taskTimeout: sfn.Timeout.duration(Duration.minutes(config.approvals.ttlMinutes + 5)),
    });
    requestApproval.addRetry(TRANSIENT_RETRY);
    requestApproval.addCatch(notExecuted, { resultPath: '$.error' });

    const addLines = new sfn.Map(this, 'AddLines', {
      itemsPath: '$.order.lines',
      // Lines are added one at a time so their sequence in BC follows the request.
      maxConcurrency: 1,
      itemSelector: {
        tenantId: JsonPath.stringAt('$.tenantId'),
        sessionId: JsonPath.stringAt('$.sessionId'),
        planId: JsonPath.stringAt('$.planId'),
        taskId: JsonPath.stringAt('$.taskId'),
        correlationId: JsonPath.stringAt('$.correlationId'),
        // Whose BC rights the line is written with under delegated access (core/saga/requester.ts).
        requestedBy: JsonPath.stringAt('$.requestedBy'),
        order: JsonPath.objectAt('$.results.createOrder'),
        line: JsonPath.objectAt('$$.Map.Item.Value'),
        lineIndex: JsonPath.numberAt('$$.Map.Item.Index'),
      },
      resultPath: '$.results.addLines',
    });
    addLines.itemProcessor(this.forwardStep('AddLine', 'addLine', '$'));
    const committing: Record<ForwardStep, () => sfn.TaskStateBase | sfn.Map> = {
      createOrder: () => this.forwardStep('CreateOrder', 'createOrder'),
      addLines: () => addLines,
      reserveInventory: () => this.forwardStep('ReserveInventory', 'reserveInventory'),
    };

    // Linked from the end: each committing step → its checkpoint → the next step.
    let after: sfn.IChainable = this.reportStep('ReportSucceeded', 'reportSucceeded', new sfn.Succeed(this, 'Done'));
    for (const step of [...shape.forwardSteps].reverse()) {
      const state = committing[step]();
      state.addCatch(compensationEntry[step], { resultPath: '$.error' });
      // A committed step whose checkpoint cannot be published is undone like a failed step: the saga's
      // history must be complete.
      const checkpoint = this.publish(`Checkpoint${pascal(step)}`, 'checkpoint:created', { step }, after, {
        state: compensationEntry[step],
        resultPath: '$.error',
      });
      after = sfn.Chain.start(state).next(checkpoint);
    }
    const definition = sfn.Chain.start(validate).next(requestApproval).next(after);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logRetentionOf(config),
      removalPolicy: removalPolicyOf(config),
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: `Purchase order: validate, approve, create order, add lines${shape.reservations ? ', reserve inventory' : ''}; compensates on failure`,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        // Execution data holds BC records; production logs keep only the state transitions.
        includeExecutionData: config.stage !== 'prod',
      },
      timeout: Duration.minutes(config.approvals.ttlMinutes + 60),
    });
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:*LogDelivery, DescribeResourcePolicies, DescribeLogGroups) and X-Ray accept only Resource *.',
    );
    acknowledge(
      this.stateMachine,
      arnWildcardFinding(this.steps.function, ':*'),
      'LambdaInvoke grants the saga-steps function and its versions (<arn>:*): one named function.',
    );

    // Every minute: park what ended without compensating, retry parked rollbacks until BC is as before. The
    // lease on a record outlives the function's timeout, so a sweep that dies is taken over, never doubled.
    const repairTimeout = Duration.seconds(config.sagaStepTimeoutSeconds * 4);
    this.repair = new EventConsumer(this, 'Repair', {
      config,
      bus: props.bus,
      handlerPath: 'consumers/saga-repair',
      description: `bc-agent ${config.stage}: repairs parked and abandoned purchase-order saga rollbacks`,
      schedule: { id: 'EveryMinute', schedule: events.Schedule.rate(Duration.minutes(1)) },
      timeout: repairTimeout,
      environment: {
        // The sweep builds the steps' dependencies (functions/core/saga/deps.ts), which name the approvals
        // table; it never reads or writes approvals, so it gets their settings without the grant.
        ...approvals.environment,
        ...settings,
        SAGA_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        SAGA_REPAIR_LEASE_SECONDS: String(repairTimeout.toSeconds() + 60),
      },
    });
    // ListExecutions on this state machine, DescribeExecution and GetExecutionHistory on its executions.
    this.stateMachine.grant(this.repair.handler.function, 'states:ListExecutions');
    this.stateMachine.grantExecution(this.repair.handler.function, 'states:DescribeExecution', 'states:GetExecutionHistory');
    const executionsFinding = executionWildcardFinding(this.stateMachine);
    acknowledge(
      this.repair,
      executionsFinding,
      'DescribeExecution/GetExecutionHistory on the executions of this one state machine; their names (task ids) are not known in advance.',
    );
    this.repair.handler.use(state, breaker, bus, businessCentral);

    const sagaArn = { PURCHASE_ORDER_SAGA_ARN: this.stateMachine.stateMachineArn };
    this.startAccess = {
      environment: sagaArn,
      grant: (handler) => this.stateMachine.grantStartExecution(handler.function),
    };
    this.describeAccess = {
      environment: sagaArn,
      grant: (handler) => {
        // Executions are named after their task, hence `:*`.
        this.stateMachine.grantExecution(handler.function, 'states:DescribeExecution');
        acknowledge(
          handler,
          executionsFinding,
          'DescribeExecution on the executions of the one purchase-order state machine; execution names are per task.',
        );
      },
    };
    this.taskResponseAccess = {
      environment: {},
      grant: (handler) => this.stateMachine.grantTaskResponse(handler.function),
    };
  }

  /** A forward step: `{ step, input: $ }`, transient errors retried with backoff, result under `$.results`. */
  private forwardStep(id: string, step: string, resultPath = `$.results.${step}`): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: this.steps.function,
      payload: sfn.TaskInput.fromObject({ step, input: JsonPath.entirePayload }),
      payloadResponseOnly: true,
      resultPath,
    });
    task.addRetry(TRANSIENT_RETRY);
    return task;
  }

  /**
   * A bookkeeping step (no BC writes): retried on any error; if it still fails the saga goes to `onFailure`
   * (default `next`) so that bookkeeping never blocks the outcome.
   */
  private reportStep(
    id: string,
    step: string,
    next: sfn.IChainable,
    resultPath: string = JsonPath.DISCARD,
    onFailure: sfn.IChainable = next,
  ): sfn.Chain {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: this.steps.function,
      payload: sfn.TaskInput.fromObject({ step, input: JsonPath.entirePayload, executionId: JsonPath.stringAt('$$.Execution.Id') }),
      payloadResponseOnly: true,
      resultPath,
    });
    task.addRetry({ interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    task.addCatch(onFailure, { resultPath: '$.reportError' });
    return sfn.Chain.start(task).next(next);
  }

  /**
   * A compensation: retried on any error (compensations are idempotent and "nothing to undo" succeeds);
   * if it still fails, it is parked for the repair sweep (a repair record, `$.repair`), the failure is
   * published and `next` runs anyway.
   */
  private compensation(step: string, next: sfn.IChainable): sfn.Chain {
    const id = pascal(step);
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: this.steps.function,
      payload: sfn.TaskInput.fromObject({ step, input: JsonPath.entirePayload }),
      payloadResponseOnly: true,
      resultPath: `$.compensations.${step}`,
    });
    task.addRetry({ interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    const recordFailure = this.publish(
      `Record${id}Failure`,
      'rollback:compensation-failed',
      {
        step,
        error: {
          code: JsonPath.stringAt(`$.compensationErrors.${step}.Error`),
          message: JsonPath.stringAt(`$.compensationErrors.${step}.Cause`),
        },
        repairId: JsonPath.stringAt('$.repair.repairId'),
      },
      next,
    );
    // Parking merges into the task's one repair record, so each failed compensation may park again. If
    // parking itself fails the rollback still ends as pending (never "compensated"), and the event is skipped.
    const park = this.reportStep(`Park${id}`, 'parkCompensation', recordFailure, '$.repair', next);
    task.addCatch(park, { resultPath: `$.compensationErrors.${step}` });
    return sfn.Chain.start(task).next(next);
  }

  /**
   * Publishes one event to the bus with the §4 envelope, then `next`. Retried; if it still fails, the saga
   * goes to `onFailure` (default: carries on with `next`, input unchanged, since the event is a record and
   * not a step).
   */
  private publish(
    id: string,
    detailType: string,
    fields: Record<string, unknown>,
    next: sfn.IChainable,
    onFailure: { state: sfn.IChainable; resultPath: string } = { state: next, resultPath: JsonPath.DISCARD },
  ): sfn.Chain {
    const task = new tasks.EventBridgePutEvents(this, id, {
      entries: [
        {
          eventBus: this.bus,
          source: SAGA_EVENT_SOURCE,
          detailType,
          detail: sfn.TaskInput.fromObject({
            eventId: JsonPath.uuid(),
            occurredAt: JsonPath.stringAt('$$.State.EnteredTime'),
            tenantId: JsonPath.stringAt('$.tenantId'),
            sessionId: JsonPath.stringAt('$.sessionId'),
            planId: JsonPath.stringAt('$.planId'),
            taskId: JsonPath.stringAt('$.taskId'),
            correlationId: JsonPath.stringAt('$.correlationId'),
            // The task caused it (as for the steps' own events): the execution ARN can exceed the envelope's 128 chars.
            causationId: JsonPath.stringAt('$.taskId'),
            schemaVersion: 1,
            executionId: JsonPath.stringAt('$$.Execution.Id'),
            ...fields,
          }),
        },
      ],
      resultPath: JsonPath.DISCARD,
    });
    task.addRetry({ interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2 });
    task.addCatch(onFailure.state, { resultPath: onFailure.resultPath });
    return sfn.Chain.start(task).next(next);
  }
}
