import {
  CreateArchiveCommand, CreateEventBusCommand, DescribeRuleCommand, EventBridgeClient, InvalidEventPatternException,
  ListEventBusesCommand, ListRulesCommand, ListTargetsByRuleCommand, PutEventsCommand, PutRuleCommand, PutTargetsCommand,
  ResourceNotFoundException, StartReplayCommand, TestEventPatternCommand, DisableRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../local/aws/clock.js';
import type { RuleTarget } from '../../../../local/aws/types.js';
import { startLocalAws } from '../../../support/local-aws.js';

const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
let local: Awaited<ReturnType<typeof startLocalAws>>;
let events: EventBridgeClient;
let sqs: SQSClient;
const BUS = 'bc-agent-test';
const dispatched: { target: RuleTarget; payload: string }[] = [];
let failDispatch = 0;

beforeAll(async () => {
  local = await startLocalAws({ clock });
  events = new EventBridgeClient(local.clientConfig);
  sqs = new SQSClient(local.clientConfig);
  local.aws.events.setTargetDispatcher(async (target, payload) => {
    if (failDispatch > 0) {
      failDispatch--;
      throw new Error('function failed');
    }
    dispatched.push({ target, payload });
  });
  await events.send(new CreateEventBusCommand({ Name: BUS }));
});

afterAll(async () => {
  events.destroy();
  sqs.destroy();
  await local.cleanup();
});

let counter = 0;
async function queueWithRule(pattern: object, target: Record<string, unknown> = {}) {
  const name = `rule-${++counter}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-queue` }));
  await events.send(new PutRuleCommand({ Name: name, EventBusName: BUS, EventPattern: JSON.stringify(pattern) }));
  await events.send(new PutTargetsCommand({
    Rule: name, EventBusName: BUS, Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:us-east-1:000000000000:${name}-queue`, ...target }],
  }));
  return { name, QueueUrl: QueueUrl! };
}

async function bodies(QueueUrl: string): Promise<unknown[]> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  return (Messages ?? []).map((message) => JSON.parse(message.Body!));
}

const put = (detail: object, detailType = 'task:created', source = 'bc-agent.orchestrator') =>
  events.send(new PutEventsCommand({ Entries: [{ EventBusName: BUS, Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }] }));

describe('EventBridge through the SDK', () => {
  it('delivers matched events to SQS targets in the shape AWS builds, and answers with EventIds', async () => {
    const { QueueUrl } = await queueWithRule({ source: ['bc-agent.orchestrator'], 'detail-type': ['task:created'], detail: { taskType: ['query'] } });
    const result = await events.send(new PutEventsCommand({
      Entries: [
        { EventBusName: BUS, Source: 'bc-agent.orchestrator', DetailType: 'task:created', Detail: '{"taskType":"query","id":1}', Resources: ['arn:x'] },
        { EventBusName: BUS, Source: 'bc-agent.orchestrator', DetailType: 'task:created', Detail: '{"taskType":"write","id":2}' },
      ],
    }));
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toHaveLength(2);
    const [event] = await bodies(QueueUrl) as Record<string, unknown>[];
    expect(event).toEqual({
      version: '0', id: result.Entries![0]!.EventId, 'detail-type': 'task:created', source: 'bc-agent.orchestrator',
      account: '000000000000', time: '2026-06-01T12:00:00Z', region: 'us-east-1', resources: ['arn:x'], detail: { taskType: 'query', id: 1 },
    });
    expect(await bodies(QueueUrl)).toHaveLength(1);
  });

  it('reports invalid entries per entry instead of failing the call', async () => {
    const result = await events.send(new PutEventsCommand({
      Entries: [
        { EventBusName: BUS, Source: 's', DetailType: 't', Detail: 'not json' },
        { EventBusName: 'no-such-bus', Source: 's', DetailType: 't', Detail: '{}' },
        { EventBusName: BUS, Source: 's', DetailType: 't', Detail: '{}' },
      ],
    }));
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries![0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(result.Entries![1]).toMatchObject({ ErrorCode: 'InvalidArgument' });
    expect(result.Entries![2]!.EventId).toBeTruthy();
  });

  it('applies InputPath, constant Input and InputTransformer (JSON and string templates)', async () => {
    const path = await queueWithRule({ detail: { kind: ['path'] } }, { InputPath: '$.detail.payload' });
    const constant = await queueWithRule({ detail: { kind: ['constant'] } }, { Input: '{"fixed":true}' });
    const json = await queueWithRule({ detail: { kind: ['json'] } }, {
      InputTransformer: {
        InputPathsMap: { id: '$.detail.id', tags: '$.detail.tags', missing: '$.detail.nope', type: '$.detail-type' },
        InputTemplate: '{"taskId": <id>, "tags": <tags>, "missing": <missing>, "label": "task <id> of type <type>", "rule": "<aws.events.rule-name>"}',
      },
    });
    const text = await queueWithRule({ detail: { kind: ['text'] } }, {
      InputTransformer: { InputPathsMap: { id: '$.detail.id' }, InputTemplate: '"Task <id> is ready"' },
    });
    await put({ kind: 'path', payload: { a: [1, 2] } });
    await put({ kind: 'constant' });
    await put({ kind: 'json', id: 't-"7"', tags: ['x', 'y'] });
    await put({ kind: 'text', id: 't-8' });
    expect(await bodies(path.QueueUrl)).toEqual([{ a: [1, 2] }]);
    expect(await bodies(constant.QueueUrl)).toEqual([{ fixed: true }]);
    expect(await bodies(json.QueueUrl)).toEqual([{
      taskId: 't-"7"', tags: ['x', 'y'], missing: null, label: 'task t-"7" of type task:created', rule: json.name,
    }]);
    expect(await bodies(text.QueueUrl)).toEqual(['Task t-8 is ready']);
  });

  it('matches operators through PutEvents (prefix, numeric, anything-but, exists, $or)', async () => {
    const { QueueUrl } = await queueWithRule({
      detail: {
        tenant: [{ prefix: 'acme-' }],
        amount: [{ numeric: ['>', 100, '<=', 1000] }],
        status: [{ 'anything-but': ['cancelled', 'draft'] }],
        approvedBy: [{ exists: false }],
        $or: [{ priority: ['high'] }, { vip: [true] }],
      },
    });
    const cases: [object, boolean][] = [
      [{ tenant: 'acme-eu', amount: 500, status: 'open', priority: 'high' }, true],
      [{ tenant: 'acme-eu', amount: 500, status: 'open', vip: true }, true],
      [{ tenant: 'other', amount: 500, status: 'open', priority: 'high' }, false],
      [{ tenant: 'acme-eu', amount: 100, status: 'open', priority: 'high' }, false],
      [{ tenant: 'acme-eu', amount: 500, status: 'draft', priority: 'high' }, false],
      [{ tenant: 'acme-eu', amount: 500, status: 'open', priority: 'high', approvedBy: 'bob' }, false],
      [{ tenant: 'acme-eu', amount: 500, status: 'open', priority: 'low' }, false],
    ];
    for (const [detail] of cases) await put(detail);
    const delivered = (await bodies(QueueUrl)) as { detail: object }[];
    expect(delivered.map((event) => event.detail)).toEqual(cases.filter(([, expected]) => expected).map(([detail]) => detail));
  });

  it('rejects invalid patterns on PutRule with InvalidEventPatternException, and tests patterns', async () => {
    await expect(events.send(new PutRuleCommand({ Name: 'bad', EventBusName: BUS, EventPattern: '{"source":"x"}' })))
      .rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(events.send(new PutRuleCommand({ Name: 'bad', EventBusName: BUS, EventPattern: '{"n":[{"numeric":[">",5,"<",1]}]}' })))
      .rejects.toBeInstanceOf(InvalidEventPatternException);
    const tested = await events.send(new TestEventPatternCommand({
      EventPattern: '{"detail":{"ip":[{"cidr":"10.0.0.0/8"}]}}',
      Event: JSON.stringify({ id: '1', account: '1', source: 's', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 't', detail: { ip: '10.1.2.3' } }),
    }));
    expect(tested.Result).toBe(true);
  });

  it('TestEventPattern requires the event envelope as AWS does (ValidationException), after checking the pattern', async () => {
    const envelope = { id: '1', account: '111122223333', source: 'orders', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 't', detail: { n: 1 } };
    const test = (event: unknown, EventPattern = '{"source":["orders"]}') =>
      events.send(new TestEventPatternCommand({ EventPattern, Event: typeof event === 'string' ? event : JSON.stringify(event) }));
    expect((await test(envelope)).Result).toBe(true);
    // AWS documents resources as mandatory but accepts an event without it.
    const { resources: _resources, ...withoutResources } = envelope;
    expect((await test(withoutResources)).Result).toBe(true);
    for (const field of ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const) {
      const { [field]: _dropped, ...event } = envelope;
      await expect(test(event)).rejects.toMatchObject({
        name: 'ValidationException', message: `Parameter Event is not valid. Reason: Provided Event is missing required field ${field}.`,
      });
    }
    await expect(test({ detail: {} })).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/^Parameter Event is not valid\. Reason: Provided Event is missing required fields id, account, source, time, region, detail-type\.$/) });
    await expect(test('{not json')).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/^Parameter Event is not valid\./) });
    await expect(test('[1]')).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(test({ ...envelope, time: 'yesterday' })).rejects.toMatchObject({ name: 'ValidationException', message: 'Parameter Event is not valid. Reason: Invalid time.' });
    // A bad pattern is reported first, even with a bad event.
    await expect(test({ detail: {} }, '{"source":"orders"}')).rejects.toBeInstanceOf(InvalidEventPatternException);
  });

  it('lists buses and rules, describes a rule and lists its targets; unknown rules raise ResourceNotFoundException', async () => {
    const { name } = await queueWithRule({ source: ['lister'] }, { InputPath: '$.detail' });
    await expect(events.send(new CreateEventBusCommand({ Name: BUS }))).rejects.toMatchObject({ name: 'ResourceAlreadyExistsException' });
    expect(local.aws.events.createBus(BUS)).toBe(`arn:aws:events:us-east-1:000000000000:event-bus/${BUS}`);
    const buses = await events.send(new ListEventBusesCommand({}));
    expect(buses.EventBuses?.map((bus) => bus.Name)).toEqual(expect.arrayContaining(['default', BUS]));
    const rules = await events.send(new ListRulesCommand({ EventBusName: BUS, NamePrefix: name }));
    expect(rules.Rules?.map((rule) => rule.Name)).toEqual([name]);
    const described = await events.send(new DescribeRuleCommand({ Name: name, EventBusName: BUS }));
    expect(described).toMatchObject({
      Name: name, EventBusName: BUS, State: 'ENABLED', EventPattern: '{"source":["lister"]}',
      Arn: `arn:aws:events:us-east-1:000000000000:rule/${BUS}/${name}`,
    });
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: BUS }));
    expect(targets.Targets).toEqual([{ Id: 'queue', Arn: `arn:aws:sqs:us-east-1:000000000000:${name}-queue`, InputPath: '$.detail' }]);
    await expect(events.send(new DescribeRuleCommand({ Name: 'nope', EventBusName: BUS }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('does not deliver through disabled rules', async () => {
    const { name, QueueUrl } = await queueWithRule({ source: ['disabled-source'] });
    await events.send(new DisableRuleCommand({ Name: name, EventBusName: BUS }));
    await put({}, 'x', 'disabled-source');
    expect(await bodies(QueueUrl)).toEqual([]);
  });

  it('hands Lambda targets to the dispatcher, retries failures, then dead-letters them', async () => {
    const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'consumer-dlq' }));
    await events.send(new PutRuleCommand({ Name: 'to-lambda', EventBusName: BUS, EventPattern: '{"source":["audit-me"]}' }));
    await events.send(new PutTargetsCommand({
      Rule: 'to-lambda', EventBusName: BUS,
      Targets: [{
        Id: 'fn', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:audit',
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:consumer-dlq' }, RetryPolicy: { MaximumRetryAttempts: 2 },
      }],
    }));
    failDispatch = 1;
    await put({ n: 1 }, 'x', 'audit-me');
    await Promise.resolve();
    clock.advance(1_000);
    await local.aws.events.idle();
    expect(dispatched.map(({ payload }) => JSON.parse(payload).detail)).toEqual([{ n: 1 }]);
    expect(dispatched[0]!.target.arn).toBe('arn:aws:lambda:us-east-1:000000000000:function:audit');

    failDispatch = 3;
    await put({ n: 2 }, 'x', 'audit-me');
    for (const delay of [1_000, 2_000]) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(delay);
    }
    await local.aws.events.idle();
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ['All'] }));
    expect(JSON.parse(Messages![0]!.Body!).detail).toEqual({ n: 2 });
    expect(Messages![0]!.MessageAttributes!.RULE_ARN!.StringValue).toBe(`arn:aws:events:us-east-1:000000000000:rule/${BUS}/to-lambda`);
    expect(Messages![0]!.MessageAttributes!.ERROR_MESSAGE!.StringValue).toBe('function failed');
  });

  it('archives events and replays them to the rules', async () => {
    const { QueueUrl } = await queueWithRule({ source: ['archived'] });
    const archive = await events.send(new CreateArchiveCommand({
      ArchiveName: 'all-events', EventSourceArn: `arn:aws:events:us-east-1:000000000000:event-bus/${BUS}`,
    }));
    await put({ n: 1 }, 'x', 'archived');
    expect(await bodies(QueueUrl)).toHaveLength(1);
    await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const replay = await events.send(new StartReplayCommand({
      ReplayName: 'again', EventSourceArn: archive.ArchiveArn,
      EventStartTime: new Date(clock.now() - 60_000), EventEndTime: new Date(clock.now() + 60_000),
      Destination: { Arn: `arn:aws:events:us-east-1:000000000000:event-bus/${BUS}` },
    }));
    expect(replay.State).toBe('COMPLETED');
    const [replayed] = await bodies(QueueUrl) as Record<string, unknown>[];
    expect(replayed).toMatchObject({ detail: { n: 1 }, 'replay-name': 'again' });
  });
});
