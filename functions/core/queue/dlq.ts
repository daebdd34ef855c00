// Dead-letter queue inspection and redrive, for the `npm run dlq` command: plain SQS API calls, so the same
// code works against the local cloud's endpoint and against AWS.
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface QueueInfo {
  name: string;
  url: string;
  arn: string;
  /** Messages waiting (ApproximateNumberOfMessages). */
  visible: number;
  /** Messages received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** For a DLQ: the queues whose redrive policy points at it. */
  sources: string[];
}

export interface DeadLetterMessage {
  messageId: string;
  sentAt?: string;
  receiveCount: number;
  /** What the message is, when it is an EventBridge event (task messages are): its detail-type and ids. */
  event?: { detailType: string; planId?: string; taskId?: string; tool?: string; type?: string };
  body: string;
}

export class QueueNotFoundError extends Error {
  override readonly name = 'QueueNotFoundError';
}

const queueNameOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

async function allQueueUrls(sqs: SQSClient): Promise<string[]> {
  const urls: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, ...(NextToken ? { NextToken } : {}) }));
    urls.push(...(out.QueueUrls ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  return urls;
}

async function attributesOf(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return out.Attributes ?? {};
}

/** Queues named as dead-letter queues (e.g. a Lambda's or an EventBridge target's DLQ, which no redrive policy names). */
const DLQ_NAME = /dead-?letter|dlq/i;

/** Every dead-letter queue: some queue's redrive target, or named as one; with its depth and its sources. */
export async function listDeadLetterQueues(sqs: SQSClient): Promise<QueueInfo[]> {
  const queues = await Promise.all(
    (await allQueueUrls(sqs)).map(async (url) => ({ url, attributes: await attributesOf(sqs, url) })),
  );
  const sources = new Map<string, string[]>();
  for (const { url, attributes } of queues) {
    if (!attributes.RedrivePolicy) continue;
    const target = (JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
    if (target) sources.set(target, [...(sources.get(target) ?? []), queueNameOf(url)]);
  }
  return queues
    .filter(({ url, attributes }) => sources.has(attributes.QueueArn ?? '') || DLQ_NAME.test(queueNameOf(url)))
    .map(({ url, attributes }) => ({
      name: queueNameOf(url),
      url,
      arn: attributes.QueueArn!,
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      sources: sources.get(attributes.QueueArn!) ?? [],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A DLQ by URL, ARN, exact name, or a fragment of its name that matches one DLQ only (CDK names are long:
 * `query` would be ambiguous between lanes, `QueryWorkerHigh` is not).
 */
export async function findDeadLetterQueue(sqs: SQSClient, reference: string): Promise<QueueInfo> {
  const queues = await listDeadLetterQueues(sqs);
  const exact = queues.find((q) => q.url === reference || q.arn === reference || q.name === reference);
  if (exact) return exact;
  const needle = reference.toLowerCase();
  const matches = queues.filter((q) => q.name.toLowerCase().includes(needle));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new QueueNotFoundError(`no dead-letter queue matches '${reference}'. Dead-letter queues: ${queues.map((q) => q.name).join(', ') || 'none'}`);
  }
  throw new QueueNotFoundError(`'${reference}' matches several dead-letter queues: ${matches.map((q) => q.name).join(', ')}`);
}

function describeMessage(message: Message): DeadLetterMessage {
  const body = message.Body ?? '';
  let event: DeadLetterMessage['event'];
  try {
    const parsed = JSON.parse(body) as { 'detail-type'?: unknown; detail?: Record<string, unknown> };
    if (typeof parsed['detail-type'] === 'string' && parsed.detail) {
      const detail = parsed.detail;
      const task = (detail.task ?? {}) as Record<string, unknown>;
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      event = {
        detailType: parsed['detail-type'],
        ...(text(detail.planId) ? { planId: text(detail.planId) } : {}),
        ...(text(detail.taskId) ? { taskId: text(detail.taskId) } : {}),
        ...(text(task.tool) ? { tool: text(task.tool) } : {}),
        ...(text(task.type) ? { type: text(task.type) } : {}),
      };
    }
  } catch {
    // Not JSON: shown as the raw body.
  }
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? '',
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    ...(event ? { event } : {}),
    body,
  };
}

/**
 * Up to `max` messages of a queue, without consuming them: each is received under a short visibility timeout
 * (so successive receives return different messages) and made visible again at the end.
 */
export async function peekMessages(sqs: SQSClient, queueUrl: string, max = 10): Promise<DeadLetterMessage[]> {
  const received: Message[] = [];
  while (received.length < max) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - received.length),
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!out.Messages?.length) break;
    received.push(...out.Messages);
  }
  for (let i = 0; i < received.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: received.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
  return received.map(describeMessage);
}

export interface RedriveResult {
  taskHandle: string;
  status: string;
  moved: number;
  toMove?: number;
  failureReason?: string;
}

export interface RedriveOptions {
  /** Wait until the move task ends (polling ListMessageMoveTasks), up to this long. */
  waitMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Moves a DLQ's messages back to the queue(s) they came from (SQS's own redrive: StartMessageMoveTask). A DLQ
 * of a Lambda or an EventBridge target has no source queue to move back to: refused with a clear error.
 */
export async function redrive(sqs: SQSClient, dlq: Pick<QueueInfo, 'arn' | 'name' | 'sources'>, options: RedriveOptions = {}): Promise<RedriveResult> {
  if (dlq.sources.length === 0) {
    throw new QueueNotFoundError(`${dlq.name} is the dead-letter queue of a function or rule, not of a queue: there is no source queue to redrive to`);
  }
  const dlqArn = dlq.arn;
  const started = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  const taskHandle = started.TaskHandle ?? '';
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  for (;;) {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }));
    const task = (out.Results ?? []).find((t) => t.TaskHandle === taskHandle) ?? out.Results?.[0];
    const status = task?.Status ?? 'UNKNOWN';
    const result: RedriveResult = {
      taskHandle,
      status,
      moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
      ...(task?.ApproximateNumberOfMessagesToMove !== undefined ? { toMove: task.ApproximateNumberOfMessagesToMove } : {}),
      ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}),
    };
    if (status !== 'RUNNING' || Date.now() >= deadline) return result;
    await sleep(options.pollMs ?? 500);
  }
}
