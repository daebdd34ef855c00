// OData injection never widens a query (issue 6): quotes and operators hidden in a literal stay inside the
// literal, and names (entity sets, fields) that are not in the BC catalogue are refused, both through the
// planner (a message to the HTTP API) and through the MCP tools called directly. The BC sandbox evaluates
// the OData it receives, so a literal that escaped its quotes would match records here.
import { afterAll, describe, expect, it } from 'vitest';
import { createMcpClient, McpToolError, type McpClient } from '../../functions/core/mcp/index.js';
import { Chat, sandboxGet, withAgentCloud } from '../support/chat.js';
import type { TestCloud } from '../support/local-cloud.js';
import { bcWrites } from '../support/security.js';

let cloud: TestCloud;
let mcp: McpClient;
let chat: Chat;
let totalCustomers: number;

withAgentCloud(async (started) => {
  cloud = started;
  const token = await cloud.token({ sub: 'alice', tenant: 'local' });
  mcp = createMcpClient({ url: cloud.urls.mcp, auth: { type: 'bearer', token } });
  chat = await Chat.open(cloud);
  totalCustomers = await sandboxGet(cloud, 'customers/$count');
});
afterAll(async () => {
  await mcp?.close();
});

/** Literals that would match every customer if their quotes or parentheses leaked into the OData. */
const HOSTILE_LITERALS = [
  "x' or displayName ne '",
  "x' or 1 eq 1 or displayName eq '",
  "x') or (displayName ne '",
  "x'%20or%20displayName%20ne%20'",
  "x\\' or displayName ne \\'",
];

describe('through the planner (HTTP API, offline planner)', () => {
  it('keeps quotes inside the literal: the query matches nothing instead of every customer', async () => {
    expect(totalCustomers).toBeGreaterThan(0);
    for (const literal of HOSTILE_LITERALS) {
      // The command language doubles a quote inside a quoted value ('O''Brien').
      const quoted = `'${literal.replaceAll("'", "''")}'`;
      const listed = await chat.ask(`list customers where displayName eq ${quoted}`);
      expect(listed.status, `${literal}: ${JSON.stringify(listed)}`).toBe('succeeded');
      expect(listed.tasks[0]!.result.value, literal).toEqual([]);
      const counted = await chat.ask(`count customers where displayName eq ${quoted}`);
      expect(counted.tasks[0]!.result.count, literal).toBe(0);
    }
  });

  it('refuses field and entity names that are not in the catalogue: nothing is planned, nothing runs', async () => {
    for (const text of [
      "list customers where displayName eq 'a' or true eq true",
      'list customers; delete customers',
      "list customers?$filter=true where displayName eq 'a'",
      'list customers where balanceDue/1 gt 0',
    ]) {
      const { status, body } = await chat.send(text);
      expect(status, `${text}: ${JSON.stringify(body)}`).toBe(202);
      expect(body.tasks, text).toEqual([]);
      expect(body.response, text).toMatch(/could not read that as a command/);
    }
  });
});

describe('through the MCP tools', () => {
  const query = (args: Record<string, unknown>) => mcp.callTool<{ value: unknown[]; count?: number }>('bc_query_entity', args);
  const refused = async (args: Record<string, unknown>) => {
    const error = await query(args).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, JSON.stringify(args)).toBeInstanceOf(McpToolError);
  };

  it('escapes every hostile literal, whatever the operator', async () => {
    for (const value of HOSTILE_LITERALS) {
      for (const op of ['eq', 'startswith', 'endswith', 'contains']) {
        const result = await query({ entity: 'customers', filter: { field: 'displayName', op, value } });
        expect(result.value, `${op} ${value}`).toEqual([]);
      }
      const inList = await query({ entity: 'customers', filter: { field: 'displayName', op: 'in', values: [value] } });
      expect(inList.value).toEqual([]);
    }
  });

  it('refuses names outside the catalogue instead of passing them into the URL', async () => {
    await refused({ entity: 'customers?$filter=true', filter: { field: 'displayName', op: 'eq', value: 'a' } });
    await refused({ entity: "customers('x')/..", top: 1 });
    await refused({ entity: 'customers', filter: { field: "displayName eq 'a' or displayName", op: 'ne', value: '' } });
    await refused({ entity: 'customers', filter: { field: 'displayName) or (true', op: 'eq', value: 'a' } });
    await refused({ entity: 'customers', select: ['displayName&$top=1000'] });
    await refused({ entity: 'customers', orderby: [{ field: 'displayName,number', direction: 'asc' }] });
    await refused({ entity: 'customers', expand: ['customerFinancialDetails($filter=true)'] });
    await refused({ entity: 'customers', filter: "displayName eq 'a' or true" });
  });

  it('reads only: none of this reached BC as a write', () => {
    expect(bcWrites(cloud)).toEqual({});
  });
});
