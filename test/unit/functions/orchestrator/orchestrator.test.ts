// The orchestrator handler invoked with payload 2.0 events, against dynalite and a test PutEvents sink.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { approvalKey, approvalStatusKey } from '../../../../functions/core/approvals/index.js';
import { createPublisher } from '../../../../functions/core/events/index.js';
import type { Planner } from '../../../../functions/core/planner/types.js';
import { createStateStore, type StateStore } from '../../../../functions/core/store/index.js';
import type { HttpResponse } from '../../../../functions/core/http/index.js';
import { startDynamo, TEST_CREDENTIALS, type TestDynamo } from '../../../support/dynamo.js';
import { startPutEventsSink, type PutEventsSink } from '../../../support/put-events-sink.js';
import { httpEvent, jsonBody } from '../../../support/http-event.js';
import { SCRIPTED_REPLY, scriptedPlanner } from '../../../support/scripted-planner.js';
import { testOrchestrator } from '../../../support/orchestrator.js';

let dynamo: TestDynamo;
let sink: PutEventsSink;
let events: EventBridgeClient;
let store: StateStore;
let planner: Planner;
let handle: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

beforeAll(async () => {
  dynamo = await startDynamo();
  sink = await startPutEventsSink();
  events = new EventBridgeClient({ endpoint: sink.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  store = createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc });
  handle = testOrchestrator(dynamo, {
    store,
    // Delegates to whichever planner a test sets.
    planner: { name: 'offline', plan: (text, ctx) => planner.plan(text, ctx) },
    publisher: createPublisher({ busName: 'bc-agent-test', component: 'orchestrator', client: events, maxAttempts: 2, sleep: async () => {} }),
  });
});
afterAll(async () => {
  events.destroy();
  await sink.stop();
  await dynamo.stop();
});
beforeEach(() => {
  sink.reset();
  planner = scriptedPlanner;
});

const claimsOf = (tenant: string, sub = 'alice', roles?: unknown) => ({ sub, tenant, ...(roles !== undefined ? { roles } : {}) });

function post(sessionId: string, text: string, tenant = 'contoso') {
  return handle(httpEvent('POST', `/v1/sessions/${sessionId}/messages`, { body: JSON.stringify({ text }), claims: claimsOf(tenant) }));
}

async function itemsOfTenant(tenant: string) {
  const { Items = [] } = await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tables.STATE_TABLE }));
  return Items.filter((item) => String(item.pk).startsWith(`TENANT#${tenant}#`));
}

function expectError(response: HttpResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  const body = jsonBody(response);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(response.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
  return body.error as { code: string; message: string; problems?: unknown[] };
}

describe('health', () => {
  it('answers without a token', async () => {
    const response = await handle(httpEvent('GET', '/v1/health', { claims: null }));
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ status: 'ok' });
  });
});

