import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApiEvent, flattenClaims, readHttpApiResult, type HttpApiEvent } from '../../../../../local/cloud/http-api/event.js';
import { RouteTable } from '../../../../../local/cloud/http-api/routes.js';
import { MAX_PAYLOAD_BYTES, serveHttpApi, type RunningServer } from '../../../../../local/cloud/http-api/server.js';
import { loadOrCreateJwtKeys, signLocalToken, verifyJwt, type LocalJwtKeys } from '../../../../../local/cloud/jwt.js';
import type { HttpApiDefinition } from '../../../../../local/cloud/template/model.js';

describe('route selection', () => {
  const table = new RouteTable([
    { routeKey: 'GET /v1/plans/{planId}' },
    { routeKey: 'GET /v1/plans/latest' },
    { routeKey: 'ANY /v1/plans/{planId}' },
    { routeKey: 'POST /v1/sessions/{sessionId}/messages' },
    { routeKey: 'ANY /files/{proxy+}' },
  ]);

  it('prefers literal segments, then exact methods, and decodes path parameters', () => {
    expect(table.match('GET', '/v1/plans/latest')).toEqual({ route: { routeKey: 'GET /v1/plans/latest' }, pathParameters: {} });
    expect(table.match('GET', '/v1/plans/p%201')).toEqual({ route: { routeKey: 'GET /v1/plans/{planId}' }, pathParameters: { planId: 'p 1' } });
    expect(table.match('DELETE', '/v1/plans/p1')?.route.routeKey).toBe('ANY /v1/plans/{planId}');
    expect(table.match('POST', '/v1/sessions/s1/messages')?.pathParameters).toEqual({ sessionId: 's1' });
    expect(table.match('GET', '/files/a/b/c.txt')?.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
  });

  it('finds nothing for unknown paths, wrong methods or missing segments, unless $default exists', () => {
    expect(table.match('GET', '/v1/sessions/s1/messages')).toBeUndefined();
    expect(table.match('GET', '/v1/plans')).toBeUndefined();
    expect(table.match('GET', '/files')).toBeUndefined();
    const withDefault = new RouteTable([{ routeKey: '$default' }, { routeKey: 'GET /a' }]);
    expect(withDefault.match('GET', '/zzz')?.route.routeKey).toBe('$default');
    expect(() => new RouteTable([{ routeKey: 'GET /{proxy+}/x' }])).toThrow(/last segment/);
  });
});

describe('payload format 2.0', () => {
  it('builds the event as API Gateway does', () => {
    const event = buildHttpApiEvent(
      {
        method: 'POST',
        rawUrl: '/v1/sessions/s1/messages?a=1&a=2&b=x%20y',
        headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'x-multi': ['1', '2'], host: 'localhost:3000', 'user-agent': 'ua' },
        body: Buffer.from('{"text":"hi"}'),
        sourceIp: '127.0.0.1',
        protocol: 'HTTP/1.1',
      },
      {
        apiId: 'api1',
        stage: '$default',
        routeKey: 'POST /v1/sessions/{sessionId}/messages',
        pathParameters: { sessionId: 's1' },
        requestId: 'r1',
        now: new Date(Date.UTC(2026, 10, 27, 14, 39, 2)),
        jwt: { claims: { sub: 'alice', tenant: 'local', roles: ['approver', 'reader'], exp: 1800000000 }, scopes: [] },
      },
    );
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'POST /v1/sessions/{sessionId}/messages',
      rawPath: '/v1/sessions/s1/messages',
      rawQueryString: 'a=1&a=2&b=x%20y',
      cookies: ['c1=v1', 'c2=v2'],
      headers: { 'content-type': 'application/json', 'x-multi': '1,2', host: 'localhost:3000', 'user-agent': 'ua' },
      queryStringParameters: { a: '1,2', b: 'x y' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'api1',
        authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: { sub: 'alice', tenant: 'local', roles: '[approver reader]', exp: '1800000000' }, scopes: null } },
        domainName: 'localhost:3000',
        domainPrefix: 'localhost:3000',
        http: { method: 'POST', path: '/v1/sessions/s1/messages', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'ua' },
        requestId: 'r1',
        routeKey: 'POST /v1/sessions/{sessionId}/messages',
        stage: '$default',
        time: '27/Nov/2026:14:39:02 +0000',
        timeEpoch: Date.UTC(2026, 10, 27, 14, 39, 2),
      },
      pathParameters: { sessionId: 's1' },
      body: '{"text":"hi"}',
      isBase64Encoded: false,
    });
  });

  it('base64-encodes binary bodies and leaves out what the request lacks', () => {
    const event = buildHttpApiEvent(
      { method: 'PUT', rawUrl: '/x', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2]), sourceIp: '::1', protocol: 'HTTP/1.1' },
      { apiId: 'a', stage: '$default', routeKey: 'PUT /x', pathParameters: {}, requestId: 'r', now: new Date() },
    );
    expect(event).toMatchObject({ body: 'AAEC', isBase64Encoded: true, rawQueryString: '' });
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('cookies');
    expect(event.requestContext).not.toHaveProperty('authorizer');
  });

  it('stringifies claims like API Gateway', () => {
    expect(flattenClaims({ a: true, b: { c: 1 }, d: [] })).toEqual({ a: 'true', b: '{"c":1}', d: '[]' });
  });

  it('reads structured and simple results, and refuses malformed ones', () => {
    expect(readHttpApiResult({ statusCode: 201, headers: { 'X-A': 1 }, cookies: ['k=v'], body: 'aGk=', isBase64Encoded: true })).toEqual({
      statusCode: 201, headers: { 'x-a': '1', 'set-cookie': ['k=v'] }, body: Buffer.from('hi'),
    });
    expect(readHttpApiResult({ ok: true })).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"ok":true}') });
    expect(readHttpApiResult('plain')?.body.toString()).toBe('plain');
    expect(readHttpApiResult({ statusCode: 'abc' })).toBeUndefined();
    expect(readHttpApiResult({ statusCode: 200, body: { not: 'a string' } })).toBeUndefined();
  });
});

