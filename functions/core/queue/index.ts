// Queue semantics shared by the workers and the `npm run dlq` command (architecture §9).
export * from './backoff.js';
export * from './sqs-batch.js';
export * from './dlq.js';
