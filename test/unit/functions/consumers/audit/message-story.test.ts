// One message's story: the orchestrator's events, delivered as EventBridge would, land in the audit log with
// one correlation id and a causation chain back to the message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import { createOrchestrator } from '../../../../../functions/orchestrator/app.js';
import { AuditLog } from '../../../../../functions/consumers/audit/audit-log.js';
import { createPublisher } from '../../../../../functions/core/events/index.js';
import { createLogger } from '../../../../../functions/core/observability/index.js';
import { createStateStore } from '../../../../../functions/core/store/index.js';
import { startDynamo, TEST_CREDENTIALS, type TestDynamo } from '../../../../support/dynamo.js';
import { startPutEventsSink, type PutEventsSink } from '../../../../support/put-events-sink.js';
import { httpEvent, jsonBody } from '../../../../support/http-event.js';
import { scriptedPlanner } from '../../../../support/scripted-planner.js';

let dynamo: TestDynamo;
let sink: PutEventsSink;
let events: EventBridgeClient;

beforeAll(async () => {
  dynamo = await startDynamo();
  sink = await startPutEventsSink();
  events = new EventBridgeClient({ endpoint: sink.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  events.destroy();
  await sink.stop();
  await dynamo.stop();
});

describe('a message’s story in the audit log', () => {
  it('records every event of the message once, correlated and causally chained', async () => {
    const logger = createLogger('story-test');
    logger.setLogLevel('SILENT');
    const handle = createOrchestrator({
      store: createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc }),
      planner: scriptedPlanner,
      publisher: createPublisher({ busName: 'bc-agent-test', component: 'orchestrator', client: events }),
      logger,
      db: dynamo.doc,
      approvalsTable: dynamo.tables.APPROVALS_TABLE,
    });
    const response = await handle(
      httpEvent('POST', '/v1/sessions/chat-1/messages', {
        body: JSON.stringify({ text: 'list customers top 5; list vendors top 5' }),
        headers: { 'x-correlation-id': 'story-correlation' },
      }),
    );
    const { planId } = jsonBody(response);

    const auditLog = new AuditLog(dynamo.doc, dynamo.tables.AUDIT_TABLE);
    const deliveries: EventBridgeEvent<string, unknown>[] = sink.accepted.map((e) => ({
      version: '0',
      id: randomUUID(),
      'detail-type': e.detailType,
      source: e.source,
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: e.detail,
    }));
    // At-least-once delivery: everything twice.
    for (const delivery of [...deliveries, ...deliveries]) await auditLog.record(delivery);

    const story = await auditLog.story('contoso', planId);
    expect(story.map((r) => r.name).sort()).toEqual(['agent:started', 'task:created', 'task:created']);
    expect(new Set(story.map((r) => r.correlationId))).toEqual(new Set(['story-correlation']));
    const started = story.find((r) => r.name === 'agent:started')!;
    for (const created of story.filter((r) => r.name === 'task:created')) expect(created.causationId).toBe(started.eventId);
  });
});
