import {
  ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageBatchCommand, DeleteMessageCommand, GetQueueAttributesCommand,
  GetQueueUrlCommand, ListDeadLetterSourceQueuesCommand, ListMessageMoveTasksCommand, ListQueuesCommand, PurgeQueueCommand,
  QueueDoesNotExist, ReceiptHandleIsInvalid, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient,
  StartMessageMoveTaskCommand, ChangeMessageVisibilityBatchCommand,
} from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../local/aws/clock.js';
import { md5OfMessageAttributes } from '../../../../local/aws/sqs/md5.js';
import { startLocalAws } from '../../../support/local-aws.js';

const clock = new ManualClock();
let local: Awaited<ReturnType<typeof startLocalAws>>;
let sqs: SQSClient;

beforeAll(async () => {
  local = await startLocalAws({ clock });
  sqs = new SQSClient(local.clientConfig);
});

afterAll(async () => {
  sqs.destroy();
  await local.cleanup();
});

let queueCounter = 0;
async function createQueue(attributes: Record<string, string> = {}, name = `queue-${++queueCounter}`): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return QueueUrl!;
}

async function receive(QueueUrl: string, extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}) {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'], ...extra }));
  return Messages ?? [];
}

async function counts(QueueUrl: string) {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  return {
    visible: Number(Attributes!.ApproximateNumberOfMessages),
    notVisible: Number(Attributes!.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes!.ApproximateNumberOfMessagesDelayed),
  };
}

