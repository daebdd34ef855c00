// docs/openapi.json is the contract a chat front-end codes against (ARCHITECTURE §5): every deployed route is
// in it with the right auth, and what the orchestrator really answers validates against its schemas.
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { API_ROUTES } from '../../../../lib/constructs/api.js';
import { serveHttpApi, type RunningServer } from '../../../../local/cloud/http-api/server.js';
import type { HttpApiDefinition } from '../../../../local/cloud/template/model.js';
import type { HttpResponse } from '../../../../functions/core/http/index.js';
import { createApprovalService } from '../../../../functions/core/approvals/index.js';
import { createStateStore, type StateStore } from '../../../../functions/core/store/index.js';
import { recordingBus } from '../../../support/approvals.js';
import { startDynamo, type TestDynamo } from '../../../support/dynamo.js';
import { httpEvent, jsonBody } from '../../../support/http-event.js';
import { testOrchestrator } from '../../../support/orchestrator.js';

interface Response {
  $ref?: string;
  content?: { 'application/json': { schema: unknown } };
}
interface Operation {
  security?: unknown[];
  responses: Record<string, Response>;
}
const doc = JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as {
  security: unknown[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, Response> };
};

/** A documented response, its `$ref` to a shared one (such as Unauthorized) followed. */
function resolveResponse(response: Response | undefined): Response | undefined {
  const name = response?.$ref?.replace('#/components/responses/', '');
  return name === undefined ? response : doc.components.responses[name];
}

/** A zod validator for a response schema of the document (its $refs resolved against components). */
function validatorFor(schema: unknown): z.ZodType {
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
  const root = JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/'));
  return z.fromJSONSchema({ ...root, $defs: defs });
}

function expectDocumented(method: string, path: string, response: Pick<HttpResponse, 'statusCode' | 'body'>) {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  const documented = resolveResponse(operation!.responses[String(response.statusCode)]);
  expect(documented, `${method} ${path} documents status ${response.statusCode}`).toBeDefined();
  const schema = documented!.content?.['application/json'].schema;
  // A body the caller receives is a body the document describes.
  if (response.body) expect(schema, `${method} ${path} ${response.statusCode} documents its body`).toBeDefined();
  if (schema) {
    const result = validatorFor(schema).safeParse(jsonBody(response));
    expect(result.success, `${method} ${path} ${response.statusCode}: ${result.error?.message}`).toBe(true);
  }
}

describe('the OpenAPI document', () => {
  it('documents exactly the deployed routes, with a bearer token on all but health', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of API_ROUTES) {
      const operation = doc.paths[route.path]![route.method.toLowerCase()]!;
      const security = operation.security ?? doc.security;
      expect(security.length > 0, `${route.method} ${route.path}`).toBe(route.authenticated);
    }
  });
});

