import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Collection, Journal } from '../journal.js';
import { AwsError } from '../protocol.js';
import { md5Hex, md5OfMessageAttributes, type MessageAttributeValue } from './md5.js';
import {
  DEFAULT_QUEUE_ATTRIBUTES, isFifoName, messageCounts, numberAttribute, redrivePolicyOf, validateQueueAttributes,
  validateQueueName, type QueueState, type StoredMessage,
} from './queue.js';

/** A received message in the shape an SQS event source mapping builds its Lambda records from. */
export interface SqsMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  /** System attributes: ApproximateReceiveCount, SentTimestamp, ApproximateFirstReceiveTimestamp, SenderId, ... */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttributeValue>;
  eventSourceARN: string;
}

export interface ReceiveOptions {
  /** 1..10, default 1. */
  maxMessages?: number;
  /** Long polling: wait up to this many seconds for a message (default: the queue's ReceiveMessageWaitTimeSeconds). */
  waitTimeSeconds?: number;
  /** Overrides the queue's VisibilityTimeout for these messages. */
  visibilityTimeout?: number;
  /** Abandons a long poll (e.g. the HTTP client went away) without taking messages. */
  signal?: AbortSignal;
}

export interface SendOptions {
  delaySeconds?: number;
  messageAttributes?: Record<string, MessageAttributeValue>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  senderId?: string;
}

export interface SendResult {
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  sequenceNumber?: string;
}

export interface MessageMoveTask {
  TaskHandle: string;
  Status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  SourceArn: string;
  DestinationArn?: string;
  MaxNumberOfMessagesPerSecond?: number;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  StartedTimestamp: number;
  FailureReason?: string;
}

export interface LocalSqsOptions {
  clock: Clock;
  region: string;
  accountId: string;
  /** The endpoint URL queue URLs are built on (known only once the server listens). */
  baseUrl: () => string;
  /** Keeps queues and messages across restarts, each change durable before it is acknowledged; omitted = in memory only. */
  journal?: Journal;
}

interface Waiter {
  queue: string;
  options: ReceiveOptions;
  resolve: (messages: SqsMessage[]) => void;
  timer: unknown;
  onAbort?: () => void;
}

/** The journal records of SQS: queue settings (without messages), each message under `<queue>/<id>`, move tasks. */
interface Store {
  queues: Collection<QueueState>;
  messages: Collection<StoredMessage>;
  moveTasks: Collection<MessageMoveTask>;
}

const MAX_VISIBILITY_SECONDS = 43_200;
const QUEUE_ATTRIBUTE_NAMES = new Set([
  'Policy', 'VisibilityTimeout', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible', 'CreatedTimestamp', 'LastModifiedTimestamp', 'QueueArn',
  'ApproximateNumberOfMessagesDelayed', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy', 'FifoQueue',
  'ContentBasedDeduplication', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'DeduplicationScope', 'FifoThroughputLimit',
  'RedriveAllowPolicy', 'SqsManagedSseEnabled',
]);
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;
// Characters SQS accepts in a body or string attribute (XML 1.0 character ranges).
const INVALID_CHARACTERS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export const queueDoesNotExist = (): AwsError =>
  new AwsError('QueueDoesNotExist', 'The specified queue does not exist.', 400, 'AWS.SimpleQueueService.NonExistentQueue');
const invalidParameter = (message: string): AwsError =>
  new AwsError('InvalidParameterValue', message, 400, 'InvalidParameterValue');
const invalidReceiptHandle = (handle: string): AwsError =>
  new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, 400, 'ReceiptHandleIsInvalid');

/** SQS queues and messages: visibility, receive counts, delays, DLQ redrive, FIFO groups, long polling. */
export class LocalSqs {
  private readonly queues = new Map<string, QueueState>();
  private readonly moveTasks: MessageMoveTask[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly wakeTimers = new Map<string, { at: number; handle: unknown }>();
  private readonly deduplication = new Map<string, { messageId: string; until: number }>();
  private readonly store?: Store;
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly options: LocalSqsOptions) {
    this.clock = options.clock;
    if (options.journal) {
      const store: Store = {
        queues: options.journal.collection<QueueState>('sqs.queues', ({ messages: _messages, ...settings }) => settings),
        messages: options.journal.collection<StoredMessage>('sqs.messages'),
        moveTasks: options.journal.collection<MessageMoveTask>('sqs.moveTasks'),
      };
      this.store = store;
      for (const [name, saved] of store.queues.loaded) {
        const queue: QueueState = { ...(saved as Omit<QueueState, 'messages'>), messages: [] };
        this.queues.set(name, queue);
      }
      // In-flight messages keep their visibleAt and receive count: they come back after their visibility timeout.
      for (const [key, message] of store.messages.loaded) {
        const queue = this.queues.get(key.slice(0, key.indexOf('/')));
        if (queue) queue.messages.push(message as StoredMessage);
        else store.messages.delete(key);
      }
      for (const [, task] of store.moveTasks.loaded) this.moveTasks.unshift(task as MessageMoveTask);
    }
  }

