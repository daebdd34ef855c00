// A Business Central outage on the local cloud: the task is retried with backoff through the visibility
// timeout, then dead-lettered and marked failed; `npm run dlq` lists, shows and redrives the message, and the
// redriven message does not run the finished task again.
import { afterAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { runDlqCommand } from '../../scripts/dlq.js';
import type { QueueInfo } from '../../functions/core/queue/index.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';
import { Chat, resourceName, withAgentCloud } from '../support/chat.js';

let cloud: TestCloud;
let chat: Chat;
let sqs: SQSClient;

withAgentCloud(async (started) => {
  cloud = started;
  chat = await Chat.open(cloud);
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(async () => {
  sqs?.destroy();
});

async function dlq(...argv: string[]): Promise<any> {
  const out: string[] = [];
  const data = await runDlqCommand([...argv, '--json'], { sqs, out: (line) => out.push(line) });
  expect(JSON.parse(out.join('\n'))).toEqual(data);
  return data;
}

const queryDlq = async (): Promise<QueueInfo> => ((await dlq('list')) as QueueInfo[]).find((q) => q.name.includes('QueryWorkerNormalDeadLetter'))!;

describe('a BC outage', () => {
  it('retries with backoff, dead-letters the message and fails the task; the DLQ can be inspected and redriven', async () => {
    const fault = await fetch(`${cloud.sandbox.url}/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entitySet: 'items', status: 503 }),
    });
    expect(fault.status).toBe(201);

    const { body } = await chat.send('count items');
    const plan = await chat.until(body.planId, ['failed', 'succeeded'], 90_000);
    expect(plan.status).toBe('failed');
    expect(plan.tasks[0]!.status).toBe('failed');
    expect(plan.tasks[0]!.error?.code).toBe('RetriesExhausted');
    expect(plan.tasks[0]!.error?.message).toMatch(/Gave up after 3 attempts .*dead-letter queue/);
    expect(plan.response).toContain('I could not finish this');

    // The person was told on each failed attempt that BC is unavailable and when it retries.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
    const reasons = await eventually('the retry notices in the audit log', async () => {
      const { Items = [] } = await db.send(new QueryCommand({
        TableName: resourceName(cloud, 'AWS::DynamoDB::Table', 'TablesAudit'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#local#PLAN#${plan.planId}` },
      }));
      const found = Items.filter((i) => i.name === 'task:updated').map((i) => JSON.parse(i.detail as string).reason as string | undefined).filter((r) => r?.includes('retrying'));
      return found.length >= 2 ? found : undefined;
    }, 30_000);
    // In attempt order: the delays are jittered, so attempt 2's may be the shorter one.
    const attemptOf = (reason?: string) => Number(/\(attempt (\d+) of/.exec(reason ?? "")?.[1]);
    expect(reasons.sort((a, b) => attemptOf(a) - attemptOf(b))).toEqual([
      expect.stringMatching(/^Business Central is unavailable right now; retrying in [12] s \(attempt 1 of 3\)\.$/),
      expect.stringMatching(/^Business Central is unavailable right now; retrying in [1-4] s \(attempt 2 of 3\)\.$/),
    ]);

    const listed = await eventually('the message in the query DLQ', async () => {
      const queue = await queryDlq();
      return queue.visible >= 1 ? queue : undefined;
    }, 30_000);
    expect(listed.sources.some((s) => s.includes('QueryWorkerNormalQueue'))).toBe(true);

    const shown = await dlq('show', 'QueryWorkerNormalDeadLetter');
    expect(shown.messages.some((m: any) => m.event?.planId === plan.planId && m.event?.taskId === 't1' && m.event?.detailType === 'task:created')).toBe(true);

    await fetch(`${cloud.sandbox.url}/_admin/faults`, { method: 'DELETE' });
    cloud.sandbox.resetStats();
    const redriven = await dlq('redrive', 'QueryWorkerNormalDeadLetter');
    expect(redriven).toMatchObject({ status: 'COMPLETED' });
    expect(redriven.moved).toBeGreaterThanOrEqual(1);
    await eventually('the DLQ to be empty', async () => ((await queryDlq()).visible === 0 ? true : undefined));
    // Back on its queue, the message finds its task finished: it is consumed and nothing is called again.
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: listed.sources.find((s) => s.includes('QueryWorkerNormalQueue'))! }));
    await eventually('the redriven message to be consumed', async () => {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Attributes.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0' ? true : undefined;
    });
    expect(cloud.sandbox.stats().total).toBe(0);
    expect((await chat.plan(plan.planId)).status).toBe('failed');
  }, 150_000);

  it('refuses a queue it cannot tell apart, with the candidates', async () => {
    await expect(runDlqCommand(['show', 'Query'], { sqs, out: () => undefined })).rejects.toThrow(/matches several dead-letter queues/);
    await expect(runDlqCommand(['frobnicate'], { sqs, out: () => undefined })).rejects.toThrow(/unknown command 'frobnicate'/);
  });
});
