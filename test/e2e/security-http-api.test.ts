// The security suite on the local cloud, through the HTTP API (issue 6): every route but health refuses
// missing, expired and forged tokens with 401 (and so does the MCP server's URL); another tenant's sessions, plans and approvals are 404 on
// every route (never 403, which would say they exist); oversized and malformed bodies are 413 / 400.
import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../lib/constructs/api.js';
import { ApprovalService, ApprovalStore, DEFAULT_APPROVAL_SETTINGS, approvalIdForTask } from '../../functions/core/approvals/index.js';
import { eventually, withTestCloud, type TestCloud } from '../support/local-cloud.js';
import { recordingBus, recordingSaga, writeRequest } from '../support/approvals.js';
import { badTokens, call, documentClient, tableName } from '../support/security.js';

let cloud: TestCloud;
let tokens: Record<string, string>;

withTestCloud(async (started) => {
  cloud = started;
  tokens = await badTokens(cloud);
});

/** A concrete path for a route template. */
const pathOf = (template: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => `some-${name.toLowerCase()}`);
const protectedRoutes = API_ROUTES.filter((r) => r.authenticated);
const bodyFor = (method: string) => (method === 'POST' ? JSON.stringify({ text: 'count customers', decision: 'grant' }) : undefined);

describe('authentication on every route but health', () => {
  it('serves GET /v1/health without a token', async () => {
    expect((await call(cloud, 'GET', '/v1/health')).status).toBe(200);
    expect(API_ROUTES.filter((r) => !r.authenticated).map((r) => r.path)).toEqual(['/v1/health']);
  });

  it.each(protectedRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s refuses missing, expired and forged tokens with 401', async (_, route) => {
    const path = pathOf(route.path);
    const body = bodyFor(route.method);
    const refused = async (options: { token?: string; authorization?: string }) => (await call(cloud, route.method, path, { ...options, ...(body ? { body } : {}) })).status;
    expect(await refused({})).toBe(401);
    expect(await refused({ authorization: 'Basic YWxpY2U6c2VjcmV0' })).toBe(401);
    expect(await refused({ authorization: 'Bearer' })).toBe(401);
    for (const [what, token] of Object.entries(tokens)) {
      expect(await refused({ token }), what).toBe(401);
    }
    // The same request with a valid token gets past the authorizer (whatever the route then answers).
    const valid = await cloud.token({ sub: 'alice', tenant: 'local' });
    expect(await refused({ token: valid })).not.toBe(401);
  });
});

describe('the MCP server', () => {
  it('refuses calls without a valid bearer token or signature', async () => {
    const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } } });
    const post = (authorization?: string) =>
      fetch(cloud.urls.mcp, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) },
        body: initialize,
      });
    expect((await post()).status).toBe(401);
    for (const [what, token] of Object.entries(tokens)) expect((await post(`Bearer ${token}`)).status, what).toBe(401);
    expect((await post('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00')).status).toBe(401);
    const valid = await post(`Bearer ${await cloud.token({ sub: 'alice', tenant: 'local' })}`);
    expect(valid.status).not.toBe(401);
  });
});

