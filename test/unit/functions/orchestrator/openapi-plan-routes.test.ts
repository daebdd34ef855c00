// The routes of issue 11 item 2 answer what docs/openapi.json says, success and error alike (the statusReason
// and links of a plan view included).
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createApprovalService, DEFAULT_APPROVAL_SETTINGS } from '../../../../functions/core/approvals/index.js';
import type { HttpResponse } from '../../../../functions/core/http/index.js';
import { createStateStore, type StateStore } from '../../../../functions/core/store/index.js';
import { recordingBus, recordingSaga } from '../../../support/approvals.js';
import { startDynamo, type TestDynamo } from '../../../support/dynamo.js';
import { httpEvent, jsonBody } from '../../../support/http-event.js';
import { testOrchestrator } from '../../../support/orchestrator.js';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: { 'application/json': { schema: unknown } } }> }>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, { content?: { 'application/json': { schema: unknown } } }> };
};
const doc = JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as Doc;

function expectDocumented(method: string, path: string, response: HttpResponse) {
  const documented = doc.paths[path]?.[method.toLowerCase()]?.responses[String(response.statusCode)];
  expect(documented, `${method} ${path} documents ${response.statusCode}`).toBeDefined();
  const schema = documented!.content?.['application/json'].schema;
  expect(schema, `${method} ${path} ${response.statusCode} documents its body`).toBeDefined();
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
  const root = JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/'));
  const result = z.fromJSONSchema({ ...root, $defs: defs }).safeParse(jsonBody(response));
  expect(result.success, `${method} ${path} ${response.statusCode}: ${result.error?.message}`).toBe(true);
}

let dynamo: TestDynamo;
let store: StateStore;
let handle: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
beforeAll(async () => {
  dynamo = await startDynamo();
  store = createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc });
  handle = testOrchestrator(dynamo, {
    store, auditTable: dynamo.tables.AUDIT_TABLE, approvalSettings: DEFAULT_APPROVAL_SETTINGS, saga: recordingSaga(),
    webClient: { baseUrl: 'https://businesscentral.dynamics.com', tenant: 'contoso-tenant', environment: 'sandbox' },
  });
});
afterAll(async () => {
  await dynamo?.stop();
});

const alice = { sub: 'alice', tenant: 'contoso' };
const dave = { sub: 'dave', tenant: 'contoso' };
const call = async (method: string, path: string, route: string, claims: Record<string, unknown>, options: { body?: unknown; query?: Record<string, string> } = {}) => {
  const response = await handle(httpEvent(method, path, { claims, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}), ...(options.query ? { query: options.query } : {}) }));
  expectDocumented(method, route, response);
  return response;
};

describe('the routes of the richer plan view against the document', () => {
  it('match for success and error answers', async () => {
    const accepted = jsonBody(await handle(httpEvent('POST', '/v1/sessions/s-doc/messages', { claims: alice, body: JSON.stringify({ text: 'count customers' }) })));
    const planId: string = accepted.planId;
    // A retry notice, a pending approval and record links all in one view.
    await store.plans.transitionTask('contoso', planId, 't1', 'running', { attempt: 1 });
    await store.plans.noteRetry('contoso', planId, 't1', { reason: 'Business Central is unavailable right now; retrying in 2 s (attempt 1 of 3).', attempt: 1, nextAttemptAt: new Date().toISOString() });
    const retrying = jsonBody(await call('GET', `/v1/plans/${planId}`, '/v1/plans/{planId}', alice));
    expect(retrying.tasks[0].statusReason.kind).toBe('retrying');
    const ref = await store.results.put('contoso', planId, 't1', { value: [{ id: randomUUID(), number: '10000', displayName: 'Adatum' }] });
    await store.plans.transitionTask('contoso', planId, 't1', 'succeeded', { resultRef: ref });
    expect(jsonBody(await call('GET', `/v1/plans/${planId}`, '/v1/plans/{planId}', alice)).links).toHaveLength(1);

    const waiting = jsonBody(await handle(httpEvent('POST', '/v1/sessions/s-doc/messages', { claims: alice, body: JSON.stringify({ text: 'count vendors' }) })));
    await store.plans.transitionTask('contoso', waiting.planId, 't1', 'awaiting_approval');
    const plan = (await store.plans.getPlan('contoso', waiting.planId))!;
    // A query task never asks for approval: the view says nothing rather than guess.
    expect(jsonBody(await call('GET', `/v1/plans/${waiting.planId}`, '/v1/plans/{planId}', alice)).tasks[0].statusReason).toBeUndefined();
    const approvals = createApprovalService({ publisher: recordingBus(), db: dynamo.doc, tableName: dynamo.tables.APPROVALS_TABLE, settings: DEFAULT_APPROVAL_SETTINGS, saga: recordingSaga() });
    await approvals.request({ tenantId: 'contoso', sessionId: 's-doc', planId: waiting.planId, taskId: 't1', correlationId: plan.correlationId, requestedBy: 'alice', operation: { tool: 'bc_create_entity', arguments: { entity: 'vendors', data: { displayName: 'V' } } }, summary: 'Create a vendor' });
    expect((await call('GET', '/v1/approvals', '/v1/approvals', alice, { query: { mine: 'true' } })).statusCode).toBe(200);
    expect((await call('GET', '/v1/approvals', '/v1/approvals', alice, { query: { mine: 'maybe' } })).statusCode).toBe(400);

    const cancel = '/v1/plans/{planId}';
    expect((await call('DELETE', `/v1/plans/${waiting.planId}`, cancel, dave)).statusCode).toBe(403);
    expect((await call('DELETE', `/v1/plans/${waiting.planId}`, cancel, alice)).statusCode).toBe(200);
    expect((await call('DELETE', `/v1/plans/${waiting.planId}`, cancel, alice)).statusCode).toBe(409);
    expect((await call('DELETE', '/v1/plans/no%20such', cancel, alice)).statusCode).toBe(400);
    expect((await call('DELETE', `/v1/plans/${randomUUID()}`, cancel, alice)).statusCode).toBe(404);

    const events = '/v1/plans/{planId}/events';
    expect((await call('GET', `/v1/plans/${planId}/events`, events, alice)).statusCode).toBe(200);
    expect((await call('GET', `/v1/plans/${planId}/events`, events, alice, { query: { limit: '-1' } })).statusCode).toBe(400);
    expect((await call('GET', `/v1/plans/${planId}/events`, events, { sub: 'alice', tenant: 'other' })).statusCode).toBe(404);

    const feedback = '/v1/plans/{planId}/feedback';
    expect((await call('POST', `/v1/plans/${waiting.planId}/feedback`, feedback, alice, { body: { rating: 'down', comment: 'Not what I meant.' } })).statusCode).toBe(201);
    expect((await call('POST', `/v1/plans/${waiting.planId}/feedback`, feedback, alice, { body: { rating: 'up' } })).statusCode).toBe(409);
    expect((await call('POST', `/v1/plans/${waiting.planId}/feedback`, feedback, alice, { body: {} })).statusCode).toBe(400);
    expect((await call('POST', `/v1/plans/${randomUUID()}/feedback`, feedback, alice, { body: { rating: 'up' } })).statusCode).toBe(404);

    const sessions = jsonBody(await call('GET', '/v1/sessions', '/v1/sessions', alice, { query: { limit: '1' } }));
    expect(sessions.sessions).toEqual([{ sessionId: 's-doc', createdAt: expect.any(String) }]);
    expect((await call('GET', '/v1/sessions', '/v1/sessions', alice, { query: { cursor: 'x' } })).statusCode).toBe(400);
  });
});
