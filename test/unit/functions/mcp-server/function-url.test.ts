// The local function URL adapter: what the function receives (payload 2.0 as a function URL builds it) and
// how its result, a refusal or a crash reach the HTTP caller.
import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, serveFunctionUrl, type FunctionUrlServer } from '../../../../local/cloud/function-url.js';
import { requestFromEvent } from '../../../../functions/mcp-server/http.js';

let server: FunctionUrlServer;
let lastEvent: APIGatewayProxyEventV2 | undefined;
let nextResult: APIGatewayProxyStructuredResultV2 | Error = { statusCode: 200 };
const authorizeCalls: { method: string; url: string; body: Buffer }[] = [];

beforeAll(async () => {
  server = await serveFunctionUrl({
    port: 0,
    invoke: async (event) => {
      lastEvent = event;
      if (nextResult instanceof Error) throw nextResult;
      return nextResult;
    },
    authorize: async (headers, method, url, body) => {
      authorizeCalls.push({ method, url, body });
      return headers['x-allow'] === 'yes' ? { jwt: { claims: { sub: 'alice', tenant: 'local' }, scopes: [] } } : undefined;
    },
  });
});

afterAll(async () => {
  await server?.stop();
});

const allowed = { 'x-allow': 'yes' };

describe('serveFunctionUrl', () => {
  it('builds a payload 2.0 event: path, query, headers, cookies, text body', async () => {
    nextResult = { statusCode: 201, headers: { 'X-Out': 'v' }, body: '{"ok":true}' };
    const response = await fetch(`${server.url}/mcp/a%20b?x=1&y=2&x=3`, {
      method: 'POST',
      headers: { ...allowed, 'content-type': 'application/json', cookie: 'a=1; b=2', 'X-Mixed-Case': 'M' },
      body: '{"hello":"world"}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-out')).toBe('v');
    expect(await response.json()).toEqual({ ok: true });

    const event = lastEvent!;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/mcp/a%20b',
      rawQueryString: 'x=1&y=2&x=3',
      queryStringParameters: { x: '1,3', y: '2' },
      cookies: ['a=1', 'b=2'],
      body: '{"hello":"world"}',
      isBase64Encoded: false,
    });
    expect(event.headers['x-mixed-case']).toBe('M');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.http).toMatchObject({ method: 'POST', path: '/mcp/a b', sourceIp: '127.0.0.1' });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(authorizeCalls.at(-1)).toMatchObject({ method: 'POST', url: '/mcp/a%20b?x=1&y=2&x=3' });
    expect(authorizeCalls.at(-1)!.body.toString()).toBe('{"hello":"world"}');
  });

  it('base64-encodes binary bodies both ways, and sets cookies from the result', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    nextResult = {
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([9, 8, 7]).toString('base64'),
      isBase64Encoded: true,
      cookies: ['s=1; HttpOnly'],
    };
    const response = await fetch(`${server.url}/bin`, {
      method: 'PUT',
      headers: { ...allowed, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([9, 8, 7]));
    expect(response.headers.get('set-cookie')).toBe('s=1; HttpOnly');
    expect(lastEvent!.isBase64Encoded).toBe(true);
    expect(Buffer.from(lastEvent!.body!, 'base64')).toEqual(bytes);
  });

  it('hands the authorizer identity to the function, and an unauthenticated request without one', async () => {
    nextResult = { statusCode: 200 };
    await fetch(`${server.url}/mcp`, { method: 'POST', headers: allowed, body: '{}' });
    expect(lastEvent!.requestContext).toMatchObject({ authorizer: { jwt: { claims: { sub: 'alice', tenant: 'local' } } } });
    // The function answers it (the MCP server: 401 with its challenge), as it would behind a URL with auth NONE.
    nextResult = { statusCode: 401, headers: { 'www-authenticate': 'Bearer' } };
    const response = await fetch(`${server.url}/mcp`, { method: 'POST', body: '{}', headers: { 'x-forwarded-proto': 'https' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(lastEvent!.requestContext).not.toHaveProperty('authorizer');
    // The scheme is the URL's, whatever the caller claims.
    expect(lastEvent!.headers['x-forwarded-proto']).toBe('http');
  });

  it('sets domainName to the host the URL was addressed by, never a foreign Host header', async () => {
    nextResult = { statusCode: 200 };
    const port = server.port;
    const send = (host: string) =>
      new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${server.url}/mcp`, { method: 'POST', headers: { ...allowed, host } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end('{}');
      });
    await send(`localhost:${port}`);
    expect(lastEvent!.requestContext.domainName).toBe(`localhost:${port}`);
    await send('evil.example.com');
    expect(lastEvent!.requestContext.domainName).toBe(`127.0.0.1:${port}`);
    expect(lastEvent!.headers.host).toBe('evil.example.com');
    await send(`127.0.0.1:${port + 1}`);
    expect(lastEvent!.requestContext.domainName).toBe(`127.0.0.1:${port}`);
  });

  it('answers 502 when the function throws, and 413 beyond the payload limit', async () => {
    nextResult = new Error('boom');
    const crashed = await fetch(`${server.url}/mcp`, { method: 'POST', headers: allowed, body: '{}' });
    expect(crashed.status).toBe(502);
    expect(await crashed.text()).not.toContain('boom');

    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/big`, { method: 'POST', headers: allowed }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(Buffer.alloc(MAX_REQUEST_BYTES + 1));
    });
    expect(status).toBe(413);
  });

  it('round-trips into the Web Request the MCP handler serves', async () => {
    nextResult = { statusCode: 204 };
    await fetch(`${server.url}/mcp?a=1`, {
      method: 'POST',
      headers: { ...allowed, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0"}',
    });
    const request = requestFromEvent(lastEvent!);
    expect(request.method).toBe('POST');
    expect(new URL(request.url).pathname).toBe('/mcp');
    expect(new URL(request.url).search).toBe('?a=1');
    expect(request.headers.get('accept')).toBe('application/json, text/event-stream');
    expect(await request.text()).toBe('{"jsonrpc":"2.0"}');
  });
});
