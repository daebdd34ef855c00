// The MCP hop and the BC hop of §12: a worker's tool call carries its story's correlation id (x-correlation-id
// and `_meta`), the MCP server runs the call in it, and BC (the sandbox) receives it on every request the call
// makes; concurrent calls keep their own ids.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMcpClient, STORY_CONTEXT_META_KEY, type McpClient, type StoryContext } from '../../../../functions/core/mcp/index.js';
import { createServerBcClient } from '../../../../functions/mcp-server/config.js';
import type { BcBackend } from '../../../../functions/mcp-server/deps.js';
import { createBcMcpServer } from '../../../../functions/mcp-server/server.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import type { FunctionUrlServer } from '../../../../local/cloud/function-url.js';
import { bearerAuthorize, serveMcpHandler } from '../../../support/mcp.js';
import { deferred } from '../../../support/deferred.js';

const TOKEN = 'correlation-test-token';

let sandbox: BcSandbox;
let functionUrl: FunctionUrlServer;
let mcp: McpClient;

const story = (correlationId: string, taskId = 't1'): StoryContext => ({
  tenantId: 'local',
  sessionId: 'session-1',
  planId: 'plan-1',
  taskId,
  correlationId,
  causationId: 'event-1',
});

/** The correlation ids BC saw, per entity set, since the last clear. */
function idsByEntitySet(): Record<string, (string | undefined)[]> {
  const seen: Record<string, (string | undefined)[]> = {};
  for (const request of sandbox.requests()) (seen[request.entitySet ?? '(none)'] ??= []).push(request.correlationId);
  return seen;
}

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  functionUrl = await serveMcpHandler(sandbox, '', bearerAuthorize({ [TOKEN]: { sub: 'correlation-test', tenant: 'local' } }));
  mcp = createMcpClient({ url: `${functionUrl.url}/mcp`, auth: { type: 'bearer', token: TOKEN }, timeoutMs: 10_000 });
  await mcp.listTools();
});

afterAll(async () => {
  await mcp?.close();
  await functionUrl?.stop();
  await sandbox?.stop();
});

beforeEach(() => {
  sandbox.clearFaults();
  sandbox.clearRequests();
});

describe('over the function URL (the workers’ path)', () => {
  it('sends the story’s correlation id on every BC request of a tool call', async () => {
    // The server's first call also resolves the company (cached for the container after that).
    const page = await mcp.callTool<{ value: unknown[] }>('bc_query_entity', { entity: 'currencies', top: 2 }, { context: story('corr-mcp-one-1') });
    expect(page.value).toHaveLength(2);
    expect(sandbox.requests().map((r) => [r.method, r.entitySet, r.correlationId])).toEqual([
      ['GET', 'companies', 'corr-mcp-one-1'],
      ['GET', 'currencies', 'corr-mcp-one-1'],
    ]);
  });

  it('keeps concurrent calls with different ids apart', async () => {
    // The first call's BC request is held back, so the second runs while the first is still in flight.
    sandbox.addFault({ entitySet: 'vendors', latencyMs: 150, count: 1 });
    const calls = [
      mcp.callTool('bc_query_entity', { entity: 'vendors', top: 1 }, { context: story('corr-mcp-vendors', 't1') }),
      mcp.callTool('bc_query_entity', { entity: 'items', top: 1 }, { context: story('corr-mcp-items', 't2') }),
      mcp.callTool('bc_query_entity', { entity: 'paymentTerms', top: 1 }, { correlationId: 'corr-mcp-terms' }),
    ];
    await Promise.all(calls);
    expect(idsByEntitySet()).toEqual({
      vendors: ['corr-mcp-vendors'],
      items: ['corr-mcp-items'],
      paymentTerms: ['corr-mcp-terms'],
    });
  });

  it('mints an id for a caller that sends none, so BC still gets one per request', async () => {
    await mcp.callTool('bc_query_entity', { entity: 'locations', top: 1 });
    expect(idsByEntitySet().locations).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });
});

describe('over any transport (stdio-like): the id in `_meta`', () => {
  it('runs each tool call in its story’s correlation id, however the calls interleave', async () => {
    const client = createServerBcClient({
      bc: {
        ...sandbox.connection,
      },
      writableEntitySets: new Set(),
    });
    // The locations call reaches BC only after the paymentTerms call, which started later, has finished: an id
    // kept anywhere but in the call's own async context would be the wrong one by then.
    const termsDone = deferred();
    const gated: BcBackend = {
      companies: () => client.companies(),
      query: async (entitySet, query, options) => {
        if (entitySet === 'locations') await termsDone.promise;
        const result = await client.query(entitySet, query, options);
        if (entitySet === 'paymentTerms') termsDone.resolve();
        return result;
      },
      continueQuery: (...args) => client.continueQuery(...args),
      create: (...args) => client.create(...args),
      update: (...args) => client.update(...args),
      delete: (...args) => client.delete(...args),
      batch: (...args) => client.batch(...args),
      metadata: () => client.metadata(),
      get: (...args) => client.get(...args),
      invokeAction: (...args) => client.invokeAction(...args),
    };
    const server = createBcMcpServer({ bc: gated, writableEntitySets: new Set() });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const mcpClient = new Client({ name: 'correlation-test', version: '1.0.0' });
    await mcpClient.connect(clientSide);
    const call = (entity: string, meta?: StoryContext) =>
      mcpClient.callTool({ name: 'bc_query_entity', arguments: { entity, top: 1 }, ...(meta ? { _meta: { [STORY_CONTEXT_META_KEY]: meta } } : {}) });
    try {
      const results = await Promise.all([call('locations', story('corr-meta-locations')), call('paymentTerms', story('corr-meta-terms'))]);
      expect(results.map((r) => r.isError ?? false)).toEqual([false, false]);
      await call('currencies');
      expect(idsByEntitySet()).toEqual({
        // The company is resolved by the first call that reached BC.
        companies: ['corr-meta-terms'],
        paymentTerms: ['corr-meta-terms'],
        locations: ['corr-meta-locations'],
        // No story and no HTTP request around it: nothing to send.
        currencies: [undefined],
      });
    } finally {
      await mcpClient.close();
      await server.close();
    }
  });
});
