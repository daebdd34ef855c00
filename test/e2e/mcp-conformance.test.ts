// The MCP server on the local cloud, judged by the MCP project's own tools as a user runs them: the conformance
// suite's generic server scenarios (@modelcontextprotocol/conformance) and the MCP Inspector CLI
// (@modelcontextprotocol/inspector), both through the project's auth (a JWT from the local dev issuer); then
// MCP authorization as the SDK client discovers it (401 challenge, RFC 9728 metadata), the write role, DNS
// rebinding, prompt completions and what the server advertises, over raw HTTP and the SDK client.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { checkResourceAllowed } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { withTestCloud, type TestCloud } from '../support/local-cloud.js';
import { startBearerProxy, type BearerProxy } from '../support/bearer-proxy.js';

const require = createRequire(import.meta.url);
const binOf = (pkg: string, bin: string) => join(dirname(require.resolve(`${pkg}/package.json`)), bin);
const CONFORMANCE = binOf('@modelcontextprotocol/conformance', 'dist/index.js');
const INSPECTOR = binOf('@modelcontextprotocol/inspector', 'clients/launcher/build/index.js');
const SERVER_SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'resources-list', 'prompts-list', 'dns-rebinding-protection'];

let cloud: TestCloud;
let mcpUrl: string;
let reader: string;
let writer: string;
let proxy: BearerProxy;
let scratch: string;

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});
withTestCloud(async (started) => {
  cloud = started;
  mcpUrl = cloud.urls.mcp;
  reader = await cloud.token({ sub: 'alice', tenant: 'local' });
  writer = await cloud.token({ sub: 'bob', tenant: 'local', roles: ['mcp-writer'] });
  proxy = await startBearerProxy(mcpUrl, reader);
  // The Inspector keeps a catalog and secrets under HOME: a throwaway one, so nothing of the machine's is read.
  scratch = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
});
afterAll(async () => {
  await proxy?.stop();
});

/** Runs a Node CLI (the pinned Node: both tools need 22+) and returns its exit code and output, never throwing. */
function runNode(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: scratch, NO_COLOR: '1', CI: 'true' }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

type Check = { id: string; status: string; errorMessage?: string; details?: Record<string, unknown> };

/** One conformance scenario against `url`: the CLI's exit code and the checks it saved. */
async function conformance(url: string, scenario: string): Promise<{ code: number; checks: Check[]; output: string }> {
  const outDir = await mkdtemp(join(scratch, `${scenario}-`));
  const run = await runNode(CONFORMANCE, ['server', '--url', url, '--scenario', scenario, '-o', outDir]);
  const [resultDir] = await readdir(outDir);
  const checks = resultDir ? (JSON.parse(await readFile(join(outDir, resultDir, 'checks.json'), 'utf8')) as Check[]) : [];
  return { code: run.code, checks, output: run.stdout + run.stderr };
}

describe('MCP conformance suite 0.1.16, generic server scenarios, with a dev-issuer bearer token', () => {
  // The CLI has no option to send a header (`conformance server --help`): the bearer proxy adds the token and
  // forwards everything else as sent, so the rebinding scenario's Host and Origin reach the server unchanged.
  it.each(SERVER_SCENARIOS)('%s passes', async (scenario) => {
    const { code, checks, output } = await conformance(`${proxy.url}/mcp`, scenario);
    expect(checks.length, output).toBeGreaterThan(0);
    expect(checks.filter((c) => c.status !== 'SUCCESS'), output).toEqual([]);
    expect(code, output).toBe(0);
  });

  it('dns-rebinding-protection: the foreign Host is refused by the SDK transport (403), not by a missing token', async () => {
    const { checks } = await conformance(`${proxy.url}/mcp`, 'dns-rebinding-protection');
    const rejected = checks.find((c) => c.id === 'localhost-host-rebinding-rejected');
    expect(rejected?.details).toMatchObject({ statusCode: 403, body: { error: { message: 'Invalid Host header: evil.example.com' } } });
  });

  it('fails without a token: the server is not open', async () => {
    const { code, checks } = await conformance(mcpUrl, 'server-initialize');
    expect(code).not.toBe(0);
    expect(checks.map((c) => c.status)).toContain('FAILURE');
  });
});

