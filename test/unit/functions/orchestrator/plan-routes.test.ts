// Issue 11 item 2 through the orchestrator's handler (dynalite, a recording bus and saga waiter): the plan
// view's statusReason and record links, DELETE /v1/plans/{id}, GET /v1/sessions, GET /v1/approvals?mine=true,
// GET /v1/plans/{id}/events and POST /v1/plans/{id}/feedback, each with its bad input.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../../functions/consumers/audit/audit-log.js';
import { APPROVAL_NOT_GRANTED, approvalIdForTask, createApprovalService, DEFAULT_APPROVAL_SETTINGS } from '../../../../functions/core/approvals/index.js';
import { createEvent } from '../../../../functions/core/events/index.js';
import type { HttpResponse } from '../../../../functions/core/http/index.js';
import { SAGA_TOOL } from '../../../../functions/core/plan/index.js';
import { approvalIdFor } from '../../../../functions/core/saga/index.js';
import { createStateStore, type NewTask, type StateStore, type StoredPlan } from '../../../../functions/core/store/index.js';
import { recordingBus, recordingSaga, type RecordingBus } from '../../../support/approvals.js';
import { startDynamo, type TestDynamo } from '../../../support/dynamo.js';
import { httpEvent, jsonBody } from '../../../support/http-event.js';
import { testOrchestrator } from '../../../support/orchestrator.js';

const TENANT = 'contoso';
const alice = { sub: 'alice', tenant: TENANT };
const dave = { sub: 'dave', tenant: TENANT };
const carol = { sub: 'carol', tenant: TENANT, roles: ['approver'] };
const mallory = { sub: 'alice', tenant: 'fabrikam', roles: ['approver'] };
const WEB = 'https://businesscentral.dynamics.com';

let dynamo: TestDynamo;
let store: StateStore;
let bus: RecordingBus;
let saga: ReturnType<typeof recordingSaga>;
let handle: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

beforeAll(async () => {
  dynamo = await startDynamo();
  store = createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc });
  bus = recordingBus();
  saga = recordingSaga();
  handle = testOrchestrator(dynamo, {
    store,
    publisher: bus,
    auditTable: dynamo.tables.AUDIT_TABLE,
    approvalSettings: DEFAULT_APPROVAL_SETTINGS,
    saga,
    webClient: { baseUrl: WEB, tenant: 'f00d-tenant', environment: 'production', companyName: 'CRONUS USA, Inc.' },
  });
});
afterAll(async () => {
  await dynamo?.stop();
});

const call = (method: string, path: string, claims: Record<string, unknown> | null, options: { body?: unknown; query?: Record<string, string> } = {}) =>
  handle(httpEvent(method, path, { claims, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}), ...(options.query ? { query: options.query } : {}) }));

const approvals = () => createApprovalService({ publisher: recordingBus(), db: dynamo.doc, tableName: dynamo.tables.APPROVALS_TABLE, settings: DEFAULT_APPROVAL_SETTINGS, saga });

const task = (id: string, overrides: Partial<NewTask> = {}): NewTask => ({
  id,
  type: 'query',
  tool: 'bc_query_entity',
  arguments: { entity: 'customers' },
  dependsOn: [],
  critical: true,
  priority: 'normal',
  delaySeconds: 0,
  level: 0,
  ...overrides,
});