  // ---- naming ----

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`;
  }

  queueUrl(name: string): string {
    return `${this.options.baseUrl()}/${this.options.accountId}/${name}`;
  }

  /** Finds a queue by URL (any host), ARN or bare name. */
  private queue(ref: string): QueueState {
    const name = ref.startsWith('arn:') ? ref.split(':').at(-1)! : ref.split('?')[0]!.split('/').filter(Boolean).at(-1) ?? '';
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  // ---- queues ----

  /**
   * Creates a queue. In-process callers (the runtime applying a template) get create-or-update: an existing
   * queue takes the given attributes. `strict` is CreateQueue's wire behaviour: differing attributes → QueueNameExists.
   */
  createQueue(name: string, attributes: Record<string, string> = {}, options: { strict?: boolean } = {}): { url: string; arn: string } {
    validateQueueName(name);
    const fifo = isFifoName(name);
    if (!fifo && attributes.FifoQueue === 'true') throw invalidParameter('The name of a FIFO queue must end with the .fifo suffix.');
    const validated = validateQueueAttributes(attributes, fifo);
    const existing = this.queues.get(name);
    if (existing) {
      const differs = Object.entries(validated).some(([key, value]) => (existing.attributes[key] ?? DEFAULT_QUEUE_ATTRIBUTES[key]) !== value);
      if (differs && !options.strict) {
        this.setQueueAttributes(name, validated);
      } else if (differs) throw new AwsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute(s)`, 400, 'QueueAlreadyExists');
      return { url: this.queueUrl(name), arn: this.queueArn(name) };
    }
    const now = this.clock.now();
    this.queues.set(name, {
      name,
      attributes: { ...DEFAULT_QUEUE_ATTRIBUTES, ...(fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}), ...validated },
      createdTimestamp: now,
      lastModifiedTimestamp: now,
      messages: [],
      sequence: 0,
    });
    this.saveQueue(this.queues.get(name)!);
    return { url: this.queueUrl(name), arn: this.queueArn(name) };
  }

  getQueueUrl(name: string): string {
    return this.queueUrl(this.queue(name).name);
  }

  listQueues(prefix = ''): string[] {
    return [...this.queues.keys()].filter((name) => name.startsWith(prefix)).sort().map((name) => this.queueUrl(name));
  }

  deleteQueue(ref: string): void {
    const queue = this.queue(ref);
    this.queues.delete(queue.name);
    for (const waiter of this.waiters.filter((w) => w.queue === queue.name)) this.finishWaiter(waiter, []);
    for (const message of queue.messages) this.dropMessage(queue, message);
    this.store?.queues.delete(queue.name);
  }

  setQueueAttributes(ref: string, attributes: Record<string, string>): void {
    const queue = this.queue(ref);
    Object.assign(queue.attributes, validateQueueAttributes(attributes, isFifoName(queue.name)));
    if (queue.attributes.RedrivePolicy === '') delete queue.attributes.RedrivePolicy;
    queue.lastModifiedTimestamp = this.clock.now();
    this.saveQueue(queue);
  }

  /** All attributes (stored and computed); `names` filters as GetQueueAttributes does (`All` = everything). */
  getQueueAttributes(ref: string, names: string[] = ['All']): Record<string, string> {
    const queue = this.queue(ref);
    this.expireMessages(queue);
    const counts = messageCounts(queue, this.clock.now());
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: this.queueArn(queue.name),
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdTimestamp / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedTimestamp / 1000)),
    };
    if (names.includes('All')) return all;
    const result: Record<string, string> = {};
    for (const name of names) {
      if (!QUEUE_ATTRIBUTE_NAMES.has(name)) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`, 400, 'InvalidAttributeName');
      if (all[name] !== undefined) result[name] = all[name];
    }
    return result;
  }

  purgeQueue(ref: string): void {
    const queue = this.queue(ref);
    for (const message of queue.messages) this.dropMessage(queue, message);
    queue.messages = [];
  }

  /** Queues whose RedrivePolicy targets this queue. */
  listDeadLetterSourceQueues(ref: string): string[] {
    const arn = this.queueArn(this.queue(ref).name);
    return [...this.queues.values()]
      .filter((queue) => redrivePolicyOf(queue)?.deadLetterTargetArn === arn)
      .map((queue) => this.queueUrl(queue.name));
  }

  // ---- messages ----

  sendMessage(ref: string, body: string, options: SendOptions = {}): SendResult {
    const queue = this.queue(ref);
    if (typeof body !== 'string' || body.length === 0) {
      throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.', 400, 'MissingParameter');
    }
    if (INVALID_CHARACTERS.test(body)) {
      throw new AwsError('InvalidMessageContents', 'Invalid characters found in the message body.', 400, 'InvalidMessageContents');
    }
    const attributes = options.messageAttributes ?? {};
    validateMessageAttributes(attributes);
    const size = Buffer.byteLength(body) + attributesSize(attributes);
    if (size > numberAttribute(queue, 'MaximumMessageSize')) {
      throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${numberAttribute(queue, 'MaximumMessageSize')} bytes.`);
    }
    const fifo = isFifoName(queue.name);
    const now = this.clock.now();
    let delaySeconds = options.delaySeconds ?? numberAttribute(queue, 'DelaySeconds');
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900) {
      throw invalidParameter('Value for parameter DelaySeconds is invalid. Reason: must be an integer from 0 to 900.');
    }
    let deduplicationId: string | undefined;
    if (fifo) {
      if (!options.messageGroupId) throw new AwsError('MissingParameter', 'The request must contain the parameter MessageGroupId.', 400, 'MissingParameter');
      if (options.delaySeconds) throw invalidParameter('Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.');
      delaySeconds = numberAttribute(queue, 'DelaySeconds');
      deduplicationId = options.messageDeduplicationId
        ?? (queue.attributes.ContentBasedDeduplication === 'true' ? createSha256(body) : undefined);
      if (!deduplicationId) {
        throw invalidParameter('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      }
      const key = `${queue.name}\u0000${deduplicationId}`;
      const seen = this.deduplication.get(key);
      if (seen && seen.until > now) {
        const original = queue.messages.find((message) => message.messageId === seen.messageId);
        return { messageId: seen.messageId, md5OfBody: md5Hex(body), md5OfMessageAttributes: md5OfMessageAttributes(attributes), sequenceNumber: original?.sequenceNumber };
      }
    } else if (options.messageDeduplicationId !== undefined) {
      // Standard queues accept MessageGroupId (fair queues) but not deduplication ids.
      throw invalidParameter('The request include parameter MessageDeduplicationId that is not valid for this queue type');
    }
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      sentTimestamp: now,
      senderId: options.senderId ?? this.options.accountId,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    if (Object.keys(attributes).length > 0) {
      message.messageAttributes = attributes;
      message.md5OfMessageAttributes = md5OfMessageAttributes(attributes);
    }
    if (options.messageGroupId !== undefined) message.messageGroupId = options.messageGroupId;
    if (fifo) {
      queue.sequence += 1;
      message.sequenceNumber = String(queue.sequence).padStart(20, '0');
      message.messageDeduplicationId = deduplicationId;
      this.deduplication.set(`${queue.name}\u0000${deduplicationId}`, { messageId: message.messageId, until: now + DEDUPLICATION_WINDOW_MS });
    }
    queue.messages.push(message);
    this.saveMessage(queue, message);
    if (fifo) this.saveQueue(queue);
    this.wake(queue.name);
    const result: SendResult = { messageId: message.messageId, md5OfBody: message.md5OfBody };
    if (message.md5OfMessageAttributes) result.md5OfMessageAttributes = message.md5OfMessageAttributes;
    if (message.sequenceNumber) result.sequenceNumber = message.sequenceNumber;
    return result;
  }

  /** Receives up to `maxMessages`, long polling up to `waitTimeSeconds`; resolves as soon as a message is available. */
  receive(ref: string, options: ReceiveOptions = {}): Promise<SqsMessage[]> {
    // A poller that keeps calling after shutdown gets an error rather than an endless stream of empty answers.
    if (this.closed) return Promise.reject(new AwsError('ServiceUnavailable', 'The local SQS has stopped', 503));
    const queue = this.queue(ref);
    const max = options.maxMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      return Promise.reject(invalidParameter('Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.'));
    }
    if (options.visibilityTimeout !== undefined && (!Number.isInteger(options.visibilityTimeout) || options.visibilityTimeout < 0 || options.visibilityTimeout > MAX_VISIBILITY_SECONDS)) {
      return Promise.reject(invalidParameter('Value for parameter VisibilityTimeout is invalid. Reason: must be between 0 and 43200.'));
    }
    const wait = options.waitTimeSeconds ?? numberAttribute(queue, 'ReceiveMessageWaitTimeSeconds');
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
      return Promise.reject(invalidParameter('Value for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.'));
    }
    const messages = this.take(queue, max, options.visibilityTimeout);
    if (messages.length > 0 || wait === 0 || options.signal?.aborted) return Promise.resolve(messages);
    return new Promise((resolve) => {
      const waiter: Waiter = { queue: queue.name, options: { ...options, maxMessages: max }, resolve, timer: undefined };
      waiter.timer = this.clock.setTimeout(() => this.finishWaiter(waiter, []), wait * 1000);
      if (options.signal) {
        waiter.onAbort = () => this.finishWaiter(waiter, []);
        options.signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.scheduleWake(queue);
    });
  }

  deleteMessage(ref: string, receiptHandle: string): void {
    const queue = this.queue(ref);
    const messageId = parseReceiptHandle(queue.name, receiptHandle);
    const index = queue.messages.findIndex((message) => message.messageId === messageId);
    // Deleting an already deleted message succeeds, as on AWS.
    if (index >= 0) {
      const [deleted] = queue.messages.splice(index, 1);
      this.dropMessage(queue, deleted!);
      // A FIFO group unlocks when its in-flight message goes away.
      if (isFifoName(queue.name)) this.wake(queue.name);
    }
  }

  changeVisibility(ref: string, receiptHandle: string, seconds: number): void {
    const queue = this.queue(ref);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
      throw invalidParameter('Value for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.');
    }
    const messageId = parseReceiptHandle(queue.name, receiptHandle);
    const message = queue.messages.find((candidate) => candidate.messageId === messageId);
    const now = this.clock.now();
    if (!message || message.receiveCount === 0 || message.visibleAt <= now) {
      throw new AwsError('MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.', 400, 'AWS.SimpleQueueService.MessageNotInflight');
    }
    message.visibleAt = now + seconds * 1000;
    this.saveMessage(queue, message);
    if (seconds === 0) this.wake(queue.name);
    else this.scheduleWake(queue);
  }

  // ---- DLQ redrive ----

  /** Moves every message of a dead-letter queue back to its source queue (or to `destinationArn`). */
  startMessageMoveTask(input: { sourceArn: string; destinationArn?: string; maxNumberOfMessagesPerSecond?: number }): string {
    const source = this.queue(input.sourceArn);
    const sourceArn = this.queueArn(source.name);
    if (this.listDeadLetterSourceQueues(source.name).length === 0 && !input.destinationArn) {
      throw invalidParameter('Source queue must be configured as a Dead Letter Queue.');
    }
    const destination = input.destinationArn ? this.queue(input.destinationArn) : undefined;
    const task: MessageMoveTask = {
      TaskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      Status: 'RUNNING',
      SourceArn: sourceArn,
      ApproximateNumberOfMessagesMoved: 0,
      ApproximateNumberOfMessagesToMove: source.messages.length,
      StartedTimestamp: this.clock.now(),
    };
    if (input.destinationArn) task.DestinationArn = input.destinationArn;
    if (input.maxNumberOfMessagesPerSecond !== undefined) task.MaxNumberOfMessagesPerSecond = input.maxNumberOfMessagesPerSecond;
    this.moveTasks.unshift(task);
    const remaining: StoredMessage[] = [];
    const touched = new Set<string>();
    for (const message of source.messages) {
      const target = destination ?? (message.deadLetterQueueSourceArn ? this.queues.get(message.deadLetterQueueSourceArn.split(':').at(-1)!) : undefined);
      if (!target) {
        remaining.push(message);
        continue;
      }
      const moved = resetForRedelivery(message, this.clock.now());
      this.dropMessage(source, message);
      target.messages.push(moved);
      this.saveMessage(target, moved);
      touched.add(target.name);
      task.ApproximateNumberOfMessagesMoved++;
    }
    source.messages = remaining;
    if (remaining.length > 0) {
      task.Status = 'FAILED';
      task.FailureReason = `${remaining.length} message(s) have no known source queue; pass DestinationArn`;
    } else {
      task.Status = 'COMPLETED';
    }
    this.store?.moveTasks.put(task.TaskHandle, task);
    for (const name of touched) this.wake(name);
    return task.TaskHandle;
  }

  listMessageMoveTasks(sourceArn: string, maxResults = 1): MessageMoveTask[] {
    const arn = this.queueArn(this.queue(sourceArn).name);
    return this.moveTasks.filter((task) => task.SourceArn === arn).slice(0, Math.min(Math.max(maxResults, 1), 10));
  }

  // ---- lifecycle ----

  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) this.finishWaiter(waiter, []);
    for (const { handle } of this.wakeTimers.values()) this.clock.clearTimeout(handle);
    this.wakeTimers.clear();
  }

  // ---- internals ----

  private saveQueue(queue: QueueState): void {
    this.store?.queues.put(queue.name, queue);
  }

  private saveMessage(queue: QueueState, message: StoredMessage): void {
    this.store?.messages.put(`${queue.name}/${message.messageId}`, message);
  }

  private dropMessage(queue: QueueState, message: StoredMessage): void {
    this.store?.messages.delete(`${queue.name}/${message.messageId}`);
  }

  /** Takes visible messages, moving over-received ones to the DLQ, and makes them in flight. */
  private take(queue: QueueState, max: number, visibilityTimeout?: number): SqsMessage[] {
    if (this.closed) return [];
    this.expireMessages(queue);
    const now = this.clock.now();
    const policy = redrivePolicyOf(queue);
    const deadLetterQueue = policy ? this.queues.get(policy.deadLetterTargetArn.split(':').at(-1)!) : undefined;
    const fifo = isFifoName(queue.name);
    const blockedGroups = new Set<string>();
    if (fifo) {
      for (const message of queue.messages) {
        if (message.visibleAt > now && message.messageGroupId) blockedGroups.add(message.messageGroupId);
      }
    }
    const visibility = visibilityTimeout ?? numberAttribute(queue, 'VisibilityTimeout');
    const taken: SqsMessage[] = [];
    let movedToDeadLetter = false;
    for (let index = 0; index < queue.messages.length && taken.length < max; index++) {
      const message = queue.messages[index]!;
      if (message.visibleAt > now) continue;
      if (fifo && message.messageGroupId && blockedGroups.has(message.messageGroupId)) continue;
      if (policy && deadLetterQueue && message.receiveCount >= policy.maxReceiveCount) {
        queue.messages.splice(index--, 1);
        this.dropMessage(queue, message);
        const moved = resetForRedelivery(message, now);
        moved.deadLetterQueueSourceArn = this.queueArn(queue.name);
        deadLetterQueue.messages.push(moved);
        this.saveMessage(deadLetterQueue, moved);
        movedToDeadLetter = true;
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibility * 1000;
      message.receiptHandle = makeReceiptHandle(queue.name, message.messageId);
      this.saveMessage(queue, message);
      taken.push(this.toReceived(queue, message));
    }
    if (movedToDeadLetter && deadLetterQueue) this.wake(deadLetterQueue.name);
    if (taken.length > 0) this.scheduleWake(queue);
    return taken;
  }

  private toReceived(queue: QueueState, message: StoredMessage): SqsMessage {
    const attributes: Record<string, string> = {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: message.senderId,
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
    };
    if (message.messageGroupId !== undefined) attributes.MessageGroupId = message.messageGroupId;
    if (message.messageDeduplicationId !== undefined) attributes.MessageDeduplicationId = message.messageDeduplicationId;
    if (message.sequenceNumber !== undefined) attributes.SequenceNumber = message.sequenceNumber;
    if (message.deadLetterQueueSourceArn !== undefined) attributes.DeadLetterQueueSourceArn = message.deadLetterQueueSourceArn;
    const received: SqsMessage = {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle!,
      body: message.body,
      md5OfBody: message.md5OfBody,
      attributes,
      messageAttributes: message.messageAttributes ?? {},
      eventSourceARN: this.queueArn(queue.name),
    };
    if (message.md5OfMessageAttributes) received.md5OfMessageAttributes = message.md5OfMessageAttributes;
    return received;
  }

  private expireMessages(queue: QueueState): void {
    const cutoff = this.clock.now() - numberAttribute(queue, 'MessageRetentionPeriod') * 1000;
    if (!queue.messages.some((message) => message.sentTimestamp <= cutoff)) return;
    for (const message of queue.messages) if (message.sentTimestamp <= cutoff) this.dropMessage(queue, message);
    queue.messages = queue.messages.filter((message) => message.sentTimestamp > cutoff);
  }

  /** Hands available messages to waiting long polls, in arrival order. */
  private wake(queueName: string): void {
    const queue = this.queues.get(queueName);
    for (const waiter of this.waiters.filter((candidate) => candidate.queue === queueName)) {
      if (!queue) {
        this.finishWaiter(waiter, []);
        continue;
      }
      const messages = this.take(queue, waiter.options.maxMessages ?? 1, waiter.options.visibilityTimeout);
      if (messages.length === 0) break;
      this.finishWaiter(waiter, messages);
    }
    if (queue) this.scheduleWake(queue);
  }

  /** While someone long-polls, wakes them when the next delayed or in-flight message becomes visible. */
  private scheduleWake(queue: QueueState): void {
    const existing = this.wakeTimers.get(queue.name);
    if (!this.waiters.some((waiter) => waiter.queue === queue.name)) {
      if (existing) {
        this.clock.clearTimeout(existing.handle);
        this.wakeTimers.delete(queue.name);
      }
      return;
    }
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const message of queue.messages) if (message.visibleAt > now) next = Math.min(next, message.visibleAt);
    if (!Number.isFinite(next) || existing?.at === next) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.wakeTimers.delete(queue.name);
      this.wake(queue.name);
    }, next - now);
    this.wakeTimers.set(queue.name, { at: next, handle });
  }

  private finishWaiter(waiter: Waiter, messages: SqsMessage[]): void {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return;
    this.waiters.splice(index, 1);
    this.clock.clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.options.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(messages);
  }
}

