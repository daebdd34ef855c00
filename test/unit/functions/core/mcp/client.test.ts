// The workers' MCP client (functions/core/mcp) against the real handler behind the local function URL and the
// BC sandbox: structured results, BC's codes on typed errors, per-container caching, per-call timeouts, the
// correlation header, and both auth modes (bearer, and SigV4 verified by the local function URL's check).
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import type { FunctionUrlServer } from '../../../../../local/cloud/function-url.js';
import { verifySigV4 } from '../../../../../local/cloud/lambda/function-url-auth.js';
import { createMcpClient, McpToolError, McpTransportError, NodeSha256, type McpClient } from '../../../../../functions/core/mcp/index.js';
import { serveMcpHandler, tokenIdentity } from '../../../../support/mcp.js';

const TOKEN = 'worker-token';
const CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret-key', sessionToken: 'local-session' };
const REGION = 'us-east-1';

let sandbox: BcSandbox;
let functionUrl: FunctionUrlServer;
let mcpUrl: string;
const seenHeaders: IncomingHttpHeaders[] = [];
const clients: McpClient[] = [];

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  functionUrl = await serveMcpHandler(sandbox, 'customers', async (headers, method, url, body) => {
    seenHeaders.push(headers);
    if (headers.authorization === `Bearer ${TOKEN}`) return tokenIdentity({ sub: 'worker', tenant: 'local', roles: ['mcp-writer'] });
    const sigv4 = await verifySigV4({ headers, method, url, body }, CREDENTIALS);
    return sigv4.ok
      ? { iam: { accessKey: CREDENTIALS.accessKeyId, accountId: '000000000000', callerId: 'worker', userArn: 'arn:aws:sts::000000000000:assumed-role/worker/worker', userId: 'worker' } }
      : undefined;
  });
  mcpUrl = `${functionUrl.url}/mcp`;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await functionUrl?.stop();
  await sandbox?.stop();
});

/** A client whose HTTP requests are counted. */
function countingClient(options: Partial<Parameters<typeof createMcpClient>[0]> = {}) {
  const counter = { requests: 0 };
  const client = createMcpClient({
    url: mcpUrl,
    auth: { type: 'bearer', token: TOKEN },
    timeoutMs: 10_000,
    fetch: (url, init) => {
      counter.requests++;
      return fetch(url, init);
    },
    ...options,
  });
  clients.push(client);
  return { client, counter };
}

