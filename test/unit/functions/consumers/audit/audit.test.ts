// The audit consumer, through its Lambda entry configured by environment, against dynalite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createEvent, type EventContext } from '../../../../../functions/core/events/index.js';
import { AuditLog } from '../../../../../functions/consumers/audit/audit-log.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { busEvent } from '../../../../support/bus-event.js';

let dynamo: TestDynamo;
let handler: (typeof import('../../../../../functions/consumers/audit/index.js'))['handler'];
let auditLog: AuditLog;

beforeAll(async () => {
  dynamo = await startDynamo();
  Object.assign(process.env, dynamo.env, { LOG_LEVEL: 'SILENT' });
  ({ handler } = await import('../../../../../functions/consumers/audit/index.js'));
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
});
