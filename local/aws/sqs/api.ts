import {
  AwsError, optionalArray, optionalNumber, optionalObject, optionalString, paginate, requireString, type JsonService,
} from '../protocol.js';
import { md5OfMessageAttributes, type MessageAttributeValue } from './md5.js';
import type { LocalSqs, SqsMessage } from './service.js';

const batchError = (code: string, message: string): AwsError => new AwsError(code, message, 400, `AWS.SimpleQueueService.${code}`);

/** Validates a batch request's entries (count, id format, distinct ids) as SQS does before any entry runs. */
function batchEntries(input: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const entries = optionalArray(input, key) ?? [];
  if (entries.length === 0) throw batchError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  if (entries.length > 10) throw batchError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const ids = new Set<string>();
  for (const entry of entries) {
    const id = (entry as Record<string, unknown>)?.Id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw batchError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (ids.has(id)) throw batchError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return entries as Record<string, unknown>[];
}

/** Runs each entry, collecting per-entry failures in the Successful/Failed shape of every SQS batch API. */
function runBatch<T>(entries: Record<string, unknown>[], run: (entry: Record<string, unknown>) => T): { Successful: (T & { Id: string })[]; Failed: unknown[] } {
  const Successful: (T & { Id: string })[] = [];
  const Failed: unknown[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id as string, ...run(entry) });
    } catch (error) {
      const awsError = error instanceof AwsError ? error : new AwsError('InternalError', String(error), 500);
      Failed.push({ Id: entry.Id, SenderFault: awsError.status < 500, Code: awsError.code, Message: awsError.message });
    }
  }
  return { Successful, Failed };
}

function sendEntry(sqs: LocalSqs, queueUrl: string, entry: Record<string, unknown>) {
  const options: Parameters<LocalSqs['sendMessage']>[2] = {};
  const delaySeconds = optionalNumber(entry, 'DelaySeconds');
  if (delaySeconds !== undefined) options.delaySeconds = delaySeconds;
  const attributes = optionalObject(entry, 'MessageAttributes');
  if (attributes) options.messageAttributes = attributes as Record<string, MessageAttributeValue>;
  const groupId = optionalString(entry, 'MessageGroupId');
  if (groupId !== undefined) options.messageGroupId = groupId;
  const deduplicationId = optionalString(entry, 'MessageDeduplicationId');
  if (deduplicationId !== undefined) options.messageDeduplicationId = deduplicationId;
  const result = sqs.sendMessage(queueUrl, entry.MessageBody as string, options);
  return {
    MessageId: result.messageId,
    MD5OfMessageBody: result.md5OfBody,
    ...(result.md5OfMessageAttributes ? { MD5OfMessageAttributes: result.md5OfMessageAttributes } : {}),
    ...(result.sequenceNumber ? { SequenceNumber: result.sequenceNumber } : {}),
  };
}

/** Shapes a received message for the wire, keeping only the attributes the caller asked for. */
function toWireMessage(message: SqsMessage, systemNames: string[], attributeNames: string[]) {
  const wire: Record<string, unknown> = {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
  };
  const wantsAll = systemNames.includes('All');
  const attributes = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => wantsAll || systemNames.includes(name)));
  if (Object.keys(attributes).length > 0) wire.Attributes = attributes;
  // Object.fromEntries keeps every name as an own property (a plain assignment would turn `__proto__`, a valid
  // attribute name, into the object's prototype).
  const selected: Record<string, MessageAttributeValue> = Object.fromEntries(Object.entries(message.messageAttributes).filter(([name]) =>
    attributeNames.some((pattern) => pattern === 'All' || pattern === '.*' || pattern === name
      || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))))));
  const md5 = md5OfMessageAttributes(selected);
  if (md5) {
    wire.MessageAttributes = selected;
    wire.MD5OfMessageAttributes = md5;
  }
  return wire;
}

const stringList = (input: Record<string, unknown>, key: string): string[] =>
  (optionalArray(input, key) ?? []).map((value) => {
    if (typeof value !== 'string') throw new AwsError('InvalidParameterValue', `${key} must be a list of strings`, 400, 'InvalidParameterValue');
    return value;
  });

