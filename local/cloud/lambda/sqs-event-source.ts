// An SQS event source mapping as Lambda runs it: pollers long-poll the queue, gather a batch (batch size,
// batching window), invoke the function with the SQS event, delete what succeeded and leave the rest to
// reappear after the visibility timeout, so receive counts climb and redrive moves poison messages to the DLQ.
import type { SQSEvent, SQSRecord, SQSBatchResponse } from 'aws-lambda';
import type { MessageAttributeValue } from '../../aws/sqs/md5.js';
import type { SqsMessage, ReceiveOptions } from '../../aws/sqs/service.js';
import type { EventSourceMappingDefinition } from '../template/model.js';

/** The in-process SQS operations a mapping needs. */
export interface SqsForMapping {
  receive(queueArn: string, options: ReceiveOptions): Promise<SqsMessage[]>;
  deleteMessage(queueArn: string, receiptHandle: string): void;
}

export interface SqsEventSourceOptions {
  mapping: EventSourceMappingDefinition;
  sqs: SqsForMapping;
  region: string;
  /** Invokes the mapped function synchronously; rejects when the function fails. */
  invoke(event: SQSEvent): Promise<unknown>;
  /** Concurrent batches: the mapping's MaximumConcurrency, capped by what the function may run. */
  pollers: number;
  onError(message: string, error?: unknown): void;
}

/** Longest single long poll; SQS's maximum. */
const MAX_WAIT_SECONDS = 20;

export class SqsEventSource {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly options: SqsEventSourceOptions) {
    const { batchSize, maximumBatchingWindowSeconds } = options.mapping;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new Error(`${options.mapping.logicalId}: BatchSize must be 1..10000`);
    }
    if (batchSize > 10 && maximumBatchingWindowSeconds < 1) {
      throw new Error(`${options.mapping.logicalId}: a BatchSize above 10 needs a MaximumBatchingWindowInSeconds of at least 1`);
    }
  }

  start(): void {
    if (!this.options.mapping.enabled || this.loops.length > 0) return;
    this.loops = Array.from({ length: Math.max(1, this.options.pollers) }, () => this.poll());
  }

  /** Stops polling; waits for batches in flight (which end when their invocation does). */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async poll(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const batch = await this.gatherBatch();
        if (batch.length > 0) await this.deliver(batch);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.options.onError(`event source ${this.options.mapping.logicalId}: polling failed`, error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Waits for a first message, then fills the batch until it is full or the batching window closes. */
  private async gatherBatch(): Promise<SqsMessage[]> {
    const { queueArn, batchSize, maximumBatchingWindowSeconds } = this.options.mapping;
    const signal = this.abort.signal;
    const batch = await this.options.sqs.receive(queueArn, { maxMessages: Math.min(10, batchSize), waitTimeSeconds: MAX_WAIT_SECONDS, signal });
    if (batch.length === 0 || maximumBatchingWindowSeconds === 0) return batch;
    const closesAt = Date.now() + maximumBatchingWindowSeconds * 1000;
    while (batch.length < batchSize && !signal.aborted) {
      const remainingMs = closesAt - Date.now();
      if (remainingMs <= 0) break;
      const more = await this.options.sqs.receive(queueArn, {
        maxMessages: Math.min(10, batchSize - batch.length),
        waitTimeSeconds: Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.floor(remainingMs / 1000))),
        signal,
      });
      batch.push(...more);
    }
    return batch;
  }

  private async deliver(batch: SqsMessage[]): Promise<void> {
    const { mapping, sqs } = this.options;
    let response: unknown;
    try {
      response = await this.options.invoke(toSqsEvent(batch, this.options.region));
    } catch (error) {
      // The whole batch stays on the queue and comes back after the visibility timeout.
      this.options.onError(`${mapping.functionName} failed a batch of ${batch.length} from ${mapping.queueArn}`, error);
      return;
    }
    const failed = mapping.reportBatchItemFailures ? failedMessageIds(response, batch) : new Set<string>();
    if (failed === undefined) {
      this.options.onError(`${mapping.functionName} returned an invalid partial batch response; the whole batch is retried`);
      return;
    }
    for (const message of batch) {
      if (failed.has(message.messageId)) continue;
      try {
        sqs.deleteMessage(mapping.queueArn, message.receiptHandle);
      } catch (error) {
        this.options.onError(`could not delete message ${message.messageId} from ${mapping.queueArn}`, error);
      }
    }
  }
}

/** The SQS event Lambda builds from received messages. */
export function toSqsEvent(messages: SqsMessage[], region: string): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, region)) };
}

function toSqsRecord(message: SqsMessage, region: string): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) messageAttributes[name] = toRecordAttribute(value);
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: message.attributes as unknown as SQSRecord['attributes'],
    messageAttributes,
    md5OfBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: message.eventSourceARN,
    awsRegion: region,
  };
}

function toRecordAttribute(value: MessageAttributeValue): SQSRecord['messageAttributes'][string] {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: value.BinaryListValues ?? [],
    dataType: value.DataType,
  };
}

/**
 * The message ids a partial batch response marks as failed. Following Lambda: no response or an empty list
 * is full success; an identifier that is empty or not in the batch makes the response invalid (undefined),
 * which fails the whole batch.
 */
export function failedMessageIds(response: unknown, batch: readonly SqsMessage[]): Set<string> | undefined {
  if (response === null || response === undefined) return new Set();
  if (typeof response !== 'object' || Array.isArray(response)) return undefined;
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const ids = new Set(batch.map((message) => message.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return undefined;
    failed.add(id);
  }
  return failed;
}