describe('POST /v1/sessions/{sessionId}/messages', () => {
  it('plans, persists and dispatches the first level', async () => {
    const response = await handle(
      httpEvent('POST', '/v1/sessions/chat-1/messages', {
        body: JSON.stringify({ text: 'count customers' }),
        claims: claimsOf('contoso'),
        headers: { 'x-correlation-id': 'corr-abcdef12' },
      }),
    );
    expect(response.statusCode).toBe(202);
    expect(response.headers['x-correlation-id']).toBe('corr-abcdef12');
    const body = jsonBody(response);
    expect(body).toMatchObject({ sessionId: 'chat-1', status: 'running', tasks: [{ id: expect.any(String), type: 'query', status: 'dispatched' }] });

    expect(sink.accepted.map((e) => e.detailType)).toEqual(['agent:started', 'task:created']);
    const [started, created] = sink.accepted;
    expect(started!.source).toBe('bc-agent.orchestrator');
    expect(started!.detail).toMatchObject({ tenantId: 'contoso', sessionId: 'chat-1', planId: body.planId, correlationId: 'corr-abcdef12', taskCount: 1, levelCount: 1 });
    expect(created!.detail).toMatchObject({
      planId: body.planId,
      taskId: body.tasks[0].id,
      causationId: started!.detail.eventId,
      correlationId: 'corr-abcdef12',
      task: { type: 'query', tool: 'bc_query_entity', attempt: 1, priority: 'normal', delaySeconds: 0 },
    });

    const plan = await store.plans.getPlan('contoso', body.planId);
    expect(plan?.status).toBe('running');
    const session = await store.readSession('contoso', 'chat-1');
    expect(session?.messages).toMatchObject([{ role: 'user', text: 'count customers', planId: body.planId }]);
  });

  it('dispatches independent commands together and holds back what depends on them', async () => {
    const parallel = jsonBody(await post('chat-2', 'list customers top 5; list vendors top 5'));
    expect(parallel.tasks.map((t: { status: string }) => t.status)).toEqual(['dispatched', 'dispatched']);
    expect(sink.accepted.filter((e) => e.detailType === 'task:created')).toHaveLength(2);

    sink.reset();
    const sequence = jsonBody(await post('chat-2', 'get vendor 20000 then analyze vendors by balance'));
    const statuses = sequence.tasks.map((t: { status: string }) => t.status);
    expect(statuses[0]).toBe('dispatched');
    expect(statuses.slice(1).every((s: string) => s === 'pending')).toBe(true);
    expect(sink.accepted.filter((e) => e.detailType === 'task:created')).toHaveLength(1);
  });

  it('answers nonsense with a helpful reply, stored as a succeeded plan without tasks', async () => {
    const response = await post('chat-3', 'please make me a sandwich');
    expect(response.statusCode).toBe(202);
    const body = jsonBody(response);
    expect(body).toMatchObject({ status: 'succeeded', tasks: [] });
    expect(body.response).toBe(SCRIPTED_REPLY);
    expect(sink.accepted.map((e) => e.detailType)).toEqual(['agent:started', 'agent:completed']);
    const plan = jsonBody(await handle(httpEvent('GET', `/v1/plans/${body.planId}`, { claims: claimsOf('contoso') })));
    expect(plan).toMatchObject({ status: 'succeeded', tasks: [], response: body.response });
  });

  it('ends in a failed plan with a readable reason when the planner is unavailable', async () => {
    planner = { name: 'claude', plan: async () => Promise.reject(new Error('ECONNRESET secret-ish detail')) };
    const response = await post('chat-4', 'count customers');
    expect(response.statusCode).toBe(202);
    const body = jsonBody(response);
    expect(body.status).toBe('failed');
    expect(body.response).toMatch(/not available/);
    expect(response.body).not.toContain('ECONNRESET');
    expect(sink.accepted.map((e) => e.detailType)).toEqual(['agent:started', 'agent:error']);
  });

  describe('rejects bad input with a clear 4xx and writes nothing', () => {
    const tenant = 'badinput';
    const send = (options: Parameters<typeof httpEvent>[2], sessionId = 'chat-1') =>
      handle(httpEvent('POST', `/v1/sessions/${sessionId}/messages`, { claims: claimsOf(tenant), ...options }));

    it.each([
      ['empty text', { body: JSON.stringify({ text: '' }) }, 400, 'ValidationError', /text must not be empty/],
      ['blank text', { body: JSON.stringify({ text: '   ' }) }, 400, 'ValidationError', /text must not be empty/],
      ['text too long', { body: JSON.stringify({ text: 'x'.repeat(4001) }) }, 400, 'ValidationError', /at most 4000/],
      ['text not a string', { body: JSON.stringify({ text: 42 }) }, 400, 'ValidationError', /text must be a string/],
      ['unknown field', { body: JSON.stringify({ text: 'count customers', admin: true }) }, 400, 'ValidationError', /admin/],
      ['a JSON array', { body: '[]' }, 400, 'ValidationError', /object/],
      ['malformed JSON', { body: '{"text": "count' }, 400, 'BadRequest', /not valid JSON/],
      ['empty body', { body: '' }, 400, 'BadRequest', /empty/],
      ['a 2 MB body', { body: JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }) }, 413, 'PayloadTooLarge', /at most/],
      ['a 2 MB base64 body', { body: JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }), base64: true }, 413, 'PayloadTooLarge', /at most/],
      ['a wrong content type', { body: JSON.stringify({ text: 'count customers' }), contentType: 'text/plain' }, 415, 'UnsupportedMediaType', /application\/json/],
      ['no content type', { body: JSON.stringify({ text: 'count customers' }), contentType: null }, 415, 'UnsupportedMediaType', /application\/json/],
      ['no claims', { body: JSON.stringify({ text: 'count customers' }), claims: null }, 401, 'Unauthorized', /token/],
      ['no tenant claim', { body: JSON.stringify({ text: 'count customers' }), claims: { sub: 'alice' } }, 401, 'Unauthorized', /tenant/],
      ['no subject', { body: JSON.stringify({ text: 'count customers' }), claims: { tenant } }, 401, 'Unauthorized', /subject/],
    ] as const)('%s', async (_name, options, status, code, message) => {
      const error = expectError(await send(options as Parameters<typeof httpEvent>[2]), status, code);
      expect(error.message).toMatch(message);
      expect(sink.requests).toHaveLength(0);
      expect(await itemsOfTenant(tenant)).toEqual([]);
    });

    it('a session id that is not an id', async () => {
      expectError(await send({ body: JSON.stringify({ text: 'count customers' }) }, 'a%20b'), 400, 'ValidationError');
      expect(await itemsOfTenant(tenant)).toEqual([]);
    });

    it('a plan with a cycle: 422 naming it', async () => {
      const task = { type: 'query', description: 'q', tool: 'bc_query_entity', arguments: { entity: 'customers' } };
      planner = {
        name: 'claude',
        plan: async () => ({
          kind: 'plan',
          plan: { summary: 'loop', tasks: [{ ...task, id: 'a', dependsOn: ['b'] }, { ...task, id: 'b', dependsOn: ['a'] }] } as never,
          levels: [],
        }),
      };
      const error = expectError(await send({ body: JSON.stringify({ text: 'loop' }) }), 422, 'InvalidPlan');
      expect(error.message).toMatch(/cycle/);
      expect(error.problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'cycle' })]));
      expect(sink.requests).toHaveLength(0);
      expect(await itemsOfTenant(tenant)).toEqual([]);
    });

    it('an unknown tool: 422 naming it', async () => {
      const error = expectError(
        await (async () => {
          planner = {
            name: 'claude',
            plan: async () => ({
              kind: 'plan',
              plan: { summary: 's', tasks: [{ id: 'a', type: 'query', description: 'd', tool: 'rm_rf', arguments: {}, dependsOn: [], critical: true, priority: 'normal', delaySeconds: 0 }] },
              levels: [['a']],
            }),
          };
          return send({ body: JSON.stringify({ text: 'x' }) });
        })(),
        422,
        'InvalidPlan',
      );
      expect(error.message).toMatch(/rm_rf/);
      expect(await itemsOfTenant(tenant)).toEqual([]);
    });
  });

  it('accepts a base64 body and a JSON content type with charset', async () => {
    const response = await handle(
      httpEvent('POST', '/v1/sessions/chat-5/messages', {
        body: JSON.stringify({ text: 'count vendors' }),
        base64: true,
        contentType: 'application/json; charset=utf-8',
        claims: claimsOf('contoso'),
      }),
    );
    expect(response.statusCode).toBe(202);
  });

  it('marks the plan failed and answers 503 when the first level cannot be dispatched', async () => {
    sink.policy = () => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'bus down' });
    const response = await post('chat-6', 'count customers', 'dispatchfail');
    expectError(response, 503, 'ServiceUnavailable');
    const [planItem] = (await itemsOfTenant('dispatchfail')).filter((i) => i.sk === 'PLAN');
    expect(planItem).toMatchObject({ status: 'failed', error: { code: 'DispatchFailed' } });
    expect(Object.values(planItem!.tasks as Record<string, { status: string }>).map((t) => t.status)).toEqual(['cancelled']);
  });
});