/** The SQS JSON protocol (`AmazonSQS.*`, application/x-amz-json-1.0) over a LocalSqs. */
export function sqsApi(sqs: LocalSqs): JsonService {
  return {
    targetPrefix: 'AmazonSQS',
    contentType: 'application/x-amz-json-1.0',
    errorNamespace: 'com.amazonaws.sqs',
    operations: {
      CreateQueue: (input) => {
        const { url } = sqs.createQueue(requireString(input, 'QueueName'), (optionalObject(input, 'Attributes') ?? {}) as Record<string, string>, { strict: true });
        return { QueueUrl: url };
      },
      GetQueueUrl: (input) => ({ QueueUrl: sqs.getQueueUrl(requireString(input, 'QueueName')) }),
      ListQueues: (input) => {
        const urls = sqs.listQueues(optionalString(input, 'QueueNamePrefix') ?? '');
        // As on AWS, only a request with MaxResults is paginated.
        const maxResults = optionalNumber(input, 'MaxResults');
        if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000)) {
          throw new AwsError('InvalidParameterValue', 'MaxResults must be an integer from 1 to 1000', 400, 'InvalidParameterValue');
        }
        const { page, nextToken } = maxResults === undefined ? { page: urls, nextToken: undefined } : paginate(urls, optionalString(input, 'NextToken'), maxResults);
        return { ...(page.length > 0 ? { QueueUrls: page } : {}), ...(nextToken ? { NextToken: nextToken } : {}) };
      },
      DeleteQueue: (input) => {
        sqs.deleteQueue(requireString(input, 'QueueUrl'));
        return {};
      },
      GetQueueAttributes: (input) => {
        const names = stringList(input, 'AttributeNames');
        return { Attributes: sqs.getQueueAttributes(requireString(input, 'QueueUrl'), names.length > 0 ? names : ['All']) };
      },
      SetQueueAttributes: (input) => {
        sqs.setQueueAttributes(requireString(input, 'QueueUrl'), (optionalObject(input, 'Attributes') ?? {}) as Record<string, string>);
        return {};
      },
      PurgeQueue: (input) => {
        sqs.purgeQueue(requireString(input, 'QueueUrl'));
        return {};
      },
      ListDeadLetterSourceQueues: (input) => ({ queueUrls: sqs.listDeadLetterSourceQueues(requireString(input, 'QueueUrl')) }),
      SendMessage: (input) => {
        const queueUrl = requireString(input, 'QueueUrl');
        return sendEntry(sqs, queueUrl, input);
      },
      SendMessageBatch: (input) => {
        const queueUrl = requireString(input, 'QueueUrl');
        sqs.getQueueAttributes(queueUrl, ['QueueArn']); // queue must exist before entries run
        const entries = batchEntries(input, 'Entries');
        const totalSize = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? '')), 0);
        if (totalSize > 1_048_576) throw batchError('BatchRequestTooLong', 'Batch requests cannot be longer than 1048576 bytes.');
        return runBatch(entries, (entry) => sendEntry(sqs, queueUrl, entry));
      },
      ReceiveMessage: async (input, context) => {
        const queueUrl = requireString(input, 'QueueUrl');
        const options: Parameters<LocalSqs['receive']>[1] = {};
        const max = optionalNumber(input, 'MaxNumberOfMessages');
        if (max !== undefined) options.maxMessages = max;
        const wait = optionalNumber(input, 'WaitTimeSeconds');
        if (wait !== undefined) options.waitTimeSeconds = wait;
        const visibility = optionalNumber(input, 'VisibilityTimeout');
        if (visibility !== undefined) options.visibilityTimeout = visibility;
        options.signal = context.signal;
        const messages = await sqs.receive(queueUrl, options);
        const systemNames = [...stringList(input, 'AttributeNames'), ...stringList(input, 'MessageSystemAttributeNames')];
        const attributeNames = stringList(input, 'MessageAttributeNames');
        return messages.length > 0 ? { Messages: messages.map((message) => toWireMessage(message, systemNames, attributeNames)) } : {};
      },
      DeleteMessage: (input) => {
        sqs.deleteMessage(requireString(input, 'QueueUrl'), requireString(input, 'ReceiptHandle'));
        return {};
      },
      DeleteMessageBatch: (input) => {
        const queueUrl = requireString(input, 'QueueUrl');
        sqs.getQueueAttributes(queueUrl, ['QueueArn']);
        return runBatch(batchEntries(input, 'Entries'), (entry) => {
          sqs.deleteMessage(queueUrl, requireString(entry, 'ReceiptHandle'));
          return {};
        });
      },
      ChangeMessageVisibility: (input) => {
        sqs.changeVisibility(requireString(input, 'QueueUrl'), requireString(input, 'ReceiptHandle'), optionalNumber(input, 'VisibilityTimeout') ?? Number.NaN);
        return {};
      },
      ChangeMessageVisibilityBatch: (input) => {
        const queueUrl = requireString(input, 'QueueUrl');
        sqs.getQueueAttributes(queueUrl, ['QueueArn']);
        return runBatch(batchEntries(input, 'Entries'), (entry) => {
          sqs.changeVisibility(queueUrl, requireString(entry, 'ReceiptHandle'), optionalNumber(entry, 'VisibilityTimeout') ?? Number.NaN);
          return {};
        });
      },
      StartMessageMoveTask: (input) => {
        const request: Parameters<LocalSqs['startMessageMoveTask']>[0] = { sourceArn: requireString(input, 'SourceArn') };
        const destinationArn = optionalString(input, 'DestinationArn');
        if (destinationArn) request.destinationArn = destinationArn;
        const rate = optionalNumber(input, 'MaxNumberOfMessagesPerSecond');
        if (rate !== undefined) request.maxNumberOfMessagesPerSecond = rate;
        return { TaskHandle: sqs.startMessageMoveTask(request) };
      },
      ListMessageMoveTasks: (input) => ({
        Results: sqs.listMessageMoveTasks(requireString(input, 'SourceArn'), optionalNumber(input, 'MaxResults') ?? 1),
      }),
    },
  };
}
