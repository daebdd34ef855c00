// The approvals routes through the orchestrator's handler, invoked with API Gateway payload 2.0 events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { approvalIdForTask } from '../../../../../functions/core/approvals/index.js';
import type { HttpResponse } from '../../../../../functions/core/http/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { httpEvent, jsonBody } from '../../../../support/http-event.js';
import { harness, writeRequest, type Harness } from '../../../../support/approvals.js';
import { testOrchestrator } from '../../../../support/orchestrator.js';

let dynamo: TestDynamo;
let h: Harness;
let handle: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

beforeAll(async () => {
  dynamo = await startDynamo();
  h = harness(dynamo);
  handle = testOrchestrator(dynamo, {
    store: h.state,
    planner: { name: 'offline', plan: async () => ({ kind: 'reply', text: 'these tests send no messages' }) },
    publisher: h.bus,
    now: h.clock.now,
  });
});
afterAll(async () => {
  await dynamo?.stop();
});

const claims = (tenant: string, sub: string, roles?: string) => ({ sub, tenant, ...(roles ? { roles } : {}) });
const carol = claims('contoso', 'carol', '[approver]');
const list = (who: Record<string, unknown> | null, query?: Record<string, string>) =>
  handle(httpEvent('GET', '/v1/approvals', { claims: who, ...(query ? { query } : {}) }));
const decide = (approvalId: string, body: string, who: Record<string, unknown> | null = carol, contentType?: string | null) =>
  handle(httpEvent('POST', `/v1/approvals/${approvalId}`, { body, claims: who, ...(contentType !== undefined ? { contentType } : {}) }));

function expectError(response: HttpResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  const body = jsonBody(response);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  return body.error as { code: string; message: string };
}

async function pending(tenant = 'contoso', requestedBy = 'alice') {
  const request = writeRequest(tenant, { requestedBy });
  await h.service.request(request);
  return { request, approvalId: approvalIdForTask(request) };
}

describe('GET /v1/approvals', () => {
  it('lists what the approver may decide, in the contract’s shape', async () => {
    const { request, approvalId } = await pending();
    await pending('contoso', 'carol');
    await pending('fabrikam');
    const response = await list(carol, { status: 'pending' });
    expect(response.statusCode).toBe(200);
    const body = jsonBody(response);
    const mine = body.approvals.filter((a: { approvalId: string }) => a.approvalId === approvalId);
    expect(mine).toEqual([
      {
        approvalId,
        planId: request.planId,
        taskId: 't1',
        summary: request.summary,
        operation: request.operation,
        requestedBy: 'alice',
        status: 'pending',
        requestedAt: expect.any(String),
        expiresAt: expect.stringMatching(/Z$/),
      },
    ]);
    expect(body.approvals.every((a: { requestedBy: string }) => a.requestedBy !== 'carol')).toBe(true);
    expect(JSON.stringify(body)).not.toContain('fabrikam');
    expect(jsonBody(await list(claims('contoso', 'dave')))).toEqual({ approvals: [] });
  });

  it('rejects an unknown status and a request without claims', async () => {
    expectError(await list(carol, { status: 'maybe' }), 400, 'ValidationError');
    expectError(await list(null), 401, 'Unauthorized');
  });
});

describe('POST /v1/approvals/{approvalId}', () => {
  it('grants once, answers the same decision again alike, and refuses a contrary one with 409', async () => {
    const { approvalId } = await pending();
    const granted = await decide(approvalId, JSON.stringify({ decision: 'grant', reason: 'checked' }));
    expect(granted.statusCode).toBe(200);
    expect(jsonBody(granted)).toMatchObject({ approvalId, status: 'granted', decidedBy: 'carol', reason: 'checked' });
    const again = await decide(approvalId, JSON.stringify({ decision: 'grant' }), claims('contoso', 'erin', 'approver'));
    expect(again.statusCode).toBe(200);
    expect(jsonBody(again)).toEqual(jsonBody(granted));
    expectError(await decide(approvalId, JSON.stringify({ decision: 'deny' })), 409, 'Conflict');
  });

  it('answers 403 to non-approvers and to the requester, 404 to another tenant', async () => {
    const { approvalId } = await pending();
    expectError(await decide(approvalId, JSON.stringify({ decision: 'grant' }), claims('contoso', 'dave')), 403, 'Forbidden');
    const own = expectError(await decide(approvalId, JSON.stringify({ decision: 'grant' }), claims('contoso', 'alice', '[approver]')), 403, 'Forbidden');
    expect(own.message).toMatch(/other than its requester/);
    const foreign = expectError(await decide(approvalId, JSON.stringify({ decision: 'grant' }), claims('fabrikam', 'carol', '[approver]')), 404, 'NotFound');
    expect(foreign.message).not.toMatch(/contoso/);
    expectError(await decide('ap-does-not-exist', JSON.stringify({ decision: 'grant' })), 404, 'NotFound');
    expect((await h.store.get('contoso', approvalId))?.status).toBe('pending');
  });

  it('refuses an expired approval with 409', async () => {
    const { approvalId } = await pending();
    h.clock.advanceMinutes(16);
    const error = expectError(await decide(approvalId, JSON.stringify({ decision: 'grant' })), 409, 'Conflict');
    expect(error.message).toMatch(/expired/);
    expect((await h.store.get('contoso', approvalId))?.status).toBe('expired');
  });

  it('rejects bad bodies: malformed, wrong shape, unknown fields, too large, not JSON', async () => {
    const { approvalId } = await pending();
    expectError(await decide(approvalId, '{"decision":'), 400, 'BadRequest');
    expectError(await decide(approvalId, ''), 400, 'BadRequest');
    expectError(await decide(approvalId, JSON.stringify({ decision: 'maybe' })), 400, 'ValidationError');
    expectError(await decide(approvalId, JSON.stringify({ decision: 'grant', approvedBy: 'someone-else' })), 400, 'ValidationError');
    expectError(await decide(approvalId, JSON.stringify({ decision: 'grant', reason: 'x'.repeat(501) })), 400, 'ValidationError');
    expectError(await decide(approvalId, JSON.stringify({ decision: 'grant', reason: 'x'.repeat(5000) })), 413, 'PayloadTooLarge');
    expectError(await decide(approvalId, 'decision=grant', carol, 'application/x-www-form-urlencoded'), 415, 'UnsupportedMediaType');
    expectError(await decide('bad%23id', JSON.stringify({ decision: 'grant' })), 400, 'ValidationError');
    expect((await h.store.get('contoso', approvalId))?.status).toBe('pending');
  });
});
