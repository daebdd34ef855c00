// Queue semantics shared by the workers and the `npm run dlq` command (architecture §9).
export { backoffCeilingSeconds, backoffDelaySeconds, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.js';
export { findDeadLetterQueue, listDeadLetterQueues, peekMessages, type QueueInfo, redrive } from './dlq.js';
export { createSqsBatchHandler, receiveCountOf, type RecordHandler, RetryLaterError } from './sqs-batch.js';
