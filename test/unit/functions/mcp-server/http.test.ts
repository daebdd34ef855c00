// The MCP server's Lambda handler behind the local function URL adapter, driven by the official SDK Client over
// Streamable HTTP against the BC sandbox: listings, every tool, resources, prompts, BC errors as tool errors,
// injection, and the HTTP edges (401 without a token, stateless-only methods).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { serveFunctionUrl, type FunctionUrlServer } from '../../../../local/cloud/function-url.js';
import { bearerAuthorize, connectHttp, errorOf, resourceText, serveMcpHandler, structured } from '../../../support/mcp.js';

const TOKEN = 'test-bearer-token';
/** The tokens the test's function URL knows: a writer of the server's tenant (the sandbox's `local`). */
const authorize = bearerAuthorize({ [TOKEN]: { sub: 'http-test', tenant: 'local', roles: ['mcp-writer'] } });
const TOOLS = ['bc_batch_operation', 'bc_create_entity', 'bc_delete_entity', 'bc_post_document', 'bc_query_entity', 'bc_update_entity'];

let sandbox: BcSandbox;
let functionUrl: FunctionUrlServer;
let client: Client;
let mcpUrl: string;

type Page = { value: Record<string, unknown>[]; count?: number; nextLink?: string };

beforeAll(async () => {
  // BC pages server-side; a small page size makes the sandbox do it for 32 customers.
  sandbox = await startBcSandbox({ port: 0, maxPageSize: 20 });
  functionUrl = await serveMcpHandler(sandbox, 'customers,vendors,items', authorize);
  mcpUrl = `${functionUrl.url}/mcp`;
  client = await connectHttp(mcpUrl, `Bearer ${TOKEN}`, 'http-test');
});

afterAll(async () => {
  await client?.close();
  await functionUrl?.stop();
  await sandbox?.stop();
});

beforeEach(() => {
  sandbox.clearFaults();
});

const query = async (args: Record<string, unknown>) => client.callTool({ name: 'bc_query_entity', arguments: args });

describe('listings', () => {
  it('lists the six tools with schemas and hints', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.bc_query_entity!.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(byName.bc_delete_entity!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.bc_create_entity!.annotations).toMatchObject({ destructiveHint: false, idempotentHint: false });
    const entity = (byName.bc_query_entity!.inputSchema.properties as Record<string, { enum?: string[] }>).entity!;
    expect(entity.enum).toContain('purchaseOrders');
    for (const tool of tools) expect(tool.outputSchema, tool.name).toBeDefined();
  });

  it('lists the resources, the schema template and the prompts', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining(['bc://company', 'bc://docs/api', 'bc://schemas/customers']));
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['bc://schemas/{entitySet}']);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['data_validator', 'query_builder']);
  });
});

describe('bc_query_entity', () => {
  it('filters, selects, orders, limits and counts', async () => {
    const page = structured<Page>(
      await query({
        entity: 'customers',
        filter: { field: 'creditLimit', op: 'gt', value: 0 },
        select: ['number', 'displayName', 'creditLimit'],
        orderby: [{ field: 'creditLimit', direction: 'desc' }],
        top: 5,
        count: true,
      }),
    );
    expect(page.value).toHaveLength(5);
    const limits = page.value.map((c) => c.creditLimit as number);
    expect(limits).toEqual([...limits].sort((a, b) => b - a));
    expect(limits.every((b) => b > 0)).toBe(true);
    expect(Object.keys(page.value[0]!).sort()).toEqual(['@odata.etag', 'creditLimit', 'displayName', 'number']);
    expect(page.count).toBeGreaterThanOrEqual(5);
  });

  it('returns one page with its nextLink, and the next page for that nextLink', async () => {
    const first = structured<Page>(await query({ entity: 'customers', select: ['number'], count: true }));
    expect(first.value).toHaveLength(20);
    expect(first.nextLink).toContain('/customers');
    const second = structured<Page>(await query({ entity: 'customers', nextLink: first.nextLink }));
    expect(second.value.length).toBe(first.count! - 20);
    expect(second.nextLink).toBeUndefined();
    const seen = new Set([...first.value, ...second.value].map((c) => c.number));
    expect(seen.size).toBe(first.count);

    const mixed = await query({ entity: 'customers', nextLink: first.nextLink, top: 5 });
    expect(errorOf(mixed).code).toBe('BadRequest');
    const foreign = await query({ entity: 'customers', nextLink: 'https://attacker.example/v2.0/x/customers' });
    expect(errorOf(foreign).code).toBe('BadRequest_InvalidRequestUrl');
    // A page of customers cannot be read under the name of another entity set (e.g. one this server lists as writable).
    const renamed = await query({ entity: 'vendors', nextLink: first.nextLink });
    expect(errorOf(renamed).code).toBe('BadRequest_InvalidRequestUrl');
  });

  it('serves concurrent calls, each with its own answer', async () => {
    const tops = [1, 2, 3, 4, 5, 6];
    const pages = await Promise.all(tops.map((top) => query({ entity: 'items', top, select: ['number'] })));
    expect(pages.map((p) => structured<Page>(p).value.length)).toEqual(tops);
  });

  it('expands document lines and reads one page with one BC call', async () => {
    sandbox.resetStats();
    const page = structured<Page>(await query({ entity: 'salesOrders', expand: ['salesOrderLines'], top: 2 }));
    expect(sandbox.stats().total).toBe(1);
    expect(page.value).toHaveLength(2);
    expect(Array.isArray(page.value[0]!.salesOrderLines)).toBe(true);
  });
});

