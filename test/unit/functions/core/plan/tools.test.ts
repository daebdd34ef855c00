// The tool registry is the one definition of the BC tools: the plan schema, Claude's create_plan schema and the
// MCP server's listing all come from it, and the one filter grammar behaves the same in plans and on the server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool, MCP_TOOLS, TOOLS, validateToolArguments } from '../../../../../functions/core/plan/index.js';
import { planToolInputSchema } from '../../../../../functions/core/planner/plan-tool.js';
import { createBcMcpServer } from '../../../../../functions/mcp-server/server.js';
import type { BcClient } from '../../../../../functions/core/bc/index.js';

let client: Client;

beforeAll(async () => {
  // Listing tools never reaches BC: a client that fails on any call proves it.
  const bc = new Proxy({}, { get: () => () => Promise.reject(new Error('BC must not be called')) }) as unknown as BcClient;
  const server = createBcMcpServer({ bc, writableEntitySets: '*' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'registry-test', version: '1.0.0' });
  await client.connect(clientSide);
});

afterAll(async () => {
  await client.close();
});

describe('tool registry', () => {
  it('the MCP server lists exactly the registry entries that have an MCP face, with their titles, descriptions and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(MCP_TOOLS.map((t) => t.name).sort());
    for (const listed of tools) {
      const entry = findTool(listed.name)!;
      expect(entry.mcp!.title).toBe(listed.title);
      expect(listed.description).toBe(entry.mcp!.description);
      expect(listed.annotations).toMatchObject(entry.mcp!.annotations);
      // The same property names in the plan dialect and on the server (the server adds only paging by link and
      // a create's parentId).
      const serverProperties = Object.keys(listed.inputSchema.properties ?? {}).filter((p) => p !== 'nextLink' && !(listed.name === 'bc_create_entity' && p === 'parentId'));
      expect(serverProperties.sort()).toEqual(Object.keys((z.toJSONSchema(entry.args, { io: 'input' }) as { properties: object }).properties).sort());
    }
  });

  it("Claude's create_plan schema offers one task variant per registry tool", () => {
    const schema = planToolInputSchema() as { properties: { tasks: { items: { anyOf: { properties: { tool: { const: string } } }[] } } } };
    expect(schema.properties.tasks.items.anyOf.map((v) => v.properties.tool.const)).toEqual(TOOLS.map((t) => t.name));
  });

  it('one filter grammar: the plan and the MCP server accept and refuse the same filters', async () => {
    const query = findTool('bc_query_entity')!;
    const server = z.object(query.mcp!.inputShape);
    const good = { entity: 'customers', filter: { and: [{ field: 'city', op: 'eq', value: 'Atlanta' }, { or: [{ field: 'number', op: 'startswith', value: '1' }, { field: 'number', op: 'in', values: ['20000'] }] }] } };
    const badOperator = { entity: 'customers', filter: { field: 'city', op: 'like', value: 'A%' } };
    const emptyIn = { entity: 'customers', filter: { field: 'city', op: 'in', values: [] } };
    const extraKey = { entity: 'customers', filter: { and: [{ field: 'city', op: 'eq', value: 'x' }], or: [] } };
    expect(server.safeParse(good).success).toBe(true);
    expect(query.args.safeParse(good).success).toBe(true);
    for (const bad of [badOperator, emptyIn, extraKey]) {
      expect(server.safeParse(bad).success).toBe(false);
      expect(query.args.safeParse(bad).success).toBe(false);
    }
    // The plan also checks BC's or-within-one-field rule (the BC client checks it again on the server).
    const crossField = { entity: 'customers', filter: { or: [{ field: 'city', op: 'eq', value: 'x' }, { field: 'number', op: 'eq', value: '1' }] } };
    const checked = validateToolArguments('bc_query_entity', crossField);
    expect(checked.ok).toBe(false);
    expect(JSON.stringify(checked)).toContain("allows 'or' only between conditions on one field");
  });
});