/** A running plan of alice's with a single write waiting for approval (t1), a saga waiting on its token (t2) and a pending query (t3). */
async function planWaitingForApprovals(): Promise<{ plan: StoredPlan; writeApproval: string; sagaApproval: string }> {
  const planId = randomUUID();
  await store.sessions.ensureSession(TENANT, 'chat-cancel', 'alice');
  const plan = await store.plans.createPlan(TENANT, {
    planId,
    sessionId: 'chat-cancel',
    messageId: randomUUID(),
    correlationId: `corr-${planId}`,
    createdBy: 'alice',
    status: 'awaiting_approval',
    planner: 'offline',
    levels: [['t1', 't2'], ['t3']],
    tasks: [
      task('t1', { type: 'write', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } }),
      task('t2', { type: 'write', tool: SAGA_TOOL, arguments: { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5 }] } }),
      task('t3', { dependsOn: ['t1'], level: 1 }),
    ],
    initialTaskStatus: { t1: 'awaiting_approval', t2: 'awaiting_approval' },
  });
  const service = approvals();
  const write = await service.request({
    tenantId: TENANT, sessionId: 'chat-cancel', planId, taskId: 't1', correlationId: plan.correlationId, requestedBy: 'alice',
    operation: { tool: 'bc_create_entity', arguments: plan.tasks[0]!.arguments }, summary: "Create customer 'Fabrikam'.",
  });
  const order = await service.request({
    tenantId: TENANT, sessionId: 'chat-cancel', planId, taskId: 't2', correlationId: plan.correlationId, requestedBy: 'alice',
    operation: { tool: SAGA_TOOL, arguments: plan.tasks[1]!.arguments }, summary: 'Purchase order for vendor 20000: 5 x 1896-S.',
    taskToken: `token-${planId}`, approvalId: approvalIdFor({ tenantId: TENANT, planId, taskId: 't2' }),
  });
  return { plan, writeApproval: write.approvalId, sagaApproval: order.approvalId };
}

describe('GET /v1/plans/{planId}: statusReason and record links', () => {
  it('shows a retry notice with the next attempt time while the failed attempt is the current one', async () => {
    const accepted = jsonBody(await call('POST', '/v1/sessions/chat-retry/messages', alice, { body: { text: 'count customers' } }));
    await store.plans.transitionTask(TENANT, accepted.planId, 't1', 'running', { attempt: 1 });
    const note = { reason: 'Business Central is unavailable right now; retrying in 4 s (attempt 1 of 3).', attempt: 1, nextAttemptAt: '2026-03-01T10:00:04.000Z' };
    expect(await store.plans.noteRetry(TENANT, accepted.planId, 't1', note)).toBe(true);
    const view = jsonBody(await call('GET', `/v1/plans/${accepted.planId}`, alice));
    expect(view.tasks[0].statusReason).toEqual({ kind: 'retrying', message: note.reason, attempt: 1, nextAttemptAt: note.nextAttemptAt });

    // The next attempt starts: the notice is history, not the task's state.
    await store.plans.transitionTask(TENANT, accepted.planId, 't1', 'running', { from: ['running'], attempt: 2 });
    expect(jsonBody(await call('GET', `/v1/plans/${accepted.planId}`, alice)).tasks[0].statusReason).toBeUndefined();
    // A notice for an attempt that is not the current one is not kept.
    expect(await store.plans.noteRetry(TENANT, accepted.planId, 't1', note)).toBe(false);
  });

  it('names the approval a waiting task needs: id, summary, expiry (single write and saga alike)', async () => {
    const { plan, writeApproval, sagaApproval } = await planWaitingForApprovals();
    expect(writeApproval).toBe(approvalIdForTask({ tenantId: TENANT, planId: plan.planId, taskId: 't1' }));
    const view = jsonBody(await call('GET', `/v1/plans/${plan.planId}`, alice));
    const [t1, t2, t3] = view.tasks;
    expect(t1.statusReason).toMatchObject({ kind: 'awaiting_approval', approval: { approvalId: writeApproval, summary: "Create customer 'Fabrikam'.", status: 'pending', requestedBy: 'alice' } });
    expect(Date.parse(t1.statusReason.approval.expiresAt)).toBeGreaterThan(Date.now());
    expect(t2.statusReason).toMatchObject({ kind: 'awaiting_approval', approval: { approvalId: sagaApproval, summary: 'Purchase order for vendor 20000: 5 x 1896-S.' } });
    expect(t3.statusReason).toBeUndefined();
  });

  it("links each record a result names to its card in the stage's BC web client, and the answer to all of them", async () => {
    const accepted = jsonBody(await call('POST', '/v1/sessions/chat-links/messages', alice, { body: { text: 'count customers' } }));
    const id = '5f1c2f7e-9a43-4d5c-9b7e-0d1e2f3a4b5c';
    const result = { value: [{ id, number: '10000', displayName: 'Adatum Corporation' }, { number: 'no-id' }, { id: 'not-a-guid' }] };
    const ref = await store.results.put(TENANT, accepted.planId, 't1', result);
    await store.plans.transitionTask(TENANT, accepted.planId, 't1', 'succeeded', { resultRef: ref });
    const view = jsonBody(await call('GET', `/v1/plans/${accepted.planId}`, alice));
    const link = {
      entitySet: 'customers',
      id,
      label: '10000 Adatum Corporation',
      url: `${WEB}/f00d-tenant/production/?company=CRONUS+USA%2C+Inc.&page=21&filter=%27SystemId%27+IS+%27${id}%27`,
    };
    expect(view.tasks[0].links).toEqual([link]);
    expect(view.links).toEqual([link]);
    const url = new URL(link.url);
    expect(url.searchParams.get('filter')).toBe(`'SystemId' IS '${id}'`);
    expect(url.searchParams.get('company')).toBe('CRONUS USA, Inc.');
  });
});