describe('write tools', () => {
  it('creates, updates (with and without a stale ETag) and deletes a record', async () => {
    const created = structured(
      await client.callTool({ name: 'bc_create_entity', arguments: { entity: 'vendors', data: { displayName: 'MCP Test Vendor' } } }),
    );
    expect(created.displayName).toBe('MCP Test Vendor');
    const id = created.id as string;
    const firstEtag = created['@odata.etag'] as string;

    const updated = structured(
      await client.callTool({
        name: 'bc_update_entity',
        arguments: { entity: 'vendors', id, data: { phoneNumber: '555-0100' }, etag: firstEtag },
      }),
    );
    expect(updated.phoneNumber).toBe('555-0100');
    expect(updated['@odata.etag']).not.toBe(firstEtag);

    const stale = await client.callTool({
      name: 'bc_update_entity',
      arguments: { entity: 'vendors', id, data: { phoneNumber: '555-0199' }, etag: firstEtag },
    });
    expect(stale.isError).toBe(true);
    expect(errorOf(stale).code).toBe('Request_EntityChanged');
    const reread = structured<Page>(await query({ entity: 'vendors', filter: { field: 'id', op: 'eq', value: id } }));
    expect(reread.value[0]!.phoneNumber).toBe('555-0100');

    const deleted = structured(
      await client.callTool({
        name: 'bc_delete_entity',
        arguments: { entity: 'vendors', id, etag: updated['@odata.etag'] as string },
      }),
    );
    expect(deleted).toEqual({ deleted: true, entity: 'vendors', id });
    const gone = structured<Page>(await query({ entity: 'vendors', filter: { field: 'id', op: 'eq', value: id } }));
    expect(gone.value).toHaveLength(0);
  });

  it('runs a batch, and rolls an atomic batch back as a tool error with BC’s code', async () => {
    const batch = structured<{ succeeded: number; failed: number; results: { ok: boolean; body?: Record<string, unknown> }[] }>(
      await client.callTool({
        name: 'bc_batch_operation',
        arguments: {
          operations: [
            { method: 'POST', entity: 'customers', data: { displayName: 'Batch One' } },
            { method: 'GET', entity: 'currencies' },
          ],
        },
      }),
    );
    expect(batch).toMatchObject({ succeeded: 2, failed: 0 });
    expect(batch.results[0]!.body?.displayName).toBe('Batch One');

    const before = structured<Page>(await query({ entity: 'customers', count: true, top: 1 })).count;
    const atomic = await client.callTool({
      name: 'bc_batch_operation',
      arguments: {
        atomic: true,
        operations: [
          { method: 'POST', entity: 'customers', data: { displayName: 'Rolled Back' } },
          { method: 'PATCH', entity: 'customers', id: '11111111-1111-1111-1111-111111111111', data: { displayName: 'x' }, etag: 'W/"JzE7Jw=="' },
        ],
      },
    });
    expect(atomic.isError).toBe(true);
    expect(errorOf(atomic)).toMatchObject({ code: 'Internal_RecordNotFound', status: 404 });
    const after = structured<Page>(await query({ entity: 'customers', count: true, top: 1 })).count;
    expect(after).toBe(before);
  });

  it('refuses writes to entity sets outside BC_WRITABLE_ENTITY_SETS, before calling BC', async () => {
    sandbox.resetStats();
    const refused = await client.callTool({
      name: 'bc_create_entity',
      arguments: { entity: 'currencies', data: { code: 'XTS', displayName: 'Test' } },
    });
    expect(refused.isError).toBe(true);
    expect(errorOf(refused).code).toBe('BadRequest_MethodNotAllowed');
    const inBatch = await client.callTool({
      name: 'bc_batch_operation',
      arguments: { operations: [{ method: 'DELETE', entity: 'paymentTerms', id: '11111111-1111-1111-1111-111111111111' }] },
    });
    expect(errorOf(inBatch).code).toBe('BadRequest_MethodNotAllowed');
    expect(sandbox.stats().total).toBe(0);
  });
});

