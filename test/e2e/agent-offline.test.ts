// The agent end to end on the local cloud with the offline planner, through the HTTP API as a chat front-end
// would: answers are compared with the BC sandbox's own data and request counts.
import { describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createEvent, taskCreatedFields, type EventContext } from '../../functions/core/events/index.js';
import { createStateStore } from '../../functions/core/store/index.js';
import { busEvent } from '../support/bus-event.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';
import { Chat, logicalId, resourceName, sandboxGet, withAgentCloud } from '../support/chat.js';

let cloud: TestCloud;
let chat: Chat;

withAgentCloud(async (started) => {
  cloud = started;
  chat = await Chat.open(cloud);
});

const strip = (rows: Record<string, unknown>[]) => rows.map(({ '@odata.etag': _etag, ...row }) => row);

describe('the agent, offline planner', () => {
  it('count customers answers the sandbox true count', async () => {
    const truth = await sandboxGet(cloud, 'customers/$count');
    const plan = await chat.ask('count customers');
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(plan.response).toBe(`There are ${truth} customers.`);
    expect(plan.tasks[0]!.result.count).toBe(truth);
  });

  it('list vendors where … top 3 returns exactly the sandbox rows', async () => {
    const truth = (await sandboxGet(cloud, `vendors?$filter=${encodeURIComponent("number gt '10000'")}&$top=3`)).value as Record<string, unknown>[];
    expect(truth).toHaveLength(3);
    const plan = await chat.ask("list vendors where number gt '10000' top 3");
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(strip(plan.tasks[0]!.result.value)).toEqual(strip(truth));
    expect(plan.response).toContain(`Found ${truth.length} vendor`);
    for (const vendor of truth) expect(plan.response).toContain(String(vendor.number));
  });

  it('list customers top 5; list vendors top 5 runs both tasks in one level', async () => {
    const plan = await chat.ask('list customers top 5; list vendors top 5');
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(plan.tasks.map((t) => [t.status, t.dependsOn.length, t.result.value.length])).toEqual([
      ['succeeded', 0, 5],
      ['succeeded', 0, 5],
    ]);
    expect(plan.response).toMatch(/Found 5 customers[\s\S]*Found 5 vendors/);
  });

  it('get vendor <no> then analyze vendors by balance runs in sequence with the reference resolved', async () => {
    const [vendor] = (await sandboxGet(cloud, 'vendors?$top=1')).value as { number: string; displayName: string; balance: number }[];
    const plan = await chat.ask(`get vendor ${vendor!.number} then analyze vendors by balance`);
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    const [get, analyze] = plan.tasks;
    expect(analyze!.dependsOn).toEqual([get!.id]);
    expect(analyze!.result).toMatchObject({ entity: 'vendors', by: 'balance', records: 1, summary: { kind: 'numeric', count: 1, sum: vendor!.balance } });
    expect(plan.response).toBe(analyze!.result.text);
  });

  it('at least once: duplicate task:created never repeats a BC call, duplicate task:completed dispatches nothing', async () => {
    const [vendor] = (await sandboxGet(cloud, 'vendors?$top=1')).value as { number: string }[];
    const plan = await chat.ask(`get vendor ${vendor!.number} then analyze vendors by balance`);
    expect(plan.status).toBe('succeeded');
    const store = createStateStore({ tableName: resourceName(cloud, 'AWS::DynamoDB::Table', 'TablesState'), db: DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig)) });
    const stored = (await store.plans.getPlan('local', plan.planId))!;
    const [t1] = stored.tasks;
    const context = (taskId: string): EventContext => ({ tenantId: 'local', sessionId: stored.sessionId, planId: stored.planId, taskId, correlationId: stored.correlationId, causationId: stored.messageId });

    // The same task:created delivered twice more to the query worker's queue.
    cloud.sandbox.resetStats();
    const sqs = new SQSClient(cloud.clientConfig);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: resourceName(cloud, 'AWS::SQS::Queue', 'QueryWorkerNormalQueue') }));
    const body = JSON.stringify(busEvent(createEvent('task:created', taskCreatedFields(t1!, t1!.arguments), context(t1!.id))));
    for (let i = 0; i < 2; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    await eventually('the query queue to drain', async () => {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Attributes.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0' ? true : undefined;
    });
    expect(cloud.sandbox.stats().total).toBe(0);
    sqs.destroy();

    // task:completed of the first level, published twice at once and once more: no further dispatch.
    const completed = busEvent(
      createEvent('task:completed', { taskType: 'query', status: 'succeeded', result: plan.tasks[0]!.result, attempt: 1, durationMs: 1 }, context(t1!.id)),
      'bc-agent.worker.query',
    );
    const progress = logicalId(cloud, 'AWS::Lambda::Function', 'PlanProgressConsumer');
    const results = (await Promise.all([cloud.invoke(progress, completed), cloud.invoke(progress, completed)])) as { dispatched: number }[];
    results.push((await cloud.invoke(progress, completed)) as { dispatched: number });
    expect(results.map((r) => r.dispatched)).toEqual([0, 0, 0]);
    expect((await chat.plan(plan.planId)).status).toBe('succeeded');
  });

  it('nonsense text gets a helpful reply, not an error', async () => {
    const { status, body } = await chat.send('please make me a sandwich');
    expect(status).toBe(202);
    const plan = await chat.until(body.planId);
    expect(plan.status).toBe('succeeded');
    expect(plan.response).toContain('I understand these commands');
  });

  it('a write stops at awaiting_approval and nothing reaches BC', async () => {
    const before = await sandboxGet(cloud, 'customers/$count');
    cloud.sandbox.resetStats();
    const plan = await chat.ask("create customer displayName='E2E Approval Co' email='ap@e2e.example'", ['awaiting_approval', 'failed', 'succeeded']);
    expect(plan.status, JSON.stringify(plan)).toBe('awaiting_approval');
    expect(plan.tasks[0]!.status).toBe('awaiting_approval');
    expect(cloud.sandbox.stats().byRoute['POST customers']).toBeUndefined();
    expect(await sandboxGet(cloud, 'customers/$count')).toBe(before);
  });
});
