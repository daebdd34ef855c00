// The SQS runtimes: a worker's batch answers record by record (Lambda's partial batch response) and logs a
// batch with failures once; the chores run once per batch, not per record.
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, setCorrelation } from '../../../../../functions/core/observability/index.js';
import { createSqsBatchHandler } from '../../../../../functions/core/queue/index.js';
import { sqsBatchRuntime, sqsRuntime } from '../../../../../functions/core/runtime/index.js';
import { captureLogLines, lambdaContext } from '../../../../support/log-lines.js';

const record = (messageId: string, body: string): SQSRecord =>
  ({ messageId, body, receiptHandle: `rh-${messageId}`, eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q', attributes: { ApproximateReceiveCount: '1' } }) as unknown as SQSRecord;
const batchOf = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('sqsBatchRuntime', () => {
  it('reports the failed records only, logs the batch once, and registers the context once per batch', async () => {
    const logger = createLogger('runtime-test');
    const once = { registerLambdaContext: vi.fn() };
    const records = createSqsBatchHandler(
      async (r) => {
        if (r.body === 'bad') throw new Error('cannot');
        setCorrelation(logger, { taskId: r.messageId });
      },
      { logger },
    );
    const handler = sqsBatchRuntime({ logger, once }, records);
    const { result, lines } = await captureLogLines(() => handler(batchOf(record('m1', 'good'), record('m2', 'bad'), record('m3', 'good')), lambdaContext('req-1')));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(lines.filter((l) => l.message === 'batch had failures')).toEqual([expect.objectContaining({ failed: 1, records: 3, function_request_id: 'req-1' })]);
    expect(once.registerLambdaContext).toHaveBeenCalledTimes(1);

    // The next batch starts without the task the last one was working on.
    const next = await captureLogLines(() => handler(batchOf(record('m4', 'bad')), lambdaContext('req-2')));
    expect(next.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm4' }] });
    const failure = next.lines.find((l) => l.message === 'batch had failures');
    expect(failure).toMatchObject({ function_request_id: 'req-2' });
    expect(failure).not.toHaveProperty('taskId');
  });

  it('answers an empty list when every record succeeds, and logs nothing about the batch', async () => {
    const handler = sqsBatchRuntime({ logger: createLogger('runtime-test') }, createSqsBatchHandler(async () => undefined));
    const { result, lines } = await captureLogLines(() => handler(batchOf(record('m1', 'a'), record('m2', 'b'))));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(lines).toEqual([]);
  });
});

describe('sqsRuntime', () => {
  it('returns what the handler answers for the whole batch, and lets a failure out so the batch comes back', async () => {
    const logger = createLogger('runtime-test');
    const handler = sqsRuntime({ logger }, async (event) => {
      if (event.Records.some((r) => r.body === 'unreadable store')) throw new Error('subscriptions unavailable');
      return { batchItemFailures: [], count: event.Records.length };
    });
    expect(await handler(batchOf(record('m1', 'a')))).toEqual({ batchItemFailures: [], count: 1 });
    await expect(handler(batchOf(record('m2', 'unreadable store')))).rejects.toThrow('subscriptions unavailable');
  });
});
