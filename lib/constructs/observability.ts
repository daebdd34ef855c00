// The operator's view of one stage: alarms (any message in any DLQ, Lambda errors, failed saga executions, an
// open breaker, a compensation that failed, stuck plans found by the sweeper) and a CloudWatch dashboard. Log
// retention and tracing are set where each resource is made (HandlerFunction, the saga, the API); this
// construct only watches.
//
// The event metrics are the analytics consumer's EMF output (functions/consumers/analytics/event-metrics.ts).
// Powertools writes each with the dimension set [service, stage, <the metric's own>], where `service` is the
// function's POWERTOOLS_SERVICE_NAME and `stage` its STAGE; CloudWatch shows nothing for a query whose
// dimensions differ in any name or value, so both are read from the analytics function's own environment.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import {
  BC_OUTCOMES,
  BREAKER_STATE_VALUE,
  METRIC,
  PLAN_OUTCOMES,
  ROLLBACK_STATUSES,
} from '../../functions/consumers/analytics/event-metrics.js';
import { TASK_TYPES } from '../../functions/core/plan/index.js';
import type { EnvironmentConfig } from '../config.js';
import { METRICS_NAMESPACE } from '../../functions/core/observability/index.js';

/**
 * The `service` dimension of the plan sweeper's StuckPlansFound: functions/core/sweeper's sweeperMetrics() sets
 * it explicitly (its POWERTOOLS_SERVICE_NAME follows the bc-agent-<path> convention and is not used).
 */
export const PLAN_SWEEPER_METRICS_SERVICE = 'plan-sweeper';
export const STUCK_PLANS_METRIC = 'StuckPlansFound';

export interface ObservabilityProps {
  readonly config: EnvironmentConfig;
}

export interface OperationsProps {
  /** The analytics consumer's function: its environment names the namespace and dimensions of its metrics. */
  readonly analytics: lambda.IFunction;
  /** The purchase-order saga: its executions' outcomes. */
  readonly stateMachine: sfn.IStateMachine;
}

