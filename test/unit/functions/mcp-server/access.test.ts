// Who may do what on the MCP server over HTTP (functions/mcp-server/access.ts), through the Lambda handler
// behind the local function URL and the SDK client: readers read, only mcp-writer tokens and IAM callers
// write (refused before BC), GET-only batches stay reads, extra browser origins, and configuration errors.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import type { FunctionUrlServer } from '../../../../local/cloud/function-url.js';
import { bcPriorityOf, bcUserTokenOf, loadMcpHttpAccess } from '../../../../functions/mcp-server/access.js';
import { connectHttp, errorOf, serveMcpHandler, structured, tokenIdentity } from '../../../support/mcp.js';

let sandbox: BcSandbox;
let functionUrl: FunctionUrlServer;
const clients: Client[] = [];

const IAM = { accessKey: 'AKID', accountId: '000000000000', callerId: 'AKID:worker', userArn: 'arn:aws:sts::000000000000:assumed-role/worker/w', userId: 'AKID:worker' };

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  functionUrl = await serveMcpHandler(
    sandbox,
    'customers',
    async (headers) => {
      switch (headers.authorization) {
        case 'Bearer reader':
          return tokenIdentity({ sub: 'alice', tenant: 'local' });
        case 'Bearer approver':
          // Deciding approvals is another right: it does not let a token write through MCP.
          return tokenIdentity({ sub: 'carol', tenant: 'local', roles: '[approver]' });
        case 'Bearer writer':
          return tokenIdentity({ sub: 'bob', tenant: 'local', roles: '[mcp-writer]' });
        case 'AWS4 signed':
          return { iam: IAM };
        default:
          return undefined;
      }
    },
    { MCP_ALLOWED_ORIGINS: 'http://localhost:6274' },
  );
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await functionUrl?.stop();
  await sandbox?.stop();
});

async function clientWith(authorization: string): Promise<Client> {
  const client = await connectHttp(`${functionUrl.url}/mcp`, authorization, 'access-test');
  clients.push(client);
  return client;
}

const create = (client: Client, displayName: string) =>
  client.callTool({ name: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName } } });

describe('write tools', () => {
  it('refuses a reader and an approver before anything reaches BC', async () => {
    for (const who of ['reader', 'approver']) {
      const client = await clientWith(`Bearer ${who}`);
      sandbox.clearRequests();
      const result = await create(client, `Refused ${who}`);
      expect(errorOf(result)).toMatchObject({ code: 'Forbidden', status: 403 });
      const batch = await client.callTool({
        name: 'bc_batch_operation',
        arguments: { operations: [{ method: 'GET', entity: 'customers' }, { method: 'DELETE', entity: 'customers', id: '00000000-0000-0000-0000-000000000001' }] },
      });
      expect(errorOf(batch).code).toBe('Forbidden');
      expect(sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
    }
  });

  it('lets a reader run a batch of GETs and query', async () => {
    const client = await clientWith('Bearer reader');
    const batch = structured<{ succeeded: number }>(
      await client.callTool({ name: 'bc_batch_operation', arguments: { operations: [{ method: 'GET', entity: 'currencies' }] } }),
    );
    expect(batch.succeeded).toBe(1);
    expect(structured<{ value: unknown[] }>(await client.callTool({ name: 'bc_query_entity', arguments: { entity: 'customers', top: 1 } })).value).toHaveLength(1);
  });

  it('lets an mcp-writer token and an IAM caller write', async () => {
    for (const authorization of ['Bearer writer', 'AWS4 signed']) {
      const created = structured<{ id: string; displayName: string }>(await create(await clientWith(authorization), `Written by ${authorization}`));
      expect(created.displayName).toBe(`Written by ${authorization}`);
    }
  });
});

describe('origins', () => {
  const initialize = (origin: string) =>
    fetch(`${functionUrl.url}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer reader', origin, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'o', version: '1' } } }),
    });

  it('lets in its own origin and MCP_ALLOWED_ORIGINS, and nothing else', async () => {
    expect((await initialize(functionUrl.url)).status).toBe(200);
    expect((await initialize('http://localhost:6274')).status).toBe(200);
    expect((await initialize('http://localhost:6275')).status).toBe(403);
    expect((await initialize('null')).status).toBe(403);
  });
});

describe('configuration', () => {
  it('needs an issuer and a tenant, and refuses an allowed origin that is not an origin', () => {
    expect(() => loadMcpHttpAccess({ BC_TENANT: 'local' })).toThrow(/MCP_AUTH_ISSUER/);
    expect(() => loadMcpHttpAccess({ MCP_AUTH_ISSUER: 'https://issuer.example/' })).toThrow(/MCP_TOKEN_TENANT/);
    expect(() => loadMcpHttpAccess({ MCP_AUTH_ISSUER: 'https://i/', BC_TENANT: 't', MCP_ALLOWED_ORIGINS: 'http://a.example/path' })).toThrow(/not an origin/);
    expect(loadMcpHttpAccess({ MCP_AUTH_ISSUER: 'https://i/', BC_TENANT: 't', MCP_TOKEN_TENANT: 'u', MCP_ALLOWED_ORIGINS: ' http://a.example , https://b.example:8443' })).toEqual({
      issuer: 'https://i/',
      tenant: 'u',
      allowedOrigins: ['http://a.example', 'https://b.example:8443'],
    });
  });
});

describe('the BC priority of an MCP request', () => {
  const event = (priority: string) => ({ headers: { 'x-bc-priority': priority } }) as unknown as Parameters<typeof bcPriorityOf>[1];
  it('is the lane an IAM-signed worker states', () => {
    expect(bcPriorityOf({ via: 'iam', principal: 'worker', mayWrite: true }, event('high'))).toBe('high');
    expect(bcPriorityOf({ via: 'iam', principal: 'worker', mayWrite: true }, event('normal'))).toBe('normal');
  });
  it('is normal for a bearer-token client, whatever header it sends', () => {
    expect(bcPriorityOf({ via: 'token', principal: 'bob', mayWrite: true }, event('high'))).toBe('normal');
  });
});

describe("the person's BC token of an MCP request", () => {
  const event = { headers: { 'x-bc-user-token': 'token-of-alice' } } as unknown as Parameters<typeof bcUserTokenOf>[1];
  it('is the one an IAM-signed worker acting for that person sends', () => {
    expect(bcUserTokenOf({ via: 'iam', principal: 'worker', mayWrite: true }, event)).toBe('token-of-alice');
  });
  it("is not believed from a bearer-token client: its BC calls run as the server's identity", () => {
    expect(bcUserTokenOf({ via: 'token', principal: 'bob', mayWrite: true }, event)).toBeUndefined();
  });
});
