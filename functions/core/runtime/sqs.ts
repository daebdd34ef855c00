// The SQS runtime: workers (partial batch responses with backoff) and consumers that answer for the whole
// batch (the FIFO notifier). The batch itself is functions/core/queue's createSqsBatchHandler, built by the
// worker and passed in, so that only SQS handlers' bundles carry the SQS client and Powertools batch.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaRuntime, type LambdaHandler, type RuntimeOptions } from './invocation.js';

/** A handler of SQS batches that decides the batch response itself. */
export function sqsRuntime<R extends SQSBatchResponse>(options: RuntimeOptions, handle: (event: SQSEvent) => Promise<R>): LambdaHandler<SQSEvent, R> {
  return lambdaRuntime(options, (event) => handle(event));
}

/**
 * A handler of SQS batches record by record (`batch`: each record succeeds or fails on its own, Lambda's
 * partial batch response), logging a batch with failures once.
 */
export function sqsBatchRuntime(options: RuntimeOptions, batch: (event: SQSEvent) => Promise<SQSBatchResponse>): LambdaHandler<SQSEvent, SQSBatchResponse> {
  const { logger } = options;
  return sqsRuntime(options, async (event) => {
    const response = await batch(event);
    if (response.batchItemFailures.length > 0) {
      logger.info('batch had failures', { failed: response.batchItemFailures.length, records: event.Records.length });
    }
    return response;
  });
}