/** Namespace and default dimensions a function's Powertools Metrics write (functions/core/observability). */
export interface MetricsIdentity {
  readonly namespace: string;
  readonly service: string;
  readonly stage: string;
}

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Every watched DLQ, with what it holds. */
  readonly deadLetterQueues = new Map<sqs.IQueue, string>();
  dashboard?: cloudwatch.Dashboard;
  private readonly config: EnvironmentConfig;
  private readonly action?: actions.SnsAction;

  constructor(scope: Construct, id: string, { config }: ObservabilityProps) {
    super(scope, id);
    this.config = config;
    if (config.alarms.actionTopicArn) {
      this.action = new actions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarms.actionTopicArn));
    }
  }

  private get period(): Duration {
    return Duration.minutes(this.config.alarms.periodMinutes);
  }

  private add(id: string, metric: cloudwatch.IMetric, threshold: number, description: string): void {
    if (!this.config.alarms.enabled) return;
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: this.config.alarms.evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `bc-agent ${this.config.stage}: ${description}`,
    });
    if (this.action) {
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
    }
    this.alarms.push(alarm);
  }

  /** Fires when messages wait in a dead-letter queue (each one is a task or event that was given up on). */
  watchDeadLetterQueue(id: string, queue: sqs.IQueue, description: string): void {
    if (this.deadLetterQueues.has(queue)) return;
    this.deadLetterQueues.set(queue, description);
    this.add(
      `${id}DlqDepth`,
      queue.metricApproximateNumberOfMessagesVisible({ period: this.period, statistic: 'Maximum' }),
      this.config.alarms.dlqDepthThreshold,
      `messages in the DLQ of ${description}`,
    );
  }

  /**
   * Watches every DLQ under `scope` not watched yet: a queue's redrive target and a function's
   * asynchronous-invocation DLQ (event consumers give their rule targets the same queue). A component added
   * later gets its DLQ alarm without anyone remembering to wire it.
   */
  watchEveryDeadLetterQueue(scope: IConstruct): void {
    const stack = Stack.of(scope);
    for (const construct of scope.node.findAll()) {
      let dlq: sqs.IQueue | undefined;
      if (construct instanceof sqs.Queue) dlq = construct.deadLetterQueue?.queue;
      else if (construct instanceof lambda.Function) dlq = construct.deadLetterQueue;
      if (!dlq || this.deadLetterQueues.has(dlq)) continue;
      const path = dlq.node.path.slice(stack.node.path.length + 1);
      this.watchDeadLetterQueue(path.replace(/[^A-Za-z0-9]/g, ''), dlq, path);
    }
  }

  watchFunction(id: string, fn: lambda.IFunction, description: string): void {
    this.add(
      `${id}Errors`,
      fn.metricErrors({ period: this.period, statistic: 'Sum' }),
      this.config.alarms.lambdaErrorsThreshold,
      `errors of ${description}`,
    );
  }

  watchStateMachine(id: string, stateMachine: sfn.IStateMachine, description: string): void {
    this.add(
      `${id}ExecutionsFailed`,
      stateMachine.metricFailed({ period: this.period, statistic: 'Sum' }),
      1,
      `failed executions of ${description}`,
    );
  }

  /**
   * The alarms on the event metrics and the stage's dashboard. Call last: the dashboard shows every DLQ of
   * the stack, so everything that has one must exist by then.
   */
  watchOperations({ analytics, stateMachine }: OperationsProps): void {
    this.watchEveryDeadLetterQueue(Stack.of(this));
    const events = metricsIdentityOf(analytics);
    const sweeper: MetricsIdentity = { namespace: events.namespace, service: PLAN_SWEEPER_METRICS_SERVICE, stage: events.stage };
    const m = new OperationsMetrics(events, sweeper);
    const alarmPeriod = this.period;

    this.add('BreakerOpen', m.breakerTransitions('open', 'Sum', alarmPeriod), 1, 'a BC circuit breaker opened');
    this.add(
      'CompensationFailed',
      m.events('rollback:compensation-failed', 'Sum', alarmPeriod),
      1,
      'a saga compensation failed after its retries (parked for repair; BC may still hold what the saga wrote)',
    );
    this.add('StuckPlans', m.stuckPlans('Sum', alarmPeriod), 1, 'the plan sweeper found plans whose progress stalled');

    this.dashboard = this.buildDashboard(m, stateMachine);
  }

  private buildDashboard(m: OperationsMetrics, stateMachine: sfn.IStateMachine): cloudwatch.Dashboard {
    const minute = Duration.minutes(1);
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, period: minute, ...extra });
    const perMinute = { leftYAxis: { min: 0, label: 'per minute', showUnits: false } };
    const milliseconds = { leftYAxis: { min: 0, label: 'ms', showUnits: false } };

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `bc-agent-${this.config.stage}-operations`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# bc-agent ${this.config.stage}\nEvent metrics: namespace \`${m.analytics.namespace}\`, service ` +
          `\`${m.analytics.service}\` (analytics consumer). Breaker state: 0 closed, 1 half-open, 2 open (last transition, repeated).`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph('Plans by outcome', PLAN_OUTCOMES.map((outcome) => m.planOutcome(outcome, 'Sum', minute).with({ label: outcome })), perMinute),
      graph(
        'Saga outcomes (purchase order)',
        [
          stateMachine.metricSucceeded({ statistic: 'Sum', period: minute, label: 'succeeded' }),
          stateMachine.metricFailed({ statistic: 'Sum', period: minute, label: 'failed' }),
          stateMachine.metricTimedOut({ statistic: 'Sum', period: minute, label: 'timed out' }),
          stateMachine.metricAborted({ statistic: 'Sum', period: minute, label: 'aborted' }),
        ],
        perMinute,
      ),
    );
    dashboard.addWidgets(
      ...TASK_TYPES.map((taskType) =>
        graph(
          `Task duration: ${taskType}`,
          (['p50', 'p95', 'p99'] as const).map((p) => m.taskDuration(taskType, p, minute).with({ label: p })),
          { ...milliseconds, width: 6 },
        ),
      ),
    );
    dashboard.addWidgets(
      graph(
        'BC latency',
        BC_OUTCOMES.flatMap((outcome) => (['p50', 'p95'] as const).map((p) => m.bcLatency(outcome, p, minute).with({ label: `${outcome} ${p}` }))),
        milliseconds,
      ),
      graph('BC calls and errors', [m.events('bc:operation:error', 'Sum', minute).with({ label: 'errors' })], {
        ...perMinute,
        right: [m.events('bc:operation:success', 'Sum', minute).with({ label: 'successes' })],
      }),
    );
    dashboard.addWidgets(
      graph(
        'Breaker transitions',
        (Object.keys(BREAKER_STATE_VALUE) as Array<keyof typeof BREAKER_STATE_VALUE>).map((to) =>
          m.breakerTransitions(to, 'Sum', minute).with({ label: `to ${to}` }),
        ),
        perMinute,
      ),
      graph(
        'Breaker state (worst breaker)',
        [
          // CloudWatch keeps no "current value": the latest transition's state is carried forward over the graph.
          new cloudwatch.MathExpression({
            expression: 'FILL(state, REPEAT)',
            usingMetrics: { state: m.breakerState('Maximum', minute) },
            label: 'state (0 closed, 1 half-open, 2 open)',
            period: minute,
          }),
        ],
        {
          leftYAxis: { min: 0, max: 2, showUnits: false },
          leftAnnotations: [{ value: BREAKER_STATE_VALUE.open, label: 'open', color: cloudwatch.Color.RED }],
        },
      ),
    );
    const dlqs = [...this.deadLetterQueues].map(([queue, description]) =>
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: minute, label: description }),
    );
    dashboard.addWidgets(
      graph('DLQ depth (messages visible)', dlqs, { leftYAxis: { min: 0, showUnits: false }, legendPosition: cloudwatch.LegendPosition.RIGHT }),
      graph(
        'Rollbacks',
        [
          ...ROLLBACK_STATUSES.map((status) => m.rollbackOutcome(status, 'Sum', minute).with({ label: status })),
          m.events('rollback:compensation-failed', 'Sum', minute).with({ label: 'compensation failed' }),
        ],
        perMinute,
      ),
    );
    dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Rollbacks incomplete (in range)',
        metrics: [
          m.rollbackOutcome('partial', 'Sum', minute).with({ label: 'incomplete' }),
          m.rollbackOutcome('repaired', 'Sum', minute).with({ label: 'repaired later' }),
          m.events('rollback:compensation-failed', 'Sum', minute).with({ label: 'compensations failed' }),
        ],
        setPeriodToTimeRange: true,
        width: 12,
        height: 4,
      }),
      graph('Stuck plans found by the sweeper', [m.stuckPlans('Sum', minute).with({ label: 'stuck plans' })], { ...perMinute, height: 4 }),
    );
    if (this.alarms.length > 0) {
      dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 6 }));
    }
    return dashboard;
  }
}