describe('tenant isolation', () => {
  const ask = async (token: string, sessionId: string, text: string) =>
    call(cloud, 'POST', `/v1/sessions/${sessionId}/messages`, { token, body: JSON.stringify({ text }) });

  it('answers 404 for another tenant’s session, plan and approval, exactly as for ids that do not exist', async () => {
    const alice = await cloud.token({ sub: 'alice', tenant: 'contoso' });
    const mallory = await cloud.token({ sub: 'mallory', tenant: 'fabrikam', roles: ['approver'] });
    const sent = await ask(alice, 's-shared-1', 'count customers');
    expect(sent.status).toBe(202);
    const planId: string = sent.body.planId;

    // An approval of contoso's, as the write worker records one.
    const approvals = new ApprovalService({
      store: new ApprovalStore(documentClient(cloud), tableName(cloud, 'TablesApprovals')),
      publisher: recordingBus(),
      settings: DEFAULT_APPROVAL_SETTINGS,
      saga: recordingSaga(),
    });
    const request = writeRequest('contoso', { planId, sessionId: 's-shared-1' });
    await approvals.request(request);
    const approvalId = approvalIdForTask(request);

    const foreign = [
      ['GET', `/v1/sessions/s-shared-1`],
      ['GET', `/v1/plans/${planId}`],
      ['POST', `/v1/approvals/${approvalId}`],
    ] as const;
    for (const [method, path] of foreign) {
      const answer = await call(cloud, method, path, { token: mallory, ...(method === 'POST' ? { body: JSON.stringify({ decision: 'grant' }) } : {}) });
      const missing = await call(cloud, method, path.replace(/[^/]+$/, 'does-not-exist-0'), { token: mallory, ...(method === 'POST' ? { body: JSON.stringify({ decision: 'grant' }) } : {}) });
      expect(answer.status, `${method} ${path}`).toBe(404);
      // Word for word the answer for an id that exists nowhere: nothing tells the two apart.
      const id = path.split('/').pop()!;
      expect(JSON.stringify(answer.body).replaceAll(id, '<id>')).toBe(JSON.stringify(missing.body).replaceAll('does-not-exist-0', '<id>'));
      expect(JSON.stringify(answer.body)).not.toMatch(/contoso|alice/);
    }
    const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: mallory });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(approvalId);

    // Posting into "the same" session id writes into mallory's own tenant, never into contoso's session.
    expect((await ask(mallory, 's-shared-1', 'count vendors')).status).toBe(202);
    const contosoSession = await call(cloud, 'GET', '/v1/sessions/s-shared-1', { token: alice });
    expect(contosoSession.status).toBe(200);
    expect(JSON.stringify(contosoSession.body)).not.toContain('count vendors');
    const fabrikamSession = await call(cloud, 'GET', '/v1/sessions/s-shared-1', { token: mallory });
    expect(JSON.stringify(fabrikamSession.body)).not.toContain('count customers');

    // The approval is still contoso's to decide, and still pending.
    const carol = await cloud.token({ sub: 'carol', tenant: 'contoso', roles: ['approver'] });
    const pending = await eventually('contoso’s approval in its list', async () => {
      const answer = await call(cloud, 'GET', '/v1/approvals', { token: carol });
      return answer.body.approvals?.find((a: { approvalId: string }) => a.approvalId === approvalId);
    }, 5_000);
    expect(pending.status).toBe('pending');
  });
});

describe('request bodies', () => {
  it('refuses oversized bodies with 413 and malformed ones with 400 (415 for non-JSON)', async () => {
    const token = await cloud.token({ sub: 'alice', tenant: 'local', roles: ['approver'] });
    const messages = '/v1/sessions/s-bodies/messages';
    const approval = '/v1/approvals/ap-anything';
    const post = (path: string, body: string | Buffer, contentType?: string) => call(cloud, 'POST', path, { token, body, ...(contentType ? { contentType } : {}) });

    for (const path of [messages, approval]) {
      expect((await post(path, JSON.stringify({ text: 'x'.repeat(20_000), decision: 'grant' }))).status, path).toBe(413);
      expect((await post(path, '{"text": "count customers"')).status, path).toBe(400);
      expect((await post(path, '[1,2,3]')).status, path).toBe(400);
      expect((await post(path, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))).status, path).toBe(400);
      expect((await post(path, 'text=count', 'text/plain')).status, path).toBe(415);
    }
    // Beyond API Gateway's own 10 MB limit the gateway refuses it before any code runs.
    expect((await post(messages, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20))).status).toBe(413);
    const tooLong = await post(messages, JSON.stringify({ text: 'y'.repeat(4_001) }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/at most 4000 characters/);
    const extra = await post(messages, JSON.stringify({ text: 'count customers', tenant: 'other' }));
    expect(extra.status).toBe(400);
  });
});
