// SQS batches with partial failures (Powertools batch): each record succeeds or fails on its own, and a record
// that should come back later has its visibility timeout set to the backoff delay before it is reported as
// failed, so SQS redelivers it then (and moves it to the DLQ after maxReceiveCount receives).
import type { Logger } from '@aws-lambda-powertools/logger';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MAX_VISIBILITY_TIMEOUT_SECONDS } from './backoff.js';

/** Thrown by a record handler: the record failed for a reason that may pass, retry after `delaySeconds`. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly delaySeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** SQS's ApproximateReceiveCount of a record: 1 on the first delivery. */
export function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}

/** `arn:aws:sqs:<region>:<account>:<name>` → its parts. */
export function parseQueueArn(arn: string): { region: string; accountId: string; queueName: string } {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs' || !parts[5]) throw new Error(`not an SQS queue ARN: ${arn}`);
  return { region: parts[3]!, accountId: parts[4]!, queueName: parts[5] };
}

export type BatchLogger = Pick<Logger, 'warn' | 'error'>;

export interface SqsBatchOptions {
  sqs?: SQSClient;
  logger?: BatchLogger;
}

export type RecordHandler = (record: SQSRecord) => Promise<void>;

/**
 * Runs `handle` for every record in parallel; answers Lambda's partial batch response. Never throws for
 * record failures: a batch where every record failed is reported record by record too (each keeps the
 * visibility it was given).
 */
export function createSqsBatchHandler(handle: RecordHandler, options: SqsBatchOptions = {}): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const sqs = options.sqs ?? new SQSClient({});
  const queueUrls = new Map<string, Promise<string>>();

  const queueUrlOf = (arn: string): Promise<string> => {
    let url = queueUrls.get(arn);
    if (!url) {
      const { queueName, accountId } = parseQueueArn(arn);
      url = sqs.send(new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: accountId })).then((out) => {
        if (!out.QueueUrl) throw new Error(`no URL for queue ${arn}`);
        return out.QueueUrl;
      });
      queueUrls.set(arn, url);
      url.catch(() => queueUrls.delete(arn));
    }
    return url;
  };

  const delayRedelivery = async (record: SQSRecord, delaySeconds: number): Promise<void> => {
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: await queueUrlOf(record.eventSourceARN),
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: Math.min(MAX_VISIBILITY_TIMEOUT_SECONDS, Math.max(0, Math.round(delaySeconds))),
        }),
      );
    } catch (error) {
      // The message still comes back, after the queue's own visibility timeout: later, not lost.
      options.logger?.warn('could not set the retry delay of a message', { messageId: record.messageId, error: error as Error });
    }
  };

  const processRecord = async (record: SQSRecord): Promise<void> => {
    try {
      await handle(record);
    } catch (error) {
      if (error instanceof RetryLaterError) await delayRedelivery(record, error.delaySeconds);
      else options.logger?.error('record failed', { messageId: record.messageId, error: error as Error });
      throw error;
    }
  };

  return async (event) => {
    const processor = new BatchProcessor(EventType.SQS);
    return (await processPartialResponse(event, processRecord, processor, { throwOnFullBatchFailure: false })) as SQSBatchResponse;
  };
}