function resetForRedelivery(message: StoredMessage, now: number): StoredMessage {
  const copy: StoredMessage = { ...message, visibleAt: now, receiveCount: 0 };
  delete copy.firstReceiveTimestamp;
  delete copy.receiptHandle;
  delete copy.deadLetterQueueSourceArn;
  return copy;
}

function createSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function makeReceiptHandle(queueName: string, messageId: string): string {
  return Buffer.from(JSON.stringify([queueName, messageId, randomUUID()])).toString('base64');
}

function parseReceiptHandle(queueName: string, handle: string): string {
  if (typeof handle !== 'string' || handle === '') throw invalidReceiptHandle(String(handle));
  try {
    const parsed = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 3 && parsed[0] === queueName && typeof parsed[1] === 'string') return parsed[1];
  } catch {
    // falls through to the error below
  }
  throw invalidReceiptHandle(handle);
}

function validateMessageAttributes(attributes: Record<string, MessageAttributeValue>): void {
  const names = Object.keys(attributes);
  if (names.length > 10) throw invalidParameter('Number of message attributes [' + names.length + '] exceeds the allowed maximum [10].');
  for (const name of names) {
    const attribute = attributes[name];
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith('AWS.') || name.startsWith('Amazon.') || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    if (!attribute || typeof attribute.DataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(attribute.DataType)) {
      throw invalidParameter(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (attribute.DataType.startsWith('Binary')) {
      if (typeof attribute.BinaryValue !== 'string') throw invalidParameter(`Message (user) attribute '${name}' must contain a non-empty value of type 'Binary'.`);
    } else {
      if (typeof attribute.StringValue !== 'string' || attribute.StringValue === '') {
        throw invalidParameter(`Message (user) attribute '${name}' must contain a non-empty message attribute value for message attribute type '${attribute.DataType.split('.')[0]}'.`);
      }
      if (attribute.DataType.startsWith('Number') && !Number.isFinite(Number(attribute.StringValue))) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      if (INVALID_CHARACTERS.test(attribute.StringValue)) throw invalidParameter(`Message (user) attribute '${name}' contains invalid characters.`);
    }
  }
}

function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    size += attribute.BinaryValue !== undefined ? Buffer.from(attribute.BinaryValue, 'base64').length : Buffer.byteLength(attribute.StringValue ?? '');
  }
  return size;
}