describe('errors come back as tool errors with BC’s code', () => {
  it('unknown entity set', async () => {
    const result = await query({ entity: 'widgets' });
    expect(result.isError).toBe(true);
    expect(errorOf(result).text).toContain('BadRequest_ResourceNotFound');
  });

  it('invalid filters: unknown field, wrong type, or across fields', async () => {
    const unknownField = await query({ entity: 'customers', filter: { field: 'secret', op: 'eq', value: 'x' } });
    expect(errorOf(unknownField).code).toBe('BadRequest_NotFound');
    const wrongType = await query({ entity: 'customers', filter: { field: 'balanceDue', op: 'gt', value: 'lots' } });
    expect(errorOf(wrongType).code).toBe('BadRequest');
    const acrossFields = await query({
      entity: 'customers',
      filter: { or: [{ field: 'city', op: 'eq', value: 'Atlanta' }, { field: 'number', op: 'eq', value: '10000' }] },
    });
    expect(errorOf(acrossFields).code).toBe('BadRequest_MethodNotImplemented');
    expect(errorOf(acrossFields).text).toContain("'or'");
  });

  it('a BC 500 (fault injection)', async () => {
    sandbox.addFault({ entitySet: 'customers', method: 'GET', status: 500, count: 1 });
    const result = await query({ entity: 'customers', top: 1 });
    expect(result.isError).toBe(true);
    expect(errorOf(result)).toMatchObject({ code: 'Internal_ServerError', status: 500 });
    // The server is still fine afterwards.
    expect(structured<Page>(await query({ entity: 'customers', top: 1 })).value).toHaveLength(1);
  });
});

describe('injection never widens a query', () => {
  it('quotes in a literal are escaped, so the filter still matches one field value', async () => {
    sandbox.resetStats();
    const injected = structured<Page>(
      await query({ entity: 'customers', filter: { field: 'city', op: 'eq', value: "Atlanta' or 1 eq 1 or city eq '" } }),
    );
    expect(injected.value).toHaveLength(0);
    expect(sandbox.stats().total).toBe(1); // it reached BC, escaped, rather than being refused
    // A quote that belongs to the value still finds exactly the record that has it.
    const withQuote = structured<Page>(
      await query({ entity: 'customers', filter: { field: 'displayName', op: 'startswith', value: "O'Brien" } }),
    );
    expect(withQuote.value.map((c) => c.displayName)).toEqual(["O'Brien Outdoor Supply"]);
  });

  it('names outside the schema are refused before BC', async () => {
    sandbox.resetStats();
    const attempts = [
      { filter: { field: "city eq 'x' or 1 eq 1", op: 'eq', value: 'x' } },
      { select: ['number,secret'] },
      { orderby: [{ field: 'number desc,id', direction: 'asc' }] },
      { expand: ['salesOrders($filter=1 eq 1)'] },
    ];
    for (const attempt of attempts) {
      const result = await query({ entity: 'customers', ...attempt });
      expect(result.isError, JSON.stringify(attempt)).toBe(true);
      expect(errorOf(result).code, JSON.stringify(attempt)).toBe('BadRequest_NotFound');
    }
    expect(sandbox.stats().total).toBe(0);
  });
});