describe('DELETE /v1/plans/{planId}', () => {
  it('cancels what has not started, closes its approvals (the waiting saga is failed) and announces it', async () => {
    const { plan, writeApproval, sagaApproval } = await planWaitingForApprovals();
    bus.clear();
    saga.calls.splice(0);
    const response = await call('DELETE', `/v1/plans/${plan.planId}`, alice);
    expect(response.statusCode).toBe(200);
    const body = jsonBody(response);
    expect(body.status).toBe('cancelled');
    expect(body.tasks.map((t: { status: string }) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(body.cancellation.cancelledTasks).toEqual([
      { taskId: 't1', previousStatus: 'awaiting_approval' },
      { taskId: 't2', previousStatus: 'awaiting_approval' },
      { taskId: 't3', previousStatus: 'pending' },
    ]);
    expect(body.cancellation.closedApprovals.map((a: { approvalId: string }) => a.approvalId).sort()).toEqual([writeApproval, sagaApproval].sort());
    expect(body.cancellation.stillRunning).toEqual([]);
    expect(body.tasks[0].statusReason).toEqual({ kind: 'cancelled', message: 'Cancelled by alice.' });

    // The saga waiting on its token is told to end without writing.
    expect(saga.calls).toEqual([expect.objectContaining({ kind: 'fail', token: `token-${plan.planId}`, error: APPROVAL_NOT_GRANTED })]);
    expect(bus.names().sort()).toEqual(['agent:completed', 'approval:closed', 'approval:closed', 'task:updated', 'task:updated', 'task:updated'].sort());
    expect(bus.events.find((e) => e.name === 'agent:completed')!.detail).toMatchObject({ status: 'cancelled', planId: plan.planId });

    // A later grant cannot write: the approval is closed.
    const grant = await call('POST', `/v1/approvals/${writeApproval}`, carol, { body: { decision: 'grant' } });
    expect(grant.statusCode).toBe(409);
    expect(jsonBody(grant).error.code).toBe('ApprovalWaiterGone');
    const record = await approvals().current(TENANT, writeApproval);
    expect(record).toMatchObject({ status: 'expired', closedReason: `its plan ${plan.planId} was cancelled by alice` });

    // The session tells the story; a second cancel is a conflict.
    const session = jsonBody(await call('GET', '/v1/sessions/chat-cancel', alice));
    expect(session.messages.at(-1)).toMatchObject({ role: 'assistant', text: 'The plan was cancelled by alice before it finished.', planId: plan.planId });
    const again = await call('DELETE', `/v1/plans/${plan.planId}`, alice);
    expect(again.statusCode).toBe(409);
    expect(jsonBody(again).error).toMatchObject({ code: 'PlanEnded', message: expect.stringMatching(/already ended \(cancelled\)/) });
  });

  it('leaves a running task to finish and says so', async () => {
    const accepted = jsonBody(await call('POST', '/v1/sessions/chat-run/messages', alice, { body: { text: 'count customers' } }));
    await store.plans.transitionTask(TENANT, accepted.planId, 't1', 'running', { attempt: 1 });
    const body = jsonBody(await call('DELETE', `/v1/plans/${accepted.planId}`, alice));
    expect(body.status).toBe('cancelled');
    expect(body.cancellation.cancelledTasks).toEqual([]);
    expect(body.cancellation.stillRunning).toEqual([{ taskId: 't1', reason: expect.stringMatching(/finishes/) }]);
  });

  it('leaves a saga whose approval was granted just before to finish, but still cancels the rest', async () => {
    const { plan, writeApproval, sagaApproval } = await planWaitingForApprovals();
    const service = approvals();
    await service.decide({ sub: 'carol', tenantId: TENANT, roles: ['approver'] }, sagaApproval, 'grant');
    const body = jsonBody(await call('DELETE', `/v1/plans/${plan.planId}`, alice));
    expect(body.status).toBe('cancelled');
    expect(body.cancellation.closedApprovals).toEqual([{ approvalId: writeApproval, taskId: 't1' }]);
    expect(body.cancellation.stillRunning).toEqual([{ taskId: 't2', reason: expect.stringMatching(/saga/) }]);
    expect(body.tasks.map((t: { status: string }) => t.status)).toEqual(['cancelled', 'awaiting_approval', 'cancelled']);
    expect((await service.current(TENANT, sagaApproval))!.status).toBe('granted');
  });

  it('is for the requester or an approver of the tenant only', async () => {
    const { plan } = await planWaitingForApprovals();
    const byOther = await call('DELETE', `/v1/plans/${plan.planId}`, dave);
    expect(byOther.statusCode).toBe(403);
    const fromOtherTenant = await call('DELETE', `/v1/plans/${plan.planId}`, mallory);
    expect(fromOtherTenant.statusCode).toBe(404);
    expect((await store.plans.getPlan(TENANT, plan.planId))!.status).toBe('awaiting_approval');
    const byApprover = await call('DELETE', `/v1/plans/${plan.planId}`, carol);
    expect(byApprover.statusCode).toBe(200);
    expect(jsonBody(byApprover).cancellation.cancelledBy).toBe('carol');
  });

  it('refuses a bad id, an unknown plan and a plan that has already ended', async () => {
    expect((await call('DELETE', '/v1/plans/bad%20id', alice)).statusCode).toBe(400);
    expect((await call('DELETE', `/v1/plans/${randomUUID()}`, alice)).statusCode).toBe(404);
    const reply = jsonBody(await call('POST', '/v1/sessions/chat-ended/messages', alice, { body: { text: 'hello there' } }));
    expect(reply.status).toBe('succeeded');
    const ended = await call('DELETE', `/v1/plans/${reply.planId}`, alice);
    expect(ended.statusCode).toBe(409);
  });
});

describe('GET /v1/sessions', () => {
  it("lists the caller's own sessions, newest first, page by page", async () => {
    const user = { sub: `user-${randomUUID()}@example.com`, tenant: TENANT };
    const base = Date.parse('2026-03-01T10:00:00.000Z');
    for (let i = 0; i < 5; i++) await store.sessions.ensureSession(TENANT, `s-${i}`, user.sub, new Date(base + i * 1000));
    await store.sessions.ensureSession(TENANT, 's-someone-else', 'bob', new Date(base + 10_000));
    // Sending to an existing session does not list it twice.
    await store.sessions.ensureSession(TENANT, 's-0', user.sub, new Date(base + 20_000));

    const first = jsonBody(await call('GET', '/v1/sessions', user, { query: { limit: '2' } }));
    expect(first.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['s-4', 's-3']);
    const second = jsonBody(await call('GET', '/v1/sessions', user, { query: { limit: '2', cursor: first.nextCursor } }));
    expect(second.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['s-2', 's-1']);
    const third = jsonBody(await call('GET', '/v1/sessions', user, { query: { limit: '2', cursor: second.nextCursor } }));
    expect(third.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['s-0']);
    expect(third.nextCursor).toBeUndefined();

    // Another tenant with the same subject sees none of them.
    expect(jsonBody(await call('GET', '/v1/sessions', { ...user, tenant: 'fabrikam' })).sessions).toEqual([]);
  });

  it('refuses a bad limit and a cursor it did not give this caller', async () => {
    expect((await call('GET', '/v1/sessions', alice, { query: { limit: '0' } })).statusCode).toBe(400);
    expect((await call('GET', '/v1/sessions', alice, { query: { limit: 'many' } })).statusCode).toBe(400);
    expect((await call('GET', '/v1/sessions', alice, { query: { cursor: 'not-base64-json' } })).statusCode).toBe(400);
    const others = Buffer.from(JSON.stringify({ pk: 'TENANT#fabrikam#USER#x', sk: 'SESSION#2026#s' })).toString('base64url');
    const forged = await call('GET', '/v1/sessions', alice, { query: { cursor: others } });
    expect(forged.statusCode).toBe(400);
    expect(jsonBody(forged).error.message).toMatch(/not a cursor of this list/);
  });
});

describe('GET /v1/approvals?mine=true', () => {
  it("shows the requester their own pending requests, whatever their role, and nobody else's", async () => {
    const { writeApproval, sagaApproval } = await planWaitingForApprovals();
    const mine = jsonBody(await call('GET', '/v1/approvals', alice, { query: { mine: 'true' } })).approvals;
    const ids = mine.map((a: { approvalId: string }) => a.approvalId);
    expect(ids).toEqual(expect.arrayContaining([writeApproval, sagaApproval]));
    expect(mine.find((a: { approvalId: string }) => a.approvalId === writeApproval)).toMatchObject({ summary: "Create customer 'Fabrikam'.", status: 'pending', expiresAt: expect.any(String) });
    // Without mine, a non-approver sees nothing to decide.
    expect(jsonBody(await call('GET', '/v1/approvals', alice)).approvals).toEqual([]);
    // Another user, and another tenant, see none of alice's.
    expect(jsonBody(await call('GET', '/v1/approvals', dave, { query: { mine: 'true' } })).approvals).toEqual([]);
    expect(jsonBody(await call('GET', '/v1/approvals', mallory, { query: { mine: 'true' } })).approvals).toEqual([]);
    expect((await call('GET', '/v1/approvals', alice, { query: { mine: 'yes' } })).statusCode).toBe(400);
  });
});

describe('GET /v1/plans/{planId}/events', () => {
  it("tells the plan's story from the audit log in order, page by page, to its tenant only", async () => {
    const accepted = jsonBody(await call('POST', '/v1/sessions/chat-audit/messages', alice, { body: { text: 'count customers' } }));
    const plan = (await store.plans.getPlan(TENANT, accepted.planId))!;
    const audit = new AuditLog(dynamo.doc, dynamo.tables.AUDIT_TABLE);
    const context = { tenantId: TENANT, sessionId: plan.sessionId, planId: plan.planId, correlationId: plan.correlationId, causationId: plan.messageId };
    const at = (s: number) => ({ now: new Date(Date.parse('2026-03-01T10:00:00.000Z') + s * 1000) });
    const events = [
      createEvent('agent:started', { messageId: plan.messageId, planner: 'offline', taskCount: 1, levelCount: 1 }, context, at(0)),
      createEvent('task:updated', { status: 'running', previousStatus: 'dispatched' }, { ...context, taskId: 't1' }, at(1)),
      createEvent('agent:completed', { status: 'succeeded', response: '32 customers' }, context, at(2)),
    ];
    // Recorded out of order, and one twice: the story is in time order, each event once.
    for (const e of [events[2]!, events[0]!, events[1]!, events[0]!]) {
      await audit.record({ id: randomUUID(), version: '0', account: '0', time: e.detail.occurredAt, region: 'us-east-1', resources: [], source: 'bc-agent.test', 'detail-type': e.name, detail: e.detail });
    }
    const all = jsonBody(await call('GET', `/v1/plans/${plan.planId}/events`, alice));
    expect(all.events.map((e: { name: string }) => e.name)).toEqual(['agent:started', 'task:updated', 'agent:completed']);
    expect(all.events[1]).toMatchObject({ taskId: 't1', source: 'bc-agent.test', detail: { status: 'running' } });

    const page1 = jsonBody(await call('GET', `/v1/plans/${plan.planId}/events`, alice, { query: { limit: '2' } }));
    expect(page1.events).toHaveLength(2);
    const page2 = jsonBody(await call('GET', `/v1/plans/${plan.planId}/events`, alice, { query: { limit: '2', after: page1.next } }));
    expect(page2.events.map((e: { name: string }) => e.name)).toEqual(['agent:completed']);

    expect((await call('GET', `/v1/plans/${plan.planId}/events`, mallory)).statusCode).toBe(404);
    expect((await call('GET', `/v1/plans/${randomUUID()}/events`, alice)).statusCode).toBe(404);
    expect((await call('GET', `/v1/plans/${plan.planId}/events`, alice, { query: { after: 'TENANT#x' } })).statusCode).toBe(400);
    expect((await call('GET', `/v1/plans/${plan.planId}/events`, alice, { query: { limit: '100000' } })).statusCode).toBe(400);
  });
});

describe('POST /v1/plans/{planId}/feedback', () => {
  it('keeps one rating per user of an ended plan and announces it', async () => {
    const reply = jsonBody(await call('POST', '/v1/sessions/chat-feedback/messages', alice, { body: { text: 'hello there' } }));
    bus.clear();
    const given = await call('POST', `/v1/plans/${reply.planId}/feedback`, alice, { body: { rating: 'up', comment: 'Exactly what I needed.' } });
    expect(given.statusCode).toBe(201);
    expect(jsonBody(given)).toMatchObject({ planId: reply.planId, rating: 'up', comment: 'Exactly what I needed.', givenBy: 'alice' });
    expect(bus.events.map((e) => [e.name, e.detail])).toEqual([['plan:feedback', expect.objectContaining({ rating: 'up', givenBy: 'alice', planId: reply.planId })]]);

    const twice = await call('POST', `/v1/plans/${reply.planId}/feedback`, alice, { body: { rating: 'down' } });
    expect(twice.statusCode).toBe(409);
    expect(jsonBody(twice).error.code).toBe('FeedbackExists');
    expect(await store.feedback.get(TENANT, reply.planId, 'alice')).toMatchObject({ rating: 'up' });
    // Another user of the tenant gives their own.
    expect((await call('POST', `/v1/plans/${reply.planId}/feedback`, dave, { body: { rating: 'down' } })).statusCode).toBe(201);
  });

  it('refuses bad ratings, running plans and other tenants', async () => {
    const reply = jsonBody(await call('POST', '/v1/sessions/chat-feedback-2/messages', alice, { body: { text: 'hello there' } }));
    expect((await call('POST', `/v1/plans/${reply.planId}/feedback`, alice, { body: { rating: 'meh' } })).statusCode).toBe(400);
    expect((await call('POST', `/v1/plans/${reply.planId}/feedback`, alice, { body: { rating: 'up', extra: 1 } })).statusCode).toBe(400);
    expect((await call('POST', `/v1/plans/${reply.planId}/feedback`, alice, { body: { rating: 'up', comment: 'x'.repeat(1001) } })).statusCode).toBe(400);
    expect((await call('POST', `/v1/plans/${reply.planId}/feedback`, mallory, { body: { rating: 'up' } })).statusCode).toBe(404);
    const running = jsonBody(await call('POST', '/v1/sessions/chat-feedback-3/messages', alice, { body: { text: 'count customers' } }));
    const early = await call('POST', `/v1/plans/${running.planId}/feedback`, alice, { body: { rating: 'up' } });
    expect(early.statusCode).toBe(409);
    expect(jsonBody(early).error.code).toBe('PlanNotEnded');
  });
});
