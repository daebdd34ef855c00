// A Lambda consumer of the bus: its rule(s), the function, and one DLQ that receives both what EventBridge
// could not deliver (after the target's retry policy) and what Lambda could not process (after its async
// retries), so a lost event is always in exactly one inspectable place.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { HandlerFunction } from './handler-function.js';
import { deadLetterQueue } from './queues.js';

export interface EventConsumerProps {
  readonly config: EnvironmentConfig;
  readonly bus: events.IEventBus;
  /** The handler's folder under functions/, e.g. `consumers/audit`. */
  readonly handlerPath: string;
  readonly description: string;
  /** What the consumer receives; one rule per pattern. */
  readonly patterns?: Record<string, events.EventPattern>;
  /** Runs the consumer on a schedule too (a rule on the default bus, where schedules live). */
  readonly schedule?: { id: string; schedule: events.Schedule };
  readonly environment?: Record<string, string>;
  /** Overrides config.consumers.timeoutSeconds (a consumer that calls Claude needs longer). */
  readonly timeout?: Duration;
}

export class EventConsumer extends Construct {
  readonly handler: HandlerFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: EventConsumerProps) {
    super(scope, id);
    const { config } = props;
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', config, `events for ${props.handlerPath}`);
    this.handler = new HandlerFunction(this, 'Handler', {
      config,
      handlerPath: props.handlerPath,
      description: props.description,
      timeout: props.timeout ?? Duration.seconds(config.consumers.timeoutSeconds),
      environment: props.environment,
      deadLetterQueue: this.deadLetterQueue,
    });
    const target = () =>
      new targets.LambdaFunction(this.handler.function, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: config.consumers.retryAttempts,
        maxEventAge: Duration.seconds(config.consumers.maxEventAgeSeconds),
      });
    for (const [ruleId, eventPattern] of Object.entries(props.patterns ?? {})) {
      const rule = new events.Rule(this, ruleId, {
        eventBus: props.bus,
        description: `${props.handlerPath}: ${ruleId}`,
        eventPattern,
      });
      rule.addTarget(target());
      this.rules.push(rule);
    }
    if (props.schedule) {
      const rule = new events.Rule(this, props.schedule.id, {
        description: `${props.handlerPath}: ${props.schedule.id}`,
        schedule: props.schedule.schedule,
      });
      rule.addTarget(target());
      this.rules.push(rule);
    }
  }
}
