import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../../local/aws/clock.js';
import { LocalSqs } from '../../../../../local/aws/sqs/service.js';
import { failedMessageIds, SqsEventSource } from '../../../../../local/cloud/lambda/sqs-event-source.js';
import type { EventSourceMappingDefinition } from '../../../../../local/cloud/template/model.js';

const sources: SqsEventSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

function setup(mapping: Partial<EventSourceMappingDefinition>, invoke: (event: SQSEvent) => Promise<unknown>, visibilityTimeout = '0') {
  const sqs = new LocalSqs({ clock: systemClock, region: 'us-east-1', accountId: '000000000000', baseUrl: () => 'http://127.0.0.1:1' });
  const dlq = sqs.createQueue('work-dlq');
  // Visibility 0: a failed message is back at once, so receive counts climb without waiting.
  const queue = sqs.createQueue('work', { VisibilityTimeout: visibilityTimeout, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
  const errors: string[] = [];
  const source = new SqsEventSource({
    mapping: { logicalId: 'M', functionName: 'fn', queueArn: queue.arn, batchSize: 10, maximumBatchingWindowSeconds: 0, reportBatchItemFailures: true, enabled: true, ...mapping },
    sqs,
    region: 'us-east-1',
    invoke,
    pollers: 1,
    onError: (message) => errors.push(message),
  });
  sources.push(source);
  const depth = (arn: string) => Number(sqs.getQueueAttributes(arn, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']).ApproximateNumberOfMessages);
  return { sqs, queue, dlq, source, errors, depth };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SQS event source mapping', () => {
  it('delivers batches as Lambda builds the SQS event and deletes them on success', async () => {
    const events: SQSEvent[] = [];
    const { sqs, queue, source, depth } = setup({ batchSize: 3 }, async (event) => {
      events.push(event);
    });
    for (let i = 0; i < 3; i += 1) {
      sqs.sendMessage(queue.arn, `m${i}`, { messageAttributes: { kind: { DataType: 'String', StringValue: 'task' } } });
    }
    source.start();
    await until(() => events.flatMap((e) => e.Records).length === 3, 'three records');
    const record = events[0]!.Records[0]!;
    expect(record).toMatchObject({
      body: expect.stringMatching(/^m\d$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      messageAttributes: { kind: { stringValue: 'task', stringListValues: [], binaryListValues: [], dataType: 'String' } },
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(record.receiptHandle).toBeTruthy();
    expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(3);
    await until(() => depth(queue.arn) === 0 && Number(sqs.getQueueAttributes(queue.arn, ['ApproximateNumberOfMessagesNotVisible']).ApproximateNumberOfMessagesNotVisible) === 0, 'an empty queue');
  });

  it('keeps only the items a partial batch response reports, and moves them to the DLQ after maxReceiveCount', async () => {
    const processed: string[] = [];
    const { sqs, queue, dlq, source, depth } = setup({}, async (event) => {
      processed.push(...event.Records.filter((r) => r.body !== 'poison').map((r) => r.body));
      return { batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId })) };
    });
    sqs.sendMessage(queue.arn, 'good');
    sqs.sendMessage(queue.arn, 'poison');
    source.start();
    await until(() => depth(dlq.arn) === 1, 'the poison message in the DLQ');
    expect(processed).toEqual(['good']);
    const [dead] = await sqs.receive(dlq.arn, { maxMessages: 1, waitTimeSeconds: 0 });
    expect(dead?.body).toBe('poison');
  });

  it('leaves the whole batch when the function fails or answers an invalid partial response', async () => {
    let calls = 0;
    const { sqs, queue, dlq, source, errors, depth } = setup({}, async (event) => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }], size: event.Records.length };
    });
    sqs.sendMessage(queue.arn, 'x');
    source.start();
    await until(() => depth(dlq.arn) === 1, 'the message in the DLQ after two failed receives');
    expect(calls).toBe(2);
    expect(errors.some((e) => e.includes('failed a batch'))).toBe(true);
    expect(errors.some((e) => e.includes('invalid partial batch response'))).toBe(true);
  });

  it('gathers a batch over the batching window', async () => {
    const sizes: number[] = [];
    const { sqs, queue, source } = setup({ batchSize: 20, maximumBatchingWindowSeconds: 1 }, async (event) => {
      sizes.push(event.Records.length);
    }, '30');
    source.start();
    sqs.sendMessage(queue.arn, 'first');
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 14; i += 1) sqs.sendMessage(queue.arn, `later${i}`);
    await until(() => sizes.reduce((a, b) => a + b, 0) === 15, 'all fifteen messages');
    expect(sizes).toEqual([15]);
  });

  it('reads partial batch responses as Lambda does', () => {
    const batch = [{ messageId: 'a' }, { messageId: 'b' }] as unknown as Parameters<typeof failedMessageIds>[1];
    expect(failedMessageIds(undefined, batch)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: [] }, batch)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'b' }] }, batch)).toEqual(new Set(['b']));
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: '' }] }, batch)).toBeUndefined();
    expect(failedMessageIds({ batchItemFailures: 'b' }, batch)).toBeUndefined();
    expect(() => new SqsEventSource({
      mapping: { logicalId: 'M', functionName: 'f', queueArn: 'q', batchSize: 50, maximumBatchingWindowSeconds: 0, reportBatchItemFailures: true, enabled: true },
      sqs: { receive: async () => [], deleteMessage: () => undefined }, region: 'us-east-1', invoke: async () => null, pollers: 1, onError: () => undefined,
    })).toThrow(/MaximumBatchingWindowInSeconds/);
  });
});
