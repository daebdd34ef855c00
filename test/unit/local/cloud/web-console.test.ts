// The console's server side on its own: static files from the build and nothing outside it, /config.json,
// /v1 left to the API, and the dev-token endpoint's refusals (bad names, wrong content type, another
// origin, oversized bodies), each with a clear error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTokenRequest } from '../../../../local/cloud/jwt.js';
import { createWebConsoleHandler } from '../../../../local/cloud/web-console.js';

describe('web console server', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const signed: LocalTokenRequest[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bc-agent-web-server-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(dir, 'app.js'), 'console.log(1)');
    const handler = createWebConsoleHandler({
      dir,
      config: () => ({ apiUrl: '', wsUrl: 'ws://127.0.0.1:1/ws', issuer: 'https://issuer.example', audience: ['bc-agent'], devTokens: true }),
      signToken: async (request) => {
        signed.push(request);
        return `token-for-${request.sub}`;
      },
    });
    server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) {
          res.writeHead(418, { 'content-type': 'text/plain' });
          res.end('api');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const postToken = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(`${url}/_local/token`, { method: 'POST', headers, body });

  it('serves index.html at / with a same-origin content security policy, and the bundle with its type', async () => {
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await index.text()).toContain('<title>console</title>');
    const script = await fetch(`${url}/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('gives /config.json uncached, and leaves /v1, unknown files and other methods to the API', async () => {
    const config = await fetch(`${url}/config.json`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(await config.json()).toEqual({ apiUrl: '', wsUrl: 'ws://127.0.0.1:1/ws', issuer: 'https://issuer.example', audience: ['bc-agent'], devTokens: true });
    for (const [method, path] of [['GET', '/v1/health'], ['GET', '/v1'], ['GET', '/missing.js'], ['POST', '/'], ['DELETE', '/app.js']] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect([path, response.status, await response.text()]).toEqual([path, 418, 'api']);
    }
  });

  it('serves nothing outside its directory, however the path is spelled', async () => {
    const outside = join(dir, '..', 'outside-secret.txt');
    await writeFile(outside, 'secret');
    try {
      for (const path of ['/../outside-secret.txt', '/%2e%2e/outside-secret.txt', '/..%2foutside-secret.txt', '/%00', '/%E0%A4%A']) {
        const status = await rawGet(path);
        expect([path, status]).toEqual([path, 418]);
      }
    } finally {
      await rm(outside, { force: true });
    }
  });

  it('signs a dev token for a valid user and roles', async () => {
    const response = await postToken(JSON.stringify({ sub: 'alice', tenant: 'local', roles: ['approver'] }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; roles: string[]; expiresAt: string };
    expect(body.token).toBe('token-for-alice');
    expect(body.roles).toEqual(['approver']);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    expect(signed.at(-1)).toEqual({ sub: 'alice', tenant: 'local', roles: ['approver'], ttlSeconds: 3600 });
  });

  it('refuses bad token requests with a clear error and signs nothing', async () => {
    const before = signed.length;
    const cases: Array<[Response, number, string]> = [
      [await postToken(JSON.stringify({ sub: 'bad user', tenant: 'local' })), 400, 'sub: letters'],
      [await postToken(JSON.stringify({ sub: 'alice', tenant: 'a/b' })), 400, 'tenant: letters'],
      [await postToken(JSON.stringify({ sub: 'alice', tenant: 'local', roles: ['ok', 'not ok'] })), 400, 'roles:'],
      [await postToken(JSON.stringify({ sub: 'alice', tenant: 'local', ttlSeconds: 99999999 })), 400, 'ttlSeconds'],
      [await postToken('{not json'), 400, 'not JSON'],
      [await postToken(JSON.stringify({ sub: 'alice', tenant: 'local' }), { 'content-type': 'text/plain' }), 415, 'application/json'],
      [await postToken(JSON.stringify({ sub: 'alice', tenant: 'local' }), { 'content-type': 'application/json', origin: 'https://evil.example' }), 403, 'evil.example'],
      [await postToken(JSON.stringify({ sub: 'alice', tenant: 'local', pad: 'x'.repeat(5000) })), 413, 'exceeds'],
      [await fetch(`${url}/_local/token`), 405, 'POST'],
    ];
    for (const [response, status, words] of cases) {
      const body = (await response.json()) as { error: { message: string } };
      expect([response.status, body.error.message]).toEqual([status, expect.stringContaining(words)]);
    }
    expect(signed.length).toBe(before);
  });

  /** A GET with the path sent exactly as written (fetch would normalise the dots away). */
  function rawGet(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${url}/`, { path, method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }
});
