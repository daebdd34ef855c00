// The audit consumer, through its Lambda entry configured by environment (an SQS batch from the audit queue),
// against dynalite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent, SQSRecord } from 'aws-lambda';
import { createEvent, type EventContext } from '../../../../../functions/core/events/index.js';
import { AuditLog } from '../../../../../functions/consumers/audit/audit-log.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { busEvent } from '../../../../support/bus-event.js';

let dynamo: TestDynamo;
let queueHandler: (typeof import('../../../../../functions/consumers/audit/index.js'))['handler'];
let auditLog: AuditLog;

beforeAll(async () => {
  dynamo = await startDynamo();
  Object.assign(process.env, dynamo.env, { LOG_LEVEL: 'SILENT' });
  ({ handler: queueHandler } = await import('../../../../../functions/consumers/audit/index.js'));
  auditLog = new AuditLog(dynamo.doc, dynamo.tables.AUDIT_TABLE);
});
afterAll(async () => {
  await dynamo.stop();
});

const context = (planId: string): EventContext => ({
  tenantId: 'contoso',
  sessionId: 's1',
  planId,
  correlationId: 'corr-audit-1',
  causationId: 'msg-1',
});

/** The audit queue's message for a bus event: the rule's SQS target puts the whole event in the body. */
function queueRecord(event: EventBridgeEvent<string, unknown> | string): SQSRecord {
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof event === 'string' ? event : JSON.stringify(event),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'events', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:audit',
    awsRegion: 'us-east-1',
  };
}

/** One delivery of one or more events in a single batch. */
const handler = (...events: EventBridgeEvent<string, unknown>[]) => queueHandler({ Records: events.map((e) => queueRecord(e)) });

async function auditItems() {
  const { Items = [] } = await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tables.AUDIT_TABLE }));
  return Items;
}

describe('audit consumer', () => {
  it('stores each event once, however often it is delivered', async () => {
    const started = createEvent('agent:started', { messageId: 'm1', planner: 'offline', taskCount: 1, levelCount: 1 }, context('p-dup'));
    const delivery = busEvent(started);
    await handler(delivery);
    await handler(delivery);
    // A redelivery by EventBridge carries a new envelope id around the same event.
    await handler({ ...delivery, id: 'another-delivery-id' });
    await Promise.all([handler(delivery), handler(delivery)]);
    const story = await auditLog.story('contoso', 'p-dup');
    expect(story).toHaveLength(1);
    expect(story[0]).toMatchObject({
      eventId: started.detail.eventId,
      name: 'agent:started',
      source: 'bc-agent.orchestrator',
      tenantId: 'contoso',
      planId: 'p-dup',
      correlationId: 'corr-audit-1',
    });
    expect(JSON.parse(story[0]!.detail)).toEqual(started.detail);
    const [item] = (await auditItems()).filter((i) => i.planId === 'p-dup');
    expect(item!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 300 * 24 * 3600);
  });

  it('keeps a plan’s story in time order, scoped to its tenant', async () => {
    const ctx = context('p-story');
    const times = ['2026-03-01T10:00:00.000Z', '2026-03-01T10:00:01.000Z', '2026-03-01T10:00:02.000Z'];
    const events = [
      createEvent('agent:started', { messageId: 'm1', planner: 'offline', taskCount: 1, levelCount: 1 }, ctx, { now: new Date(times[0]!) }),
      createEvent('task:updated', { status: 'running' }, { ...ctx, taskId: 't1' }, { now: new Date(times[1]!) }),
      createEvent('agent:completed', { status: 'succeeded', durationMs: 2000 }, ctx, { now: new Date(times[2]!) }),
    ];
    for (const event of [...events].reverse()) await handler(busEvent(event));
    const story = await auditLog.story('contoso', 'p-story');
    expect(story.map((r) => r.name)).toEqual(['agent:started', 'task:updated', 'agent:completed']);
    expect(story[1]!.taskId).toBe('t1');
    expect(await auditLog.story('fabrikam', 'p-story')).toEqual([]);
  });

  it('records an event without a readable envelope apart instead of losing it', async () => {
    const odd = { ...busEvent(createEvent('agent:error', { error: { code: 'X', message: 'y' } }, context('p-x'))), detail: { hello: 'world' } };
    await handler(odd);
    await handler(odd);
    const unreadable = (await auditItems()).filter((i) => String(i.pk).startsWith('UNREADABLE#'));
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]).toMatchObject({ eventId: odd.id, name: 'agent:error', detail: '{"hello":"world"}' });
  });

  it('writes a batch with a few BatchWriteItem calls, one record per event even when the batch repeats one', async () => {
    const ctx = context('p-batch');
    const events = Array.from({ length: 60 }, (_, i) => busEvent(createEvent('task:updated', { status: 'running', reason: `step ${i}` }, { ...ctx, taskId: `t${i}` })));
    // The same event twice in one batch (a redelivery next to its first delivery) and again in a later batch.
    expect(await handler(...events, events[0]!, { ...events[1]!, id: 'redelivered' })).toEqual({ batchItemFailures: [] });
    expect(await handler(events[2]!)).toEqual({ batchItemFailures: [] });
    const story = await auditLog.story('contoso', 'p-batch');
    expect(story).toHaveLength(60);
    expect(new Set(story.map((r) => r.eventId)).size).toBe(60);
  });

  it('hands back a message that is no event (for the DLQ) and the messages whose events were not written', async () => {
    const good = busEvent(createEvent('agent:started', { messageId: 'm2', planner: 'offline', taskCount: 1, levelCount: 1 }, context('p-drop')));
    const records = [queueRecord('not json'), queueRecord('{"hello":1}'), queueRecord(good)];
    expect(await queueHandler({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]!.messageId }, { itemIdentifier: records[1]!.messageId }] });
    expect(await auditLog.story('contoso', 'p-drop')).toHaveLength(1);

    // A table that cannot be written: every event of the batch is reported failed, so the queue brings it again.
    const broken = new AuditLog(dynamo.doc, 'no-such-table');
    const { failed } = await broken.recordAll([good, { ...good, id: 'x', detail: { ...(good.detail as object), eventId: randomUUID() } }]);
    expect([...failed].sort()).toEqual([0, 1]);
  });
});
