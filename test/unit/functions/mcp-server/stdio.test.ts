// The `bc-mcp` bin over stdio, as a desktop MCP client runs it: the official SDK Client spawns a plain `node
// bin/bc-mcp.mjs` with BC_* pointing at a sandbox started here. Read-only by default (no writable sets).
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { bcEnv, errorOf, resourceText, structured } from '../../../support/mcp.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

let sandbox: BcSandbox;
let client: Client;
let stderr = '';

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [`${root}bin/bc-mcp.mjs`],
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...bcEnv(sandbox, '') },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
});

describe('bc-mcp over stdio', () => {
  it('lists tools, resources and prompts', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'bc_batch_operation',
      'bc_create_entity',
      'bc_delete_entity',
      'bc_post_document',
      'bc_query_entity',
      'bc_update_entity',
    ]);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['bc://company', 'bc://docs/api']));
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['data_validator', 'query_builder']);
  });

  it('queries the sandbox', async () => {
    const page = structured<{ value: Record<string, unknown>[] }>(
      await client.callTool({
        name: 'bc_query_entity',
        arguments: { entity: 'customers', filter: { field: 'city', op: 'eq', value: 'Atlanta' }, select: ['displayName', 'city'] },
      }),
    );
    expect(page.value.length).toBeGreaterThan(0);
    expect(page.value.every((c) => c.city === 'Atlanta')).toBe(true);
    const schema = JSON.parse(resourceText(await client.readResource({ uri: 'bc://schemas/items' })));
    expect(schema.properties.some((p: { name: string }) => p.name === 'unitPrice')).toBe(true);
  });

  it('is read-only when BC_WRITABLE_ENTITY_SETS is empty', async () => {
    sandbox.resetStats();
    for (const [name, args] of [
      ['bc_create_entity', { entity: 'customers', data: { displayName: 'Nope' } }],
      ['bc_update_entity', { entity: 'customers', id: sandbox.companyIds()[0], data: { displayName: 'Nope' } }],
      ['bc_delete_entity', { entity: 'items', id: sandbox.companyIds()[0] }],
      ['bc_batch_operation', { operations: [{ method: 'POST', entity: 'vendors', data: { displayName: 'Nope' } }] }],
    ] as const) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(errorOf(result).code, name).toBe('BadRequest_MethodNotAllowed');
    }
    expect(sandbox.stats().total).toBe(0);
    const docs = resourceText(await client.readResource({ uri: 'bc://docs/api' }));
    expect(docs).toContain('none (read-only server)');
  });

  it('reports BC failures as tool errors and keeps serving', async () => {
    sandbox.addFault({ entitySet: 'vendors', status: 500, count: 1 });
    const failed = await client.callTool({ name: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } });
    expect(errorOf(failed)).toMatchObject({ code: 'Internal_ServerError', status: 500 });
    const ok = structured<{ value: unknown[] }>(await client.callTool({ name: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } }));
    expect(ok.value).toHaveLength(1);
    expect(stderr).not.toContain(sandbox.clientSecret);
  });
});
