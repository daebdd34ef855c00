// Alarms per config: any message in a DLQ, Lambda errors, failed saga executions. Log retention and tracing are
// set where each resource is made (HandlerFunction, the saga, the API); this construct only watches.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';

export interface ObservabilityProps {
  readonly config: EnvironmentConfig;
}

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
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
    this.add(
      `${id}DlqDepth`,
      queue.metricApproximateNumberOfMessagesVisible({ period: this.period, statistic: 'Maximum' }),
      this.config.alarms.dlqDepthThreshold,
      `messages in the DLQ of ${description}`,
    );
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
}
