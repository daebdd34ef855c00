import { AwsError } from '../protocol.js';
import type { MessageAttributeValue } from './md5.js';

/** A message as stored: the wire fields plus the bookkeeping visibility and redrive need. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  md5OfMessageAttributes?: string;
  sentTimestamp: number;
  senderId: string;
  /** Epoch ms from which the message may be received (delay or visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** The most recent receipt handle; older handles of the same message stay accepted as AWS does. */
  receiptHandle?: string;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
  /** Set when the message was moved here by a redrive policy: the queue it came from. */
  deadLetterQueueSourceArn?: string;
}

export const DEFAULT_QUEUE_ATTRIBUTES: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  DelaySeconds: '0',
  MessageRetentionPeriod: '345600',
  MaximumMessageSize: '1048576',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
};

/** Attributes an operator may set, with their valid integer ranges where they are numeric. */
const SETTABLE_ATTRIBUTES: Record<string, [number, number] | null> = {
  VisibilityTimeout: [0, 43_200],
  DelaySeconds: [0, 900],
  MessageRetentionPeriod: [60, 1_209_600],
  MaximumMessageSize: [1024, 1_048_576],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  RedrivePolicy: null,
  RedriveAllowPolicy: null,
  FifoQueue: null,
  ContentBasedDeduplication: null,
  DeduplicationScope: null,
  FifoThroughputLimit: null,
  KmsMasterKeyId: null,
  KmsDataKeyReusePeriodSeconds: null,
  SqsManagedSseEnabled: null,
  Policy: null,
};

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export function invalidAttribute(message: string): AwsError {
  return new AwsError('InvalidAttributeValue', message, 400, 'InvalidAttributeValue');
}

/** Validates operator-supplied attributes and returns them normalised (RedrivePolicy re-serialised). */
export function validateQueueAttributes(attributes: Record<string, string>, fifo: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attributes)) {
    if (!Object.hasOwn(SETTABLE_ATTRIBUTES, name)) {
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`, 400, 'InvalidAttributeName');
    }
    // CloudFormation gives numbers and a RedrivePolicy object; the wire gives strings.
    const value = typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : String(raw);
    const range = SETTABLE_ATTRIBUTES[name];
    if (range) {
      const number = Number(value);
      if (!Number.isInteger(number) || number < range[0] || number > range[1]) {
        throw invalidAttribute(`Invalid value for the parameter ${name}: must be an integer from ${range[0]} to ${range[1]}.`);
      }
    }
    if (name === 'RedrivePolicy') {
      result[name] = value === '' ? '' : JSON.stringify(parseRedrivePolicy(value));
      continue;
    }
    if (name === 'FifoQueue' && (value === 'true') !== fifo) {
      throw invalidAttribute('The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix');
    }
    result[name] = value;
  }
  return result;
}

export function parseRedrivePolicy(value: string): RedrivePolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidAttribute('Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.');
  }
  const policy = parsed as Record<string, unknown>;
  const maxReceiveCount = Number(policy?.maxReceiveCount);
  if (typeof policy?.deadLetterTargetArn !== 'string' || !policy.deadLetterTargetArn.startsWith('arn:')) {
    throw invalidAttribute('Invalid value for the parameter RedrivePolicy. Reason: deadLetterTargetArn must be a queue ARN.');
  }
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw invalidAttribute('Invalid value for the parameter RedrivePolicy. Reason: maxReceiveCount must be an integer from 1 to 1000.');
  }
  return { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount };
}

export interface QueueState {
  name: string;
  attributes: Record<string, string>;
  createdTimestamp: number;
  lastModifiedTimestamp: number;
  messages: StoredMessage[];
  sequence: number;
}

export const isFifoName = (name: string): boolean => name.endsWith('.fifo');

export function validateQueueName(name: string): void {
  const base = isFifoName(name) ? name.slice(0, -5) : name;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(base) || name.length > 80) {
    throw new AwsError('InvalidParameterValue',
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length', 400, 'InvalidParameterValue');
  }
}

/** Counts shown by GetQueueAttributes: visible, in flight (received, not yet visible again), delayed. */
export function messageCounts(queue: QueueState, now: number): { visible: number; notVisible: number; delayed: number } {
  let visible = 0;
  let notVisible = 0;
  let delayed = 0;
  for (const message of queue.messages) {
    if (message.visibleAt <= now) visible++;
    else if (message.receiveCount === 0) delayed++;
    else notVisible++;
  }
  return { visible, notVisible, delayed };
}

export function redrivePolicyOf(queue: QueueState): RedrivePolicy | undefined {
  const text = queue.attributes.RedrivePolicy;
  return text ? parseRedrivePolicy(text) : undefined;
}

export const numberAttribute = (queue: QueueState, name: string): number =>
  Number(queue.attributes[name] ?? DEFAULT_QUEUE_ATTRIBUTES[name] ?? 0);