describe('MCP Inspector CLI 2.12.0 with --header only', () => {
  const inspector = (token: string, ...args: string[]) =>
    runNode(INSPECTOR, ['--cli', mcpUrl, '--header', `Authorization: Bearer ${token}`, ...args]);

  it('lists the tools, and --strict finds no schema portability problem', async () => {
    const { code, stdout, stderr } = await inspector(reader, '--method', 'tools/list', '--strict');
    expect(code, stderr).toBe(0);
    const { tools } = JSON.parse(stdout) as { tools: { name: string; inputSchema: unknown }[] };
    expect(tools.map((t) => t.name).sort()).toEqual(['bc_batch_operation', 'bc_create_entity', 'bc_delete_entity', 'bc_post_document', 'bc_query_entity', 'bc_update_entity']);
    expect(stderr).not.toMatch(/Warning|Error|Schema portability/);
    // The untyped `{}` the linter flags (what z.unknown() produced) is gone from every schema.
    expect(stdout).not.toMatch(/"additionalProperties":\s*\{\s*\}/);
  });

  it('calls a read tool with a reader token', async () => {
    const { code, stdout, stderr } = await inspector(reader, '--method', 'tools/call', '--tool-name', 'bc_query_entity', '--tool-arg', 'entity=customers', '--tool-arg', 'top=2');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { structuredContent: { value: { displayName: string }[] } };
    expect(result.structuredContent.value).toHaveLength(2);
  });

  it('refuses a write tool to a reader token, and writes with an mcp-writer token', async () => {
    const name = `Inspector ${Date.now()}`;
    const args = ['--method', 'tools/call', '--tool-name', 'bc_create_entity', '--tool-arg', 'entity=customers', '--tool-arg', `data={"displayName":"${name}"}`];
    const before = cloud.sandbox.requests().length;
    const refused = await inspector(reader, ...args);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain("the write tools need a token with the 'mcp-writer' role");
    // Refused before BC: no write reached the sandbox.
    expect(cloud.sandbox.requests().slice(before).filter((r) => r.method !== 'GET')).toEqual([]);

    const written = await inspector(writer, ...args);
    expect(written.code, written.stderr).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({ structuredContent: { displayName: name } });
  });
});

describe('MCP authorization over HTTP (raw requests and the SDK client)', () => {
  const ping = (headers: Record<string, string>) =>
    fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });

  it('answers 401 with a Bearer challenge whose resource_metadata the SDK follows to the dev issuer', async () => {
    const response = await ping({});
    expect(response.status).toBe(401);
    const challenge = extractWWWAuthenticateParams(response);
    expect(challenge.resourceMetadataUrl?.href).toBe(`${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource/mcp`);
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(mcpUrl), { resourceMetadataUrl: challenge.resourceMetadataUrl! });
    expect(metadata).toMatchObject({ resource: mcpUrl, authorization_servers: [cloud.jwtConfig.issuer], bearer_methods_supported: ['header'] });
    expect(checkResourceAllowed({ requestedResource: mcpUrl, configuredResource: metadata.resource })).toBe(true);
    // Also at the root well-known path, where the SDK looks without a challenge.
    expect(await discoverOAuthProtectedResourceMetadata(new URL(mcpUrl))).toEqual(metadata);
  });

  it('says invalid_token for a forged token and for a token of another tenant', async () => {
    const forged = `${reader.slice(0, -4)}AAAA`;
    const otherTenant = await cloud.token({ sub: 'eve', tenant: 'elsewhere', roles: ['mcp-writer'] });
    for (const token of [forged, otherTenant]) {
      const response = await ping({ authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      expect(extractWWWAuthenticateParams(response).error).toBe('invalid_token');
    }
    const other = await (await ping({ authorization: `Bearer ${otherTenant}` })).json();
    expect(JSON.stringify(other)).toContain("this MCP server serves 'local'");
  });

  it('refuses a foreign Host or Origin even with a valid token (the SDK transport, 403)', async () => {
    const { request } = await import('node:http');
    const post = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${reader}`, ...headers } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
      });
    expect(await post({ host: 'evil.example.com' })).toMatchObject({ status: 403, body: expect.stringContaining('Invalid Host header') });
    expect(await post({ origin: 'http://evil.example' })).toMatchObject({ status: 403, body: expect.stringContaining('Invalid Origin header') });
    expect((await post({ origin: new URL(mcpUrl).origin })).status).toBe(200);
    const port = new URL(mcpUrl).port;
    expect((await post({ host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('advertises no list-change notifications (stateless: GET /mcp is 405) and completes prompt arguments', async () => {
    const client = new Client({ name: 'conformance-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${reader}` } } }));
    try {
      const capabilities = client.getServerCapabilities()!;
      expect(capabilities.tools?.listChanged).toBe(false);
      expect(capabilities.resources?.listChanged).toBe(false);
      expect(capabilities.prompts?.listChanged).toBe(false);
      expect(capabilities.completions).toBeDefined();
      const get = await fetch(mcpUrl, { headers: { authorization: `Bearer ${reader}`, accept: 'text/event-stream' } });
      expect(get.status).toBe(405);

      const complete = (name: string, argument: string, value: string) =>
        client.complete({ ref: { type: 'ref/prompt', name }, argument: { name: argument, value } });
      // Every completion is a catalogue set with the typed prefix (any case), and the obvious ones are there.
      const cu = (await complete('query_builder', 'entity', 'cu')).completion.values;
      expect(cu).toEqual(expect.arrayContaining(['currencies', 'customers']));
      expect(cu.every((name) => name.toLowerCase().startsWith('cu'))).toBe(true);
      const po = (await complete('data_validator', 'entity', 'PurchaseO')).completion.values;
      expect(po).toEqual(expect.arrayContaining(['purchaseOrderLines', 'purchaseOrders']));
      expect(po.every((name) => name.toLowerCase().startsWith('purchaseo'))).toBe(true);
      expect((await complete('query_builder', 'entity', 'zz')).completion.values).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
