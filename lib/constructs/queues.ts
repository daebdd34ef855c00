// Every SQS queue of the stack is made here, so encryption, TLS-only access and retention are uniform.
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { MAX_RECEIVE_COUNT, type EnvironmentConfig } from '../config.js';
import { acknowledge } from './nag.js';

const common = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const;

/**
 * A dead-letter queue: messages stay the longest SQS allows (config.retention.dlqDays) so an operator can
 * inspect and redrive them (`npm run dlq`).
 */
export function deadLetterQueue(scope: Construct, id: string, config: EnvironmentConfig, purpose: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    ...common,
    retentionPeriod: Duration.days(config.retention.dlqDays),
  });
  acknowledge(queue, 'AwsSolutions-SQS3', `This queue is itself a dead-letter queue (${purpose}).`);
  return queue;
}

/** A work queue that hands a message to its DLQ after MAX_RECEIVE_COUNT receives. */
export function workQueue(
  scope: Construct,
  id: string,
  props: { visibilityTimeout: Duration; deadLetterQueue: sqs.IQueue },
): sqs.Queue {
  return new sqs.Queue(scope, id, {
    ...common,
    visibilityTimeout: props.visibilityTimeout,
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
  });
}
