// The approvals core against dynalite: request, list, decide, expiry, saga resumption, auto-approval and the
// write gate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_NOT_GRANTED, ApprovalError, AUTO_APPROVER, approvalGate, approvalIdForTask, approvalSettingsFromEnv, autoApprovalRule, DEFAULT_APPROVAL_SETTINGS, operationHash, type ApprovalSubject } from '../../../../../functions/core/approvals/index.js';
import { SAGA_TOOL } from '../../../../../functions/core/plan/index.js';
import { operationHashOf } from '../../../../../functions/core/saga/identity.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { approver, harness, writeRequest } from '../../../../support/approvals.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

async function refusal(promise: Promise<unknown>): Promise<ApprovalError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApprovalError);
  return error as ApprovalError;
}

describe('request', () => {
  it('records a pending approval bound to the hash of the exact operation and announces it', async () => {
    const h = harness(dynamo);
    const request = writeRequest('t-req');
    const outcome = await h.service.request(request);
    const approvalId = approvalIdForTask(request);
    expect(outcome).toEqual({ status: 'pending', approvalId, expiresAt: '2026-03-01T10:15:00.000Z' });
    const record = await h.store.get('t-req', approvalId);
    expect(record).toMatchObject({
      status: 'pending',
      requestedBy: 'alice',
      planId: request.planId,
      taskId: 't1',
      operation: request.operation,
      operationHash: operationHash('t-req', 'bc_create_entity', request.operation.arguments),
      expiresAt: Date.parse('2026-03-01T10:15:00.000Z') / 1000,
    });
    expect(h.bus.events).toHaveLength(1);
    expect(h.bus.events[0]).toMatchObject({
      name: 'approval:requested',
      detail: { approvalId, summary: request.summary, operation: request.operation, requestedBy: 'alice', expiresAt: '2026-03-01T10:15:00.000Z', planId: request.planId, taskId: 't1' },
    });
  });

  it('is idempotent per task: a redelivery gets the same approval and the same announcement', async () => {
    const h = harness(dynamo);
    const request = writeRequest('t-idem');
    const first = await h.service.request(request);
    h.clock.advanceMinutes(2);
    const again = await h.service.request({ ...request, operation: { tool: 'bc_create_entity', arguments: { data: { displayName: 'Fabrikam' }, entity: 'customers' } } });
    expect(again).toEqual(first);
    expect(h.bus.names()).toEqual(['approval:requested', 'approval:requested']);
    expect(h.bus.events[1]!.detail.eventId).toBe(h.bus.events[0]!.detail.eventId);
    expect(await h.store.listByStatus('t-idem', 'pending', 10)).toHaveLength(1);
  });

  it('reports a mismatch when the same task asks for a different operation', async () => {
    const h = harness(dynamo);
    const request = writeRequest('t-mismatch');
    await h.service.request(request);
    const other = await h.service.request({ ...request, operation: { tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Contoso' } } } });
    expect(other).toMatchObject({ status: 'mismatch', approvalId: approvalIdForTask(request) });
  });
});

describe('list', () => {
  it('shows approvers the pending approvals of their tenant that they may decide', async () => {
    const h = harness(dynamo);
    const mine = writeRequest('t-list', { requestedBy: 'carol' });
    const theirs = writeRequest('t-list');
    await h.service.request(mine);
    await h.service.request(theirs);
    await h.service.request(writeRequest('t-list-other'));
    const listed = await h.service.list(approver('t-list'), 'pending');
    // carol's own request is not hers to decide (four eyes).
    expect(listed.map((a) => a.approvalId)).toEqual([approvalIdForTask(theirs)]);
    expect(listed[0]).toEqual({
      approvalId: approvalIdForTask(theirs),
      planId: theirs.planId,
      taskId: 't1',
      summary: theirs.summary,
      operation: theirs.operation,
      requestedBy: 'alice',
      status: 'pending',
      requestedAt: '2026-03-01T10:00:00.000Z',
      expiresAt: '2026-03-01T10:15:00.000Z',
    });
    expect(await h.service.list({ sub: 'dave', tenantId: 't-list', roles: [] }, 'pending')).toEqual([]);
    const selfAllowed = harness(dynamo, { allowSelfApproval: true });
    expect(await selfAllowed.service.list(approver('t-list'), 'pending')).toHaveLength(2);
  });

  it('expires overdue approvals on the way instead of listing them', async () => {
    const h = harness(dynamo);
    const request = writeRequest('t-list-expiry');
    await h.service.request(request);
    h.clock.advanceMinutes(16);
    expect(await h.service.list(approver('t-list-expiry'), 'pending')).toEqual([]);
    expect(h.bus.names()).toEqual(['approval:requested', 'approval:expired']);
    expect((await h.service.list(approver('t-list-expiry'), 'expired')).map((a) => a.status)).toEqual(['expired']);
  });
});

describe('decide', () => {
  it('lets an approver of the tenant grant once; the same decision again is idempotent, a contrary one refused', async () => {
    const h = harness(dynamo);
    const request = writeRequest('t-dec');
    const { approvalId } = await h.service.request(request);
    h.bus.clear();
    const granted = await h.service.decide(approver('t-dec'), approvalId, 'grant', 'looks right');
    expect(granted).toMatchObject({ approvalId, status: 'granted', decidedBy: 'carol', reason: 'looks right', decidedAt: '2026-03-01T10:00:00.000Z' });
    expect(h.bus.events).toHaveLength(1);
    expect(h.bus.events[0]).toMatchObject({ name: 'approval:granted', detail: { approvalId, decidedBy: 'carol', taskId: 't1', planId: request.planId, correlationId: request.correlationId } });

    const again = await h.service.decide(approver('t-dec', 'erin'), approvalId, 'grant');
    expect(again).toEqual(granted);
    // The decision is re-announced with the same event id, for a consumer that missed it.
    expect(h.bus.events[1]!.detail.eventId).toBe(h.bus.events[0]!.detail.eventId);

    const contrary = await refusal(h.service.decide(approver('t-dec'), approvalId, 'deny'));
    expect(contrary.kind).toBe('conflict');
    expect((await h.store.get('t-dec', approvalId))?.status).toBe('granted');
  });

  it('refuses non-approvers and the requester (four eyes), and hides other tenants’ approvals', async () => {
    const h = harness(dynamo);
    const { approvalId } = await h.service.request(writeRequest('t-eyes'));
    expect((await refusal(h.service.decide({ sub: 'dave', tenantId: 't-eyes', roles: ['viewer'] }, approvalId, 'grant'))).kind).toBe('forbidden');
    expect((await refusal(h.service.decide(approver('t-eyes', 'alice'), approvalId, 'grant'))).kind).toBe('forbidden');
    expect((await refusal(h.service.decide(approver('t-other'), approvalId, 'grant'))).kind).toBe('not_found');
    expect((await refusal(h.service.decide(approver('t-eyes'), 'ap-nope', 'grant'))).kind).toBe('not_found');
    expect((await h.store.get('t-eyes', approvalId))?.status).toBe('pending');

    const selfAllowed = harness(dynamo, { allowSelfApproval: true });
    expect((await selfAllowed.service.decide(approver('t-eyes', 'alice'), approvalId, 'grant')).status).toBe('granted');
  });

  it('lets exactly one of two concurrent contrary decisions win', async () => {
    const h = harness(dynamo);
    const { approvalId } = await h.service.request(writeRequest('t-race'));
    const results = await Promise.allSettled([
      h.service.decide(approver('t-race', 'carol'), approvalId, 'grant'),
      h.service.decide(approver('t-race', 'erin'), approvalId, 'deny'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as ApprovalError).kind).toBe('conflict');
    const final = await h.store.get('t-race', approvalId);
    expect(final?.status).toBe((won[0] as PromiseFulfilledResult<{ status: string }>).value.status);
    expect(h.bus.names().filter((n) => n !== 'approval:requested')).toHaveLength(1);
  });

  it('refuses an expired approval and records the expiry', async () => {
    const h = harness(dynamo);
    const { approvalId } = await h.service.request(writeRequest('t-exp'));
    h.clock.advanceMinutes(15);
    const error = await refusal(h.service.decide(approver('t-exp'), approvalId, 'grant'));
    expect(error.kind).toBe('expired');
    expect(await h.store.get('t-exp', approvalId)).toMatchObject({ status: 'expired', decidedBy: 'system:expiry' });
    expect(h.bus.names()).toEqual(['approval:requested', 'approval:expired']);
    expect((await refusal(h.service.decide(approver('t-exp'), approvalId, 'deny'))).kind).toBe('expired');
  });
});

describe('expiry sweep', () => {
  // The sweep sees every tenant: it gets a table of its own.
  let own: TestDynamo;
  beforeAll(async () => {
    own = await startDynamo();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('expires the overdue pending approvals of every tenant, once', async () => {
    const h = harness(own);
    const a = await h.service.request(writeRequest('t-sweep-a'));
    const b = await h.service.request(writeRequest('t-sweep-b'));
    h.clock.advanceMinutes(10);
    const fresh = await h.service.request(writeRequest('t-sweep-a'));
    h.clock.advanceMinutes(6);
    expect(await h.service.expireOverdue()).toBe(2);
    expect(await h.service.expireOverdue()).toBe(0);
    expect((await h.store.get('t-sweep-a', a.approvalId))?.status).toBe('expired');
    expect((await h.store.get('t-sweep-b', b.approvalId))?.status).toBe('expired');
    expect((await h.store.get('t-sweep-a', fresh.approvalId))?.status).toBe('pending');
  });
});

describe('sagas', () => {
  const order = { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5 }] };
  const sagaRequest = (tenantId: string, taskToken: string) =>
    writeRequest(tenantId, { operation: { tool: SAGA_TOOL, arguments: order }, summary: 'Create a purchase order for vendor 20000', taskToken, approvalId: `po-${tenantId}` });

  it('resumes a waiting saga with SendTaskSuccess carrying the hash the saga checks', async () => {
    const h = harness(dynamo);
    await h.service.request(sagaRequest('t-saga', 'token-1'));
    expect(h.saga.calls).toEqual([]);
    await h.service.decide(approver('t-saga'), 'po-t-saga', 'grant');
    expect(h.saga.calls).toEqual([
      { kind: 'succeed', token: 'token-1', output: { approvalId: 'po-t-saga', status: 'granted', operationHash: operationHashOf('t-saga', order), decidedBy: 'carol' } },
    ]);
    // A retried step (new token) after the grant hears the decision at once.
    await h.service.request(sagaRequest('t-saga', 'token-2'));
    expect(h.saga.calls[1]).toMatchObject({ kind: 'succeed', token: 'token-2' });
    const record = await h.store.get('t-saga', 'po-t-saga');
    expect(record?.taskToken).toBe('token-1');
    expect(JSON.stringify(await h.service.list(approver('t-saga'), 'granted'))).not.toContain('token-');
  });

  it('fails a waiting saga on denial and on expiry, with the retried step’s newest token', async () => {
    const h = harness(dynamo);
    await h.service.request(sagaRequest('t-saga-deny', 'old-token'));
    await h.service.request(sagaRequest('t-saga-deny', 'new-token'));
    await h.service.decide(approver('t-saga-deny'), 'po-t-saga-deny', 'deny', 'vendor is on hold');
    expect(h.saga.calls).toEqual([{ kind: 'fail', token: 'new-token', error: APPROVAL_NOT_GRANTED, cause: expect.stringContaining('denied by carol: vendor is on hold') }]);

    await h.service.request(sagaRequest('t-saga-exp', 'token-x'));
    h.clock.advanceMinutes(20);
    await h.service.expireOverdue();
    expect(h.saga.calls[1]).toEqual({ kind: 'fail', token: 'token-x', error: APPROVAL_NOT_GRANTED, cause: expect.stringContaining('expired') });

    // A step retried after the deadline, before any sweep: the expiry reaches the new token too.
    await h.service.request(sagaRequest('t-saga-late', 'token-a'));
    h.clock.advanceMinutes(20);
    expect(await h.service.request(sagaRequest('t-saga-late', 'token-b'))).toMatchObject({ status: 'expired' });
    expect(h.saga.calls.slice(2).map((c) => [c.kind, c.token]).sort()).toEqual([['fail', 'token-a'], ['fail', 'token-b']]);
  });
});

describe('auto-approval', () => {
  it('approves configured operations without a person, and nothing else', async () => {
    const h = harness(dynamo, { autoApprove: ['POST:customers'] });
    const request = writeRequest('t-auto');
    expect(await h.service.request(request)).toMatchObject({ status: 'granted' });
    expect(await h.store.get('t-auto', approvalIdForTask(request))).toMatchObject({ status: 'granted', decidedBy: AUTO_APPROVER, autoApprovedBy: 'POST:customers' });
    expect(h.bus.names()).toEqual(['approval:requested', 'approval:granted']);
    const vendor = writeRequest('t-auto', { operation: { tool: 'bc_create_entity', arguments: { entity: 'vendors', data: { displayName: 'V' } } } });
    expect(await h.service.request(vendor)).toMatchObject({ status: 'pending' });
  });

  it('matches rules by method and entity set; a batch needs every part covered', () => {
    const settings = { ...DEFAULT_APPROVAL_SETTINGS, autoApprove: ['PATCH:*', 'BATCH:customers'] };
    expect(autoApprovalRule(settings, { tool: 'bc_update_entity', arguments: { entity: 'items', id: 'x', data: {} } })).toBe('PATCH:*');
    expect(autoApprovalRule(settings, { tool: 'bc_delete_entity', arguments: { entity: 'items', id: 'x' } })).toBeUndefined();
    const batch = (entities: string[]) => ({ tool: 'bc_batch_operation', arguments: { operations: entities.map((entity) => ({ method: 'POST', entity })) } });
    expect(autoApprovalRule(settings, batch(['customers', 'customers']))).toBe('BATCH:customers');
    expect(autoApprovalRule(settings, batch(['customers', 'vendors']))).toBeUndefined();
    expect(autoApprovalRule(settings, { tool: 'bc_query_entity', arguments: { entity: 'customers' } })).toBeUndefined();
    expect(autoApprovalRule(DEFAULT_APPROVAL_SETTINGS, { tool: 'bc_create_entity', arguments: { entity: 'customers' } })).toBeUndefined();
  });

  it('reads its settings from the environment and refuses auto- or self-approval in prod', () => {
    expect(approvalSettingsFromEnv({})).toEqual(DEFAULT_APPROVAL_SETTINGS);
    expect(approvalSettingsFromEnv({ APPROVAL_TTL_MINUTES: '5', APPROVAL_AUTO_APPROVE: 'POST:customers, PATCH:*', APPROVAL_ALLOW_SELF: 'true', STAGE: 'dev' })).toEqual({
      ttlMinutes: 5,
      autoApprove: ['POST:customers', 'PATCH:*'],
      allowSelfApproval: true,
    });
    expect(() => approvalSettingsFromEnv({ APPROVAL_AUTO_APPROVE: 'POST:customers', STAGE: 'prod' })).toThrow(/prod/);
    expect(() => approvalSettingsFromEnv({ APPROVAL_ALLOW_SELF: 'true', STAGE: 'prod' })).toThrow(/prod/);
    expect(() => approvalSettingsFromEnv({ APPROVAL_AUTO_APPROVE: 'GET:customers' })).toThrow(/GET:customers/);
    expect(() => approvalSettingsFromEnv({ APPROVAL_TTL_MINUTES: '0' })).toThrow(/APPROVAL_TTL_MINUTES/);
    expect(() => approvalSettingsFromEnv({ APPROVAL_ALLOW_SELF: 'yes' })).toThrow(/APPROVAL_ALLOW_SELF/);
  });
});

describe('the write gate', () => {
  const subjectOf = (tenantId: string, args: Record<string, unknown>, planId = 'plan-gate'): ApprovalSubject => ({
    tenantId,
    sessionId: 'chat-1',
    planId,
    taskId: 't1',
    correlationId: 'corr-gate',
    requestedBy: 'alice',
    tool: 'bc_create_entity',
    arguments: args,
    operationHash: operationHash(tenantId, 'bc_create_entity', args),
    summary: 'Create a customer',
  });

  it('answers granted only for the exact operation that was approved', async () => {
    const h = harness(dynamo);
    const gate = approvalGate(h.service);
    const subject = subjectOf('t-gate', { entity: 'customers', data: { displayName: 'Fabrikam' } });
    expect(await gate.decisionFor(subject)).toEqual({ status: 'none' });
    const requested = await gate.request(subject);
    expect(requested).toEqual({ status: 'pending', approvalId: approvalIdForTask(subject) });
    expect(await gate.request(subject)).toEqual(requested);
    await h.service.decide(approver('t-gate'), requested.status === 'pending' ? requested.approvalId : '', 'grant');
    expect(await gate.decisionFor(subject)).toEqual({ status: 'granted', approvalId: approvalIdForTask(subject) });

    // Same task, other arguments: the grant does not carry over.
    const tampered = subjectOf('t-gate', { entity: 'customers', data: { displayName: 'Evil Corp' } });
    expect(await gate.decisionFor(tampered)).toMatchObject({ status: 'denied', reason: expect.stringContaining('different operation') });
    // A subject whose hash does not describe its arguments is a bug, refused outright.
    await expect(gate.decisionFor({ ...tampered, operationHash: subject.operationHash })).rejects.toThrow(/does not match/);
  });

  it('reports a denial with its reason, and an expiry', async () => {
    const h = harness(dynamo);
    const gate = approvalGate(h.service);
    const denied = subjectOf('t-gate-2', { entity: 'customers', data: { displayName: 'A' } }, 'plan-gd');
    await gate.request(denied);
    await h.service.decide(approver('t-gate-2'), approvalIdForTask(denied), 'deny', 'no');
    expect(await gate.decisionFor(denied)).toEqual({ status: 'denied', approvalId: approvalIdForTask(denied), reason: 'no' });

    const late = subjectOf('t-gate-2', { entity: 'customers', data: { displayName: 'B' } }, 'plan-ge');
    await gate.request(late);
    h.clock.advanceMinutes(30);
    expect(await gate.decisionFor(late)).toEqual({ status: 'expired', approvalId: approvalIdForTask(late) });
    expect(h.bus.names()).not.toContain('task:completed');
  });
});