describe('reading back', () => {
  it('shows a plan and a session to their tenant only', async () => {
    const { planId } = jsonBody(await post('chat-7', 'count customers'));
    const own = await handle(httpEvent('GET', `/v1/plans/${planId}`, { claims: claimsOf('contoso', 'bob') }));
    expect(own.statusCode).toBe(200);
    expect(jsonBody(own)).toMatchObject({ planId, status: 'running', tasks: [{ type: 'query', status: 'dispatched' }] });

    expectError(await handle(httpEvent('GET', `/v1/plans/${planId}`, { claims: claimsOf('fabrikam') })), 404, 'NotFound');
    expectError(await handle(httpEvent('GET', '/v1/sessions/chat-7', { claims: claimsOf('fabrikam') })), 404, 'NotFound');
    expectError(await handle(httpEvent('GET', `/v1/plans/${planId}`, { claims: null })), 401, 'Unauthorized');

    const session = jsonBody(await handle(httpEvent('GET', '/v1/sessions/chat-7', { claims: claimsOf('contoso') })));
    expect(session).toMatchObject({ sessionId: 'chat-7', messages: [{ role: 'user', text: 'count customers', planId }], plans: [{ planId, status: 'running' }] });
  });

  it('answers 404 for unknown plans and routes, 405 for a wrong method, 400 for a malformed id', async () => {
    expectError(await handle(httpEvent('GET', '/v1/plans/does-not-exist', { claims: claimsOf('contoso') })), 404, 'NotFound');
    expectError(await handle(httpEvent('GET', '/v1/nothing-here')), 404, 'NotFound');
    const wrongMethod = await handle(httpEvent('PUT', '/v1/plans/p1'));
    expectError(wrongMethod, 405, 'MethodNotAllowed');
    expect(wrongMethod.headers.allow).toBe('GET, DELETE');
    expectError(await handle(httpEvent('GET', '/v1/plans/%23bad', { claims: claimsOf('contoso') })), 400, 'ValidationError');
    // Not percent-encoding at all: the caller's mistake, never a 500.
    expectError(await handle(httpEvent('GET', '/v1/plans/%E0%A4%A', { claims: claimsOf('contoso') })), 400, 'BadRequest');
    // Every answer of the router carries the correlation id, errors included.
    expect((await handle(httpEvent('GET', '/v1/nothing-here'))).headers['x-correlation-id']).toMatch(/\S+/);
  });

  it('hides internal failures behind a generic 500', async () => {
    const broken = testOrchestrator(dynamo, {
      store: createStateStore({ tableName: 'no-such-table', db: dynamo.doc }),
      publisher: createPublisher({ busName: 'b', component: 'orchestrator', client: events }),
    });
    const response = await broken(httpEvent('GET', '/v1/plans/p1', { claims: claimsOf('contoso') }));
    const error = expectError(response, 500, 'InternalError');
    expect(error.message).not.toMatch(/no-such-table|ResourceNotFound/);
  });
});