describe('answers of the orchestrator against the document', () => {
  let dynamo: TestDynamo;
  let store: StateStore;
  let handle: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
  const claims = { sub: 'alice', tenant: 'contoso' };
  const approver = { sub: 'carol', tenant: 'contoso', roles: ['approver'] };

  beforeAll(async () => {
    dynamo = await startDynamo();
    store = createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc });
    handle = testOrchestrator(dynamo, { store });
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  const call = async (method: string, path: string, route: string, options: Parameters<typeof httpEvent>[2] = {}) => {
    const response = await handle(httpEvent(method, path, { claims, ...options }));
    expectDocumented(method, route, response);
    return response;
  };

  it('matches for success and error answers of every route', async () => {
    const messages = '/v1/sessions/{sessionId}/messages';
    const accepted = await call('POST', '/v1/sessions/s1/messages', messages, { body: JSON.stringify({ text: 'count customers' }) });
    expect(accepted.statusCode).toBe(202);
    const { planId } = jsonBody(accepted) as { planId: string };
    await call('POST', '/v1/sessions/s1/messages', messages, { body: '{"text":' });
    await call('POST', '/v1/sessions/s1/messages', messages, { body: 'text=hi', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/v1/sessions/s1/messages', messages, { body: JSON.stringify({ text: 'x'.repeat(100_000) }) });

    expect((await call('GET', `/v1/plans/${planId}`, '/v1/plans/{planId}')).statusCode).toBe(200);
    expect((await call('GET', '/v1/plans/nope', '/v1/plans/{planId}')).statusCode).toBe(404);
    expect((await call('GET', '/v1/sessions/s1', '/v1/sessions/{sessionId}')).statusCode).toBe(200);
    expect((await call('GET', '/v1/sessions/nope', '/v1/sessions/{sessionId}')).statusCode).toBe(404);

    expect((await call('GET', '/v1/approvals', '/v1/approvals', { claims: approver })).statusCode).toBe(200);
    const decide = '/v1/approvals/{approvalId}';
    expect((await call('POST', '/v1/approvals/ap-none', decide, { claims: approver, body: JSON.stringify({ decision: 'grant' }) })).statusCode).toBe(404);
    await call('POST', '/v1/approvals/ap-none', decide, { claims: approver, body: JSON.stringify({ decision: 'maybe' }) });
    // An approval whose plan has ended: 409 ApprovalWaiterGone, as documented.
    const approvals = createApprovalService({ publisher: recordingBus(), db: dynamo.doc, tableName: dynamo.tables.APPROVALS_TABLE });
    const plan = (await store.plans.getPlan('contoso', planId))!;
    const { approvalId } = await approvals.request({
      tenantId: 'contoso', sessionId: 's1', planId, taskId: plan.tasks[0]!.id, correlationId: plan.correlationId, requestedBy: 'alice',
      operation: { tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'X' } } }, summary: 'Create a customer',
    });
    await store.plans.transitionPlan('contoso', planId, 'cancelled');
    const gone = await call('POST', `/v1/approvals/${approvalId}`, decide, { claims: approver, body: JSON.stringify({ decision: 'grant' }) });
    expect(gone.statusCode).toBe(409);
    expect(jsonBody(gone)).toMatchObject({ error: { code: 'ApprovalWaiterGone', message: expect.stringMatching(/has ended \(cancelled\)/) } });
    expect((await call('GET', '/v1/health', '/v1/health', { claims: null })).statusCode).toBe(200);
  });
});

describe('answers of API Gateway itself (the local HTTP API) against the document', () => {
  const servers: RunningServer[] = [];
  const gateway = async (throttle?: HttpApiDefinition['throttle']) => {
    const authorizer = { issuer: 'https://issuer.invalid', audience: ['bc-agent'], identitySource: '$request.header.Authorization' };
    const api: HttpApiDefinition = {
      logicalId: 'Api',
      apiId: 'local',
      stage: '$default',
      routes: API_ROUTES.map((r) => ({ routeKey: `${r.method} ${r.path}`, functionName: 'orchestrator', authorizationScopes: [], ...(r.authenticated ? { authorizer } : {}) })),
      ...(throttle ? { throttle } : {}),
    };
    const server = await serveHttpApi({
      port: 0,
      api,
      // Neither answer below reaches the function: API Gateway answers before it.
      invoke: async () => {
        throw new Error('the function must not be invoked');
      },
      verifyToken: async () => ({ ok: false, reason: 'the token has expired' }),
    });
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'x1');
  const fetched = async (url: string, init: RequestInit) => {
    const response = await fetch(url, init);
    return { statusCode: response.status, headers: response.headers, body: await response.text() };
  };

  it("401 on every authenticated route: the authorizer's body and WWW-Authenticate, as documented", async () => {
    const { url } = await gateway();
    for (const route of API_ROUTES.filter((r) => r.authenticated)) {
      for (const authorization of [undefined, 'Bearer expired.token.here']) {
        const response = await fetched(`${url}${concrete(route.path)}`, {
          method: route.method,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          ...(route.method === 'POST' ? { body: '{}' } : {}),
        });
        expect(response.statusCode, `${route.method} ${route.path}`).toBe(401);
        expectDocumented(route.method, route.path, response);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  it("429 from the stage throttle on every route, health included", async () => {
    const { url } = await gateway({ rateLimit: 0, burstLimit: 0 });
    for (const route of API_ROUTES) {
      const response = await fetched(`${url}${concrete(route.path)}`, { method: route.method, ...(route.method === 'POST' ? { body: '{}' } : {}) });
      expect(response.statusCode).toBe(429);
      expectDocumented(route.method, route.path, response);
    }
  });
});
