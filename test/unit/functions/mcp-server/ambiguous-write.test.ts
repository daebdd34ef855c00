// A write whose outcome is unknown (BC did not answer a create in time, so it may have applied it) must not
// come back from the tools as "retry me": a worker that repeats it would create the record twice.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BcClient } from '../../../../functions/core/bc/index.js';
import { TOOL_ERROR_META_KEY } from '../../../../functions/core/mcp/meta.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { connectInMemory } from '../../../support/mcp.js';

let sandbox: BcSandbox;
let client: Client;

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  const bc = new BcClient({
    ...sandbox.connection,
    timeoutMs: 150,
    maxRetries: 0,
  });
  await bc.resolveCompany();
  client = await connectInMemory({ bc, writableEntitySets: '*' }, 'ambiguous-write-test');
});

afterEach(() => sandbox.clearFaults());

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
});

const detail = (result: unknown) => (result as CallToolResult)._meta?.[TOOL_ERROR_META_KEY] as { code: string; retryable: boolean; outcomeUnknown?: boolean };

describe('tool errors of writes BC may have applied', () => {
  it('reports a timed-out create as not retryable, with its outcome unknown', async () => {
    sandbox.addFault({ entitySet: 'customers', method: 'POST', hang: true, count: 1 });
    const result = await client.callTool({ name: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Maybe Made' } } });
    expect(result.isError).toBe(true);
    expect(detail(result)).toMatchObject({ code: 'Client_Timeout', retryable: false, outcomeUnknown: true });
    expect(JSON.stringify(result.content)).toMatch(/may have been applied/);
  });

  it('still reports a timed-out read as retryable', async () => {
    sandbox.addFault({ entitySet: 'currencies', method: 'GET', hang: true, count: 1 });
    const result = await client.callTool({ name: 'bc_query_entity', arguments: { entity: 'currencies' } });
    expect(result.isError).toBe(true);
    expect(detail(result)).toMatchObject({ code: 'Client_Timeout', retryable: true });
    expect(detail(result).outcomeUnknown).toBeUndefined();
  });
});