describe('SigV4 signing', () => {
  it('matches the AWS SigV4 test suite (get-vanilla)', async () => {
    const signer = new SignatureV4({
      service: 'service',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      sha256: NodeSha256,
      // The suite's vectors do not sign x-amz-content-sha256.
      applyChecksum: false,
    });
    const signed = await signer.sign(
      { method: 'GET', protocol: 'https:', hostname: 'example.amazonaws.com', path: '/', query: {}, headers: { host: 'example.amazonaws.com' } },
      { signingDate: new Date('2015-08-30T12:36:00Z') },
    );
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
});

describe('createMcpClient', () => {
  it('returns structured content and connects, lists and reads schemas once per container', async () => {
    const { client, counter } = countingClient();
    const page = await client.callTool<{ value: { number: string }[] }>('bc_query_entity', {
      entity: 'customers',
      select: ['number'],
      orderby: [{ field: 'number', direction: 'asc' }],
      top: 3,
    });
    expect(page.value.map((c) => c.number)).toHaveLength(3);
    const afterFirst = counter.requests; // initialize, initialized, tools/list, tools/call
    await client.callTool('bc_query_entity', { entity: 'vendors', top: 1 });
    expect(counter.requests - afterFirst).toBe(1);
    const tools = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('bc_batch_operation');
    expect(counter.requests - afterFirst).toBe(1);

    const first = await client.entitySchema<{ entitySet: string }>('customers');
    const second = await client.entitySchema('customers');
    expect(first.entitySet).toBe('customers');
    expect(second).toBe(first);
    expect(counter.requests - afterFirst).toBe(2);
  });

  it('throws McpToolError carrying BC’s code, status and retryability', async () => {
    const { client } = countingClient();
    const created = await client.callTool<{ id: string; '@odata.etag': string }>('bc_create_entity', {
      entity: 'customers',
      data: { displayName: 'Client Test' },
    });
    await client.callTool('bc_update_entity', { entity: 'customers', id: created.id, data: { city: 'Boston' }, etag: created['@odata.etag'] });
    const stale = client.callTool('bc_update_entity', {
      entity: 'customers',
      id: created.id,
      data: { city: 'Denver' },
      etag: created['@odata.etag'],
    });
    await expect(stale).rejects.toBeInstanceOf(McpToolError);
    await expect(stale).rejects.toMatchObject({ tool: 'bc_update_entity', code: 'Request_EntityChanged', retryable: false });

    // Rejected by the server's input schema: the code is read from the text.
    await expect(client.callTool('bc_query_entity', { entity: 'widgets' })).rejects.toMatchObject({
      code: 'BadRequest_ResourceNotFound',
    });
    await expect(client.callTool('bc_delete_entity', { entity: 'vendors', id: created.id })).rejects.toMatchObject({
      code: 'BadRequest_MethodNotAllowed',
    });
    sandbox.addFault({ entitySet: 'items', status: 500, count: 1 });
    await expect(client.callTool('bc_query_entity', { entity: 'items', top: 1 })).rejects.toMatchObject({
      code: 'Internal_ServerError',
      status: 500,
    });
  });

  it('sends the correlation id of the call', async () => {
    const { client } = countingClient();
    await client.callTool('bc_query_entity', { entity: 'currencies', top: 1 }, { correlationId: 'corr-12345678' });
    expect(seenHeaders.at(-1)?.['x-correlation-id']).toBe('corr-12345678');
    const context = { tenantId: 'tenant-a', sessionId: 's1', planId: 'p1', taskId: 't1', correlationId: 'corr-from-context' };
    await client.callTool('bc_query_entity', { entity: 'currencies', top: 1 }, { context });
    expect(seenHeaders.at(-1)?.['x-correlation-id']).toBe('corr-from-context');
  });

  it('fails a call that exceeds its timeout with a retryable McpTransportError', async () => {
    const { client } = countingClient();
    await client.listTools();
    sandbox.addFault({ entitySet: 'locations', latencyMs: 1500, count: 1 });
    const slow = client.callTool('bc_query_entity', { entity: 'locations' }, { timeoutMs: 200 });
    await expect(slow).rejects.toBeInstanceOf(McpTransportError);
    await expect(slow).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('does not call a timed-out create retryable: the server may still have made the record', async () => {
    const { client } = countingClient();
    await client.listTools();
    sandbox.addFault({ entitySet: 'customers', method: 'POST', latencyMs: 1500, count: 1 });
    const slow = client.callTool('bc_create_entity', { entity: 'customers', data: { displayName: 'Slow Create' } }, { timeoutMs: 200 });
    await expect(slow).rejects.toMatchObject({ name: 'McpTransportError', kind: 'timeout', retryable: false, outcomeUnknown: true });
  });

  it('maps a refused token to an unauthorized McpTransportError', async () => {
    const { client } = countingClient({ auth: { type: 'bearer', token: 'wrong' } });
    const call = client.callTool('bc_query_entity', { entity: 'customers', top: 1 });
    await expect(call).rejects.toMatchObject({ name: 'McpTransportError', kind: 'unauthorized', status: 401, retryable: false });
  });

  it('checks a tool’s result against its output schema (cfworker validator, no ajv) and refuses one that does not match', async () => {
    // A server (or a proxy) answering a query with `value` that is not a list: the tool's output schema says it is.
    const tampering = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await fetch(url, init);
      if (!String(init?.body ?? '').includes('"tools/call"')) return response;
      const text = await response.text();
      const tamper = (json: string) => {
        const message = JSON.parse(json) as { result?: { structuredContent?: Record<string, unknown> } };
        if (message.result?.structuredContent) message.result.structuredContent.value = 'not a list';
        return JSON.stringify(message);
      };
      const body = (response.headers.get('content-type') ?? '').includes('text/event-stream')
        ? text.replace(/^data: (.*)$/gm, (_, json: string) => `data: ${tamper(json)}`)
        : tamper(text);
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const { client } = countingClient({ fetch: tampering });
    const call = client.callTool('bc_query_entity', { entity: 'currencies', top: 1 });
    await expect(call).rejects.toMatchObject({ name: 'McpTransportError', kind: 'protocol', message: expect.stringMatching(/output schema/) });
    // The untampered answer passes the same check.
    const { client: plain } = countingClient();
    await expect(plain.callTool<{ value: unknown[] }>('bc_query_entity', { entity: 'currencies', top: 1 })).resolves.toMatchObject({ value: expect.any(Array) });
  });

  it('signs requests with SigV4 for the IAM function URL', async () => {
    const { client } = countingClient({ auth: { type: 'sigv4', region: REGION, credentials: CREDENTIALS } });
    const page = await client.callTool<{ value: unknown[] }>('bc_query_entity', { entity: 'paymentTerms', top: 2 });
    expect(page.value).toHaveLength(2);
    const signed = seenHeaders.at(-1)!;
    expect(signed.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST\/\d{8}\/us-east-1\/lambda\/aws4_request/);
    expect(signed['x-amz-security-token']).toBe('local-session');

    const { client: forged } = countingClient({
      auth: { type: 'sigv4', region: REGION, credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } },
    });
    await expect(forged.callTool('bc_query_entity', { entity: 'paymentTerms', top: 1 })).rejects.toMatchObject({ kind: 'unauthorized' });
  });
});