describe('the HTTP API server', () => {
  const issuer = { issuer: 'https://issuer.example/', audience: ['bc-agent'] };
  const api: HttpApiDefinition = {
    logicalId: 'Api',
    apiId: 'api1',
    stage: '$default',
    routes: [
      { routeKey: 'GET /v1/health', functionName: 'fn', authorizationScopes: [] },
      { routeKey: 'POST /v1/items/{id}', functionName: 'fn', authorizer: { ...issuer, identitySource: '$request.header.Authorization' }, authorizationScopes: [] },
      { routeKey: 'GET /v1/admin', functionName: 'fn', authorizer: { ...issuer, identitySource: '$request.header.Authorization' }, authorizationScopes: ['admin'] },
      { routeKey: 'GET /v1/broken', functionName: 'broken', authorizationScopes: [] },
    ],
  };
  const stateDir = mkdtempSync(join(tmpdir(), 'http-api-'));
  const seen: HttpApiEvent[] = [];
  let keys: LocalJwtKeys;
  let server: RunningServer;

  beforeAll(async () => {
    keys = await loadOrCreateJwtKeys(stateDir);
    server = await serveHttpApi({
      port: 0,
      api,
      invoke: async (name, event) => {
        if (name === 'broken') throw new Error('boom');
        seen.push(event);
        return { statusCode: 200, body: JSON.stringify({ path: event.rawPath }), headers: { 'content-type': 'application/json' } };
      },
      verifyToken: (token, authorizer, scopes) => verifyJwt(token, keys.publicKey, authorizer, scopes),
    });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves open routes, 404 for unknown ones, 500 when the function fails', async () => {
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
    const missing = await fetch(`${server.url}/v1/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
    const broken = await fetch(`${server.url}/v1/broken`);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('passes verified claims to the function and refuses missing, wrong-audience and unscoped tokens', async () => {
    const token = await signLocalToken(keys, issuer, { sub: 'alice', tenant: 'local', roles: ['approver'] });
    const ok = await fetch(`${server.url}/v1/items/i1`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    expect(ok.status).toBe(200);
    expect(seen.at(-1)?.requestContext.authorizer?.jwt.claims).toMatchObject({ sub: 'alice', tenant: 'local', roles: '[approver]' });
    expect(seen.at(-1)?.pathParameters).toEqual({ id: 'i1' });

    expect((await fetch(`${server.url}/v1/items/i1`, { method: 'POST' })).status).toBe(401);
    const otherAudience = await signLocalToken(keys, { issuer: issuer.issuer, audience: ['someone-else'] }, { sub: 'a', tenant: 't' });
    expect((await fetch(`${server.url}/v1/items/i1`, { method: 'POST', headers: { authorization: `Bearer ${otherAudience}` } })).status).toBe(401);
    const otherIssuer = await signLocalToken(keys, { issuer: 'https://evil.example/', audience: ['bc-agent'] }, { sub: 'a', tenant: 't' });
    expect((await fetch(`${server.url}/v1/items/i1`, { method: 'POST', headers: { authorization: `Bearer ${otherIssuer}` } })).status).toBe(401);
    expect((await fetch(`${server.url}/v1/admin`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    const admin = await signLocalToken(keys, issuer, { sub: 'a', tenant: 't', scope: 'admin read' });
    expect((await fetch(`${server.url}/v1/admin`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  });

  it('refuses bodies over API Gateway’s 10 MB limit with 413', async () => {
    const big = await fetch(`${server.url}/v1/items/i1`, { method: 'POST', body: Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 97) });
    expect(big.status).toBe(413);
  });

  it('throttles with the stage’s rate and burst: 429 past the burst', async () => {
    const throttled = await serveHttpApi({
      port: 0,
      api: { ...api, throttle: { rateLimit: 0.001, burstLimit: 2 } },
      invoke: async () => ({ ok: true }),
      verifyToken: async () => ({ ok: false, reason: 'unused' }),
    });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await fetch(`${throttled.url}/v1/health`)).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await throttled.stop();
    }
  });
});