/** The metrics the dashboard and alarms read, with the exact dimension sets their emitters write. */
class OperationsMetrics {
  constructor(
    readonly analytics: MetricsIdentity,
    private readonly sweeper: MetricsIdentity,
  ) {}

  // No labels here: an alarm on a labelled metric becomes a metric-math alarm; the dashboard labels its lines.
  private metric(identity: MetricsIdentity, metricName: string, dimensions: Record<string, string>, statistic: string, period: Duration) {
    return new cloudwatch.Metric({
      namespace: identity.namespace,
      metricName,
      dimensionsMap: { service: identity.service, stage: identity.stage, ...dimensions },
      statistic,
      period,
    });
  }

  events(eventName: string, statistic: string, period: Duration) {
    return this.metric(this.analytics, METRIC.events, { eventName }, statistic, period);
  }
  planOutcome(outcome: string, statistic: string, period: Duration) {
    return this.metric(this.analytics, METRIC.planOutcome, { outcome }, statistic, period);
  }
  taskDuration(taskType: string, statistic: string, period: Duration) {
    return this.metric(this.analytics, METRIC.taskDuration, { taskType }, statistic, period);
  }
  bcLatency(outcome: string, statistic: string, period: Duration) {
    return this.metric(this.analytics, METRIC.bcOperationLatency, { outcome }, statistic, period);
  }
  breakerTransitions(to: string, statistic: string, period: Duration) {
    return this.metric(this.analytics, METRIC.breakerTransitions, { to }, statistic, period);
  }
  breakerState(statistic: string, period: Duration) {
    return this.metric(this.analytics, METRIC.breakerState, {}, statistic, period);
  }
  rollbackOutcome(status: string, statistic: string, period: Duration) {
    return this.metric(this.analytics, METRIC.rollbackOutcome, { status }, statistic, period);
  }
  stuckPlans(statistic: string, period: Duration) {
    return this.metric(this.sweeper, STUCK_PLANS_METRIC, {}, statistic, period);
  }
}

/** The namespace, service and stage a function's createMetrics() writes, read from its environment. */
export function metricsIdentityOf(fn: lambda.IFunction): MetricsIdentity {
  const cfn = fn.node.defaultChild as lambda.CfnFunction | undefined;
  const environment = cfn ? (Stack.of(fn).resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined) : undefined;
  const variables = environment?.variables ?? {};
  const read = (name: string): string => {
    const value = variables[name];
    if (typeof value !== 'string' || value.length === 0) throw new Error(`${fn.node.path} has no ${name} in its environment`);
    return value;
  };
  return {
    namespace: typeof variables.POWERTOOLS_METRICS_NAMESPACE === 'string' ? variables.POWERTOOLS_METRICS_NAMESPACE : METRICS_NAMESPACE,
    service: read('POWERTOOLS_SERVICE_NAME'),
    stage: read('STAGE'),
  };
}
