// Read-only fields are refused on write at every layer, from the one catalogue: plan validation (whichever
// planner wrote the plan — the offline planner's `update customer 10000 set balanceDue=999999` included) and
// the MCP tools over the real SDK, before BC is called; the sandbox refuses them too (catalogue-conformance).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entitySetNames, findEntitySet } from '../../../../../functions/core/bc/entities.js';
import { validatePlan } from '../../../../../functions/core/plan/index.js';
import { createOfflinePlanner } from '../../../../../functions/core/planner/offline.js';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import type { FunctionUrlServer } from '../../../../../local/cloud/function-url.js';
import { bearerAuthorize, connectHttp, errorOf, serveMcpHandler, structured } from '../../../../support/mcp.js';

const writeTask = (tool: 'bc_create_entity' | 'bc_update_entity', entity: string, data: Record<string, unknown>) => ({
  id: 't1', type: 'write' as const, description: `write ${entity}`, tool,
  arguments: tool === 'bc_update_entity' ? { entity, id: '00000000-0000-0000-0000-000000000001', data } : { entity, data },
});

describe('plan validation', () => {
  it('refuses every read-only field of every writable entity set, on create and on update', () => {
    let checked = 0;
    for (const entitySet of entitySetNames) {
      const definition = findEntitySet(entitySet)!;
      for (const [tool, operation] of [['bc_create_entity', 'POST'], ['bc_update_entity', 'PATCH']] as const) {
        if (!definition.operations.includes(operation)) continue;
        for (const property of definition.properties.filter((p) => p.readOnly)) {
          const result = validatePlan({ summary: 's', tasks: [writeTask(tool, entitySet, { [property.name]: 1 })] });
          expect(result.ok, `${tool} ${entitySet}.${property.name}`).toBe(false);
          if (!result.ok) expect(result.problems.map((p) => p.message).join(' ')).toContain(`'${property.name}' of '${entitySet}' is read-only`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
    expect(validatePlan({ summary: 's', tasks: [writeTask('bc_update_entity', 'customers', { displayName: 'x' })] }).ok).toBe(true);
  });

  it("refuses the offline planner's update of balanceDue (it was approved and stored before)", async () => {
    const planner = createOfflinePlanner({ maxTasks: 20 });
    const outcome = await planner.plan('update customer 10000 set balanceDue=999999', { tenantId: 't', sessionId: 's' });
    expect(outcome.kind).not.toBe('plan');
    expect(JSON.stringify(outcome)).toContain("'balanceDue' of customers is read-only");
  });
});

describe('MCP tools', () => {
  const TOKEN = 'read-only-test';
  let sandbox: BcSandbox;
  let functionUrl: FunctionUrlServer;
  let client: Client;
  beforeAll(async () => {
    sandbox = await startBcSandbox({ port: 0 });
    functionUrl = await serveMcpHandler(sandbox, 'customers,salesInvoices,contacts', bearerAuthorize({ [TOKEN]: { sub: 'writer', tenant: sandbox.tenant, roles: ['mcp-writer'] } }));
    client = await connectHttp(`${functionUrl.url}/mcp`, `Bearer ${TOKEN}`, 'read-only-test');
  });
  afterAll(async () => {
    await client?.close();
    await functionUrl?.stop();
    await sandbox?.stop();
  });

  it('refuse a read-only field on create and update before BC sees it, and leave the record unchanged', async () => {
    const [customer] = structured<{ value: Record<string, any>[] }>(await client.callTool({ name: 'bc_query_entity', arguments: { entity: 'customers', filter: { field: 'number', op: 'eq', value: '10000' } } })).value;
    for (const [name, args] of [
      ['bc_update_entity', { entity: 'customers', id: customer!.id, data: { balanceDue: 999999 } }],
      ['bc_create_entity', { entity: 'customers', data: { displayName: 'Sneaky', balanceDue: 1 } }],
      ['bc_create_entity', { entity: 'salesInvoices', data: { customerNumber: '10000', totalAmountIncludingTax: 1 } }],
      ['bc_update_entity', { entity: 'contacts', id: customer!.id, data: { lastInteractionDate: '2026-01-01' } }],
    ] as const) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(errorOf(result).text).toMatch(/read-only/);
    }
    const [after] = structured<{ value: Record<string, any>[] }>(await client.callTool({ name: 'bc_query_entity', arguments: { entity: 'customers', filter: { field: 'number', op: 'eq', value: '10000' } } })).value;
    expect(after!.balanceDue).toBe(customer!.balanceDue);
    const created = structured<Record<string, any>>(await client.callTool({ name: 'bc_create_entity', arguments: { entity: 'contacts', data: { displayName: 'Writable fields work' } } }));
    expect(created.displayName).toBe('Writable fields work');
  });
});