describe('resources and prompts', () => {
  it('bc://schemas/{entitySet} comes from $metadata with read-only flags and writability', async () => {
    const result = await client.readResource({ uri: 'bc://schemas/customers' });
    const schema = JSON.parse(resourceText(result)) as {
      entityType: string;
      key: string[];
      properties: { name: string; type: string; readOnly: boolean }[];
      writableThroughMcp: boolean;
    };
    expect(schema.entityType).toMatch(/customer$/);
    expect(schema.key).toEqual(['id']);
    expect(schema.properties.find((p) => p.name === 'id')).toMatchObject({ type: 'Edm.Guid', readOnly: true });
    expect(schema.properties.find((p) => p.name === 'displayName')).toMatchObject({ readOnly: false });
    expect(schema.writableThroughMcp).toBe(true);
    const currencies = JSON.parse(resourceText(await client.readResource({ uri: 'bc://schemas/currencies' })));
    expect(currencies.writableThroughMcp).toBe(false);
    await expect(client.readResource({ uri: 'bc://schemas/widgets' })).rejects.toThrow(/Unknown entity set/);
  });

  it('bc://company names the default company and lists all', async () => {
    const company = JSON.parse(resourceText(await client.readResource({ uri: 'bc://company' })));
    expect(company.company.id).toBe(sandbox.companyIds()[0]);
    expect(company.companies.length).toBeGreaterThanOrEqual(2);
  });

  it('bc://docs/api documents the tools and the writable sets', async () => {
    const docs = resourceText(await client.readResource({ uri: 'bc://docs/api' }));
    expect(docs).toContain('bc_batch_operation');
    expect(docs).toContain('Writable through this server: customers, vendors, items');
  });

  it('prompts embed the entity schema and refuse bad data', async () => {
    const builder = await client.getPrompt({ name: 'query_builder', arguments: { request: 'customers in Atlanta', entity: 'customers' } });
    const text = (builder.messages[0]!.content as { text: string }).text;
    expect(text).toContain('customers in Atlanta');
    expect(text).toContain('- balanceDue: decimal');
    const validator = await client.getPrompt({
      name: 'data_validator',
      arguments: { entity: 'items', data: JSON.stringify({ displayName: 'Bolt', unitPrice: -1 }) },
    });
    expect((validator.messages[0]!.content as { text: string }).text).toContain('"unitPrice": -1');
    await expect(client.getPrompt({ name: 'data_validator', arguments: { entity: 'items', data: 'not json' } })).rejects.toThrow(
      /must be a JSON object/,
    );
  });
});

describe('HTTP edges', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
  const post = (headers: Record<string, string>, path = '/mcp') =>
    fetch(`${functionUrl.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(initialize),
    });

  it('answers 401 without a token or with a wrong one', async () => {
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('answers JSON (no session) to an authorized POST, 405 to GET, 404 elsewhere', async () => {
    const ok = await post({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('application/json');
    expect(ok.headers.get('mcp-session-id')).toBeNull();
    expect(((await ok.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('bc-claude-agent-mcp');
    const get = await fetch(mcpUrl, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect((await post({ authorization: `Bearer ${TOKEN}` }, '/other')).status).toBe(404);
  });
});

describe('the Lambda deadline', () => {
  it('answers a tool call whose BC request hangs with a timeout tool error before the invocation would be killed', async () => {
    const { handler } = await import('../../../../functions/mcp-server/index.js');
    // 1.3 s left in the invocation: BC gets what remains after the handler's own reserve.
    const shortLived = await serveFunctionUrl({
      port: 0,
      invoke: (event) => handler(event, { getRemainingTimeInMillis: () => 1_300 }),
      authorize,
    });
    let hurried: Client | undefined;
    try {
      hurried = await connectHttp(`${shortLived.url}/mcp`, `Bearer ${TOKEN}`, 'deadline-test');
      sandbox.addFault({ entitySet: 'currencies', method: 'GET', hang: true });
      const started = Date.now();
      const result = await hurried.callTool({ name: 'bc_query_entity', arguments: { entity: 'currencies' } });
      expect(errorOf(result).code).toBe('Client_Timeout');
      expect(Date.now() - started).toBeLessThan(1_300);
    } finally {
      sandbox.clearFaults();
      await hurried?.close();
      await shortLived.stop();
    }
  });
});