describe('approvals', () => {
  const future = () => Math.floor(Date.now() / 1000) + 3600;
  async function seedApproval(tenant: string, approvalId: string, status = 'pending', expiresAt = future()) {
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tables.APPROVALS_TABLE,
        Item: {
          ...approvalKey(tenant, approvalId),
          gsi1pk: approvalStatusKey(tenant, status as 'pending'),
          gsi1sk: `2026-01-01T00:00:00.000Z#${approvalId}`,
          approvalId,
          tenantId: tenant,
          sessionId: 'chat-1',
          planId: 'plan-1',
          taskId: 't1',
          correlationId: 'corr-approval',
          summary: "Create customer displayName='Fabrikam'",
          operation: { tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } },
          requestedBy: 'alice',
          status,
          requestedAt: '2026-01-01T00:00:00.000Z',
          expiresAt,
        },
      }),
    );
  }
  const decide = (approvalId: string, body: unknown, claims: Record<string, unknown>) =>
    handle(httpEvent('POST', `/v1/approvals/${approvalId}`, { body: JSON.stringify(body), claims }));

  it('lists the tenant’s pending approvals to approvers', async () => {
    const approver = claimsOf('approvals-t', 'carol', '[approver other]');
    expect(jsonBody(await handle(httpEvent('GET', '/v1/approvals', { claims: approver, query: { status: 'pending' } })))).toEqual({ approvals: [] });
    await seedApproval('approvals-t', 'ap-1');
    await seedApproval('other-t', 'ap-2');
    const listed = jsonBody(await handle(httpEvent('GET', '/v1/approvals', { claims: approver })));
    expect(listed.approvals).toMatchObject([{ approvalId: 'ap-1', planId: 'plan-1', taskId: 't1', status: 'pending', requestedBy: 'alice' }]);
    expect(listed.approvals[0].expiresAt).toMatch(/Z$/);
    expect(jsonBody(await handle(httpEvent('GET', '/v1/approvals', { claims: claimsOf('approvals-t', 'dave') })))).toEqual({ approvals: [] });
    expectError(await handle(httpEvent('GET', '/v1/approvals', { claims: approver, query: { status: 'maybe' } })), 400, 'ValidationError');
  });

  it('decides once, for approvers of the tenant only, and publishes the decision', async () => {
    await seedApproval('approvals-d', 'ap-3');
    const approver = claimsOf('approvals-d', 'carol', ['approver']);
    expectError(await decide('ap-unknown', { decision: 'grant' }, approver), 404, 'NotFound');
    expectError(await decide('ap-3', { decision: 'grant' }, claimsOf('other-t', 'carol', ['approver'])), 404, 'NotFound');
    expectError(await decide('ap-3', { decision: 'grant' }, claimsOf('approvals-d', 'dave')), 403, 'Forbidden');
    expectError(await decide('ap-3', { decision: 'maybe' }, approver), 400, 'ValidationError');

    const granted = await decide('ap-3', { decision: 'grant', reason: 'ok' }, approver);
    expect(granted.statusCode).toBe(200);
    expect(jsonBody(granted)).toMatchObject({ approvalId: 'ap-3', status: 'granted', decidedBy: 'carol' });
    expect(sink.accepted).toMatchObject([
      { detailType: 'approval:granted', detail: { approvalId: 'ap-3', taskId: 't1', planId: 'plan-1', correlationId: 'corr-approval', decidedBy: 'carol' } },
    ]);
    expectError(await decide('ap-3', { decision: 'deny' }, approver), 409, 'Conflict');
  });

  it('refuses to decide an expired approval, and records the expiry that ends the waiting write', async () => {
    await seedApproval('approvals-e', 'ap-4', 'pending', Math.floor(Date.now() / 1000) - 10);
    expectError(await decide('ap-4', { decision: 'grant' }, claimsOf('approvals-e', 'carol', ['approver'])), 409, 'Conflict');
    expect(sink.accepted.map((e) => e.detailType)).toEqual(['approval:expired']);
  });
});