describe('SQS message attribute digests', () => {
  it('computes MD5OfMessageAttributes as AWS does (published vectors)', () => {
    expect(md5OfMessageAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359900' } })).toBe('235c5c510d26fb653d073faed50ae77c');
    expect(md5OfMessageAttributes({ ordinal: { DataType: 'Number', StringValue: '1' }, category: { DataType: 'String', StringValue: 'test' } }))
      .toBe('d21ae90c49061e927f57df5f5d72be1f');
  });
});

describe('SQS through the SDK', () => {
  it('creates queues idempotently, lists them and resolves URLs; unknown queues raise QueueDoesNotExist', async () => {
    const url = await createQueue({ VisibilityTimeout: '45' }, 'orders');
    expect(await createQueue({ VisibilityTimeout: '45' }, 'orders')).toBe(url);
    expect(url).toBe(`${local.aws.url}/000000000000/orders`);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl).toBe(url);
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'ord' }))).QueueUrls).toEqual([url]);
    await createQueue({}, 'orders-2');
    const firstPage = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'ord', MaxResults: 1 }));
    expect(firstPage.QueueUrls).toEqual([url]);
    const secondPage = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'ord', MaxResults: 1, NextToken: firstPage.NextToken! }));
    expect(secondPage).toMatchObject({ QueueUrls: [`${local.aws.url}/000000000000/orders-2`] });
    expect(secondPage.NextToken).toBeUndefined();
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: `${local.aws.url}/000000000000/missing`, MessageBody: 'x' })))
      .rejects.toBeInstanceOf(QueueDoesNotExist);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }));
    expect(Attributes).toEqual({ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:orders', VisibilityTimeout: '45' });
    await expect(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['NoSuchAttribute' as 'All'] })))
      .rejects.toMatchObject({ name: 'InvalidAttributeName' });
  });

  it('answers CreateQueue with different attributes with QueueNameExists, while the runtime may re-apply a template', async () => {
    await createQueue({ VisibilityTimeout: '45' }, 'templated');
    await expect(createQueue({ VisibilityTimeout: '60' }, 'templated')).rejects.toMatchObject({ name: 'QueueNameExists' });
    // CloudFormation shapes: numbers and a RedrivePolicy object.
    local.aws.sqs.createQueue('templated', {
      VisibilityTimeout: 60, RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:orders', maxReceiveCount: 3 },
    } as unknown as Record<string, string>);
    const attributes = local.aws.sqs.getQueueAttributes('templated');
    expect(attributes.VisibilityTimeout).toBe('60');
    expect(JSON.parse(attributes.RedrivePolicy!)).toEqual({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:orders', maxReceiveCount: 3 });
  });

  it('carries message attributes with digests the SDK verifies, and filters them on receive', async () => {
    const url = await createQueue();
    const attributes = {
      tenant: { DataType: 'String', StringValue: 'acme' },
      'trace.id': { DataType: 'String', StringValue: 't-1' },
      count: { DataType: 'Number', StringValue: '42' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    };
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"hello":"wörld"}', MessageAttributes: attributes }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('{"hello":"wörld"}', 'utf8').digest('hex'));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes({
      tenant: { DataType: 'String', StringValue: 'acme' }, 'trace.id': { DataType: 'String', StringValue: 't-1' },
      count: { DataType: 'Number', StringValue: '42' }, blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]).toString('base64') },
    }));
    const [message] = await receive(url, { MessageAttributeNames: ['trace.*', 'count'], VisibilityTimeout: 0 });
    expect(message!.Body).toBe('{"hello":"wörld"}');
    expect(Object.keys(message!.MessageAttributes ?? {}).sort()).toEqual(['count', 'trace.id']);
    expect(message!.MD5OfMessageAttributes).toBe(md5OfMessageAttributes({
      count: { DataType: 'Number', StringValue: '42' }, 'trace.id': { DataType: 'String', StringValue: 't-1' },
    }));
    const [all] = await receive(url);
    expect(Buffer.from(all!.MessageAttributes!.blob!.BinaryValue!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(all!.Attributes).toMatchObject({ ApproximateReceiveCount: '2', SenderId: '000000000000', SentTimestamp: String(clock.now()) });
  });

  it('rejects bad input with the SQS error names', async () => {
    const url = await createQueue();
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } })))
      .rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0000 char' }))).rejects.toMatchObject({ name: 'InvalidMessageContents' });
    await expect(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' }))).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'bad name!' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'q-bad-attr', Attributes: { VisibilityTimeout: '99999' } })))
      .rejects.toMatchObject({ name: 'InvalidAttributeValue' });
  });

  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count', async () => {
    const url = await createQueue({ VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [first] = await receive(url);
    expect(first!.Attributes!.ApproximateReceiveCount).toBe('1');
    expect(await receive(url)).toEqual([]);
    expect(await counts(url)).toEqual({ visible: 0, notVisible: 1, delayed: 0 });
    clock.advance(29_999);
    expect(await receive(url)).toEqual([]);
    clock.advance(1);
    const [second] = await receive(url);
    expect(second!.MessageId).toBe(first!.MessageId);
    expect(second!.Attributes!.ApproximateReceiveCount).toBe('2');
    expect(second!.Attributes!.ApproximateFirstReceiveTimestamp).toBe(first!.Attributes!.ApproximateFirstReceiveTimestamp);
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle! }));
    clock.advance(60_000);
    expect(await counts(url)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });

  it('changes visibility of in-flight messages (single and batch)', async () => {
    const url = await createQueue({ VisibilityTimeout: '300' });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'a' }, { Id: 'b', MessageBody: 'b' }] }));
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    expect(messages.map((message) => message.Body)).toEqual(['a', 'b']);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: messages[0]!.ReceiptHandle!, VisibilityTimeout: 0 }));
    expect((await receive(url)).map((message) => message.Body)).toEqual(['a']);
    const batch = await sqs.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: url,
      Entries: [{ Id: 'b', ReceiptHandle: messages[1]!.ReceiptHandle!, VisibilityTimeout: 5 }, { Id: 'bad', ReceiptHandle: 'nope', VisibilityTimeout: 5 }],
    }));
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['b']);
    expect(batch.Failed).toMatchObject([{ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true }]);
    clock.advance(5_000);
    expect((await receive(url)).map((message) => message.Body)).toEqual(['b']);
  });

  it('delays messages by the queue DelaySeconds and by a per-message DelaySeconds', async () => {
    const url = await createQueue({ DelaySeconds: '10' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'queue-delay' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'message-delay', DelaySeconds: 2 }));
    expect(await counts(url)).toEqual({ visible: 0, notVisible: 0, delayed: 2 });
    clock.advance(2_000);
    expect((await receive(url, { MaxNumberOfMessages: 10 })).map((message) => message.Body)).toEqual(['message-delay']);
    clock.advance(8_000);
    expect((await receive(url, { MaxNumberOfMessages: 10 })).map((message) => message.Body)).toEqual(['queue-delay']);
  });

  it('moves a message to the DLQ when received again after maxReceiveCount, and redrives it back', async () => {
    const dlqUrl = await createQueue({}, 'work-dlq');
    const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:work-dlq';
    const url = await createQueue({ VisibilityTimeout: '10', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) }, 'work');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 });
    expect((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))).queueUrls).toEqual([url]);

    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [message] = await receive(url);
      expect(message!.Attributes!.ApproximateReceiveCount).toBe(String(attempt));
      clock.advance(10_000);
    }
    expect(await receive(url)).toEqual([]);
    const [dead] = await receive(dlqUrl, { VisibilityTimeout: 0 });
    expect(dead!.MessageId).toBe(MessageId);
    expect(dead!.Body).toBe('poison');
    expect(dead!.Attributes!.DeadLetterQueueSourceArn).toBe('arn:aws:sqs:us-east-1:000000000000:work');

    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(TaskHandle).toBeTruthy();
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    expect(Results).toMatchObject([{ Status: 'COMPLETED', SourceArn: dlqArn, ApproximateNumberOfMessagesMoved: 1 }]);
    expect(await counts(dlqUrl)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    const [back] = await receive(url);
    expect(back!.MessageId).toBe(MessageId);
    expect(back!.Attributes!.ApproximateReceiveCount).toBe('1');
  });

  it('long polling returns as soon as a message arrives, without waiting out WaitTimeSeconds', async () => {
    const url = await createQueue();
    const polling = receive(url, { WaitTimeSeconds: 20 });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    // The manual clock never moved, so only the arriving message can have ended the poll.
    expect((await polling).map((message) => message.Body)).toEqual(['wake up']);
  });

  it('long polling ends empty after WaitTimeSeconds, and is woken by a delayed message becoming visible', async () => {
    const url = await createQueue();
    const empty = local.aws.sqs.receive(url, { waitTimeSeconds: 5 });
    clock.advance(5_000);
    expect(await empty).toEqual([]);
    const woken = local.aws.sqs.receive(url, { waitTimeSeconds: 20 });
    local.aws.sqs.sendMessage(url, 'later', { delaySeconds: 3 });
    clock.advance(3_000);
    expect((await woken).map((message) => message.body)).toEqual(['later']);
  });

  it('batches sends and deletes, reporting per-entry results, and purges', async () => {
    const url = await createQueue();
    const sent = await sqs.send(new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [{ Id: 'one', MessageBody: '1' }, { Id: 'two', MessageBody: '2' }, { Id: 'bad', MessageBody: '3', DelaySeconds: 901 }],
    }));
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['one', 'two']);
    expect(sent.Failed).toMatchObject([{ Id: 'bad', Code: 'InvalidParameterValue' }]);
    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'x', MessageBody: '1' }, { Id: 'x', MessageBody: '2' }] })))
      .rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    const deleted = await sqs.send(new DeleteMessageBatchCommand({
      QueueUrl: url, Entries: messages.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle! })),
    }));
    expect(deleted.Successful).toHaveLength(2);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'to purge' }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await counts(url)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });

  it('keeps FIFO order within a group and deduplicates', async () => {
    const url = await createQueue({ FifoQueue: 'true', ContentBasedDeduplication: 'true' }, 'ordered.fifo');
    for (const body of ['1', '2', '2']) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: 'g' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'other', MessageGroupId: 'h' }));
    const [first, other] = await receive(url, { MaxNumberOfMessages: 1 }).then(async (one) => [...one, ...(await receive(url, { MaxNumberOfMessages: 10 }))]);
    expect(first!.Body).toBe('1');
    // Group g is locked while "1" is in flight; group h still flows.
    expect(other!.Body).toBe('other');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle! }));
    expect((await receive(url, { MaxNumberOfMessages: 10 })).map((message) => message.Body)).toEqual(['2']);
  });
});
