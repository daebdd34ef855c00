// A tool call's story (`_meta`) comes from the caller: a correlation id BC cannot take as a header must not
// fail the call; the request's own id is sent to BC instead.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BcClient, correlatingFetch } from '../../../../functions/core/bc/index.js';
import { STORY_CONTEXT_META_KEY } from '../../../../functions/core/mcp/index.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { connectInMemory, structured } from '../../../support/mcp.js';

let sandbox: BcSandbox;
let client: Client;
const sentIds: (string | null)[] = [];

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  const recording: typeof fetch = (input, init) => {
    sentIds.push(new Headers(init?.headers).get('x-correlation-id'));
    return fetch(input, init);
  };
  const bc = new BcClient(sandbox.connection, { fetch: correlatingFetch(recording) });
  client = await connectInMemory({ bc, writableEntitySets: new Set() }, 'story-context-test');
});

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
});

describe('the story of a tool call', () => {
  it('serves a call whose correlation id cannot be a header, without sending that id to BC', async () => {
    const story = { tenantId: 'tenant-a', sessionId: 's1', planId: 'p1', correlationId: 'two words\r\nX-Injected: 1' };
    const result = await client.callTool({ name: 'bc_query_entity', arguments: { entity: 'currencies', top: 1 }, _meta: { [STORY_CONTEXT_META_KEY]: story } });
    expect(structured<{ value: unknown[] }>(result).value).toHaveLength(1);
    expect(sentIds.some((id) => id?.includes('two words'))).toBe(false);
  });
});
