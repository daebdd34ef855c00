// The SQS runtime: workers (partial batch responses with backoff, functions/core/queue) and consumers that
// answer for the whole batch (the FIFO notifier).
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createSqsBatchHandler, type RecordHandler } from '../queue/index.js';
import { lambdaRuntime, type LambdaHandler, type RuntimeOptions } from './invocation.js';

/** A handler of SQS batches that decides the batch response itself. */
export function sqsRuntime<R extends SQSBatchResponse>(options: RuntimeOptions, handle: (event: SQSEvent) => Promise<R>): LambdaHandler<SQSEvent, R> {
  return lambdaRuntime(options, (event) => handle(event));
}

/**
 * A handler of SQS batches record by record: each record succeeds or fails on its own (Lambda's partial batch
 * response; a RetryLaterError sets the message's backoff), and a batch with failures is logged once.
 */
export function sqsBatchRuntime(options: RuntimeOptions, record: RecordHandler): LambdaHandler<SQSEvent, SQSBatchResponse> {
  const { logger } = options;
  const batch = createSqsBatchHandler(record, { logger });
  return sqsRuntime(options, async (event) => {
    const response = await batch(event);
    if (response.batchItemFailures.length > 0) {
      logger.info('batch had failures', { failed: response.batchItemFailures.length, records: event.Records.length });
    }
    return response;
  });
}
