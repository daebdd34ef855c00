// The MCP server calls BC through the shared circuit breaker (DynamoDB state, here dynalite): BC failures open
// it, the transition is published in the story of the call that caused it, and while open the tools answer
// DependencyUnavailable (retryable) without calling BC.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BcClient } from '../../../../functions/core/bc/index.js';
import type { DomainEvent, EventPublisher } from '../../../../functions/core/events/index.js';
import { STORY_CONTEXT_META_KEY } from '../../../../functions/core/mcp/index.js';
import { bcBreakerFromEnv, withCircuitBreaker } from '../../../../functions/mcp-server/breaker-backend.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { startDynamo, type TestDynamo } from '../../../support/dynamo.js';
import { connectInMemory, errorOf, structured } from '../../../support/mcp.js';

const story = {
  tenantId: 'tenant-a',
  sessionId: 'session-1',
  planId: 'plan-1',
  taskId: 't1',
  correlationId: 'corr-breaker-1',
};

let sandbox: BcSandbox;
let dynamo: TestDynamo;
let client: Client;
const published: DomainEvent[] = [];
const warnings: string[] = [];

beforeAll(async () => {
  [sandbox, dynamo] = await Promise.all([startBcSandbox({ port: 0 }), startDynamo()]);
  Object.assign(process.env, dynamo.env);
  const publisher: EventPublisher = {
    source: 'bc-agent.mcp-server',
    publish: async (events) => {
      published.push(...events);
      return { published: events.length, failed: [], putEventsCalls: 1 };
    },
  };
  const breaker = bcBreakerFromEnv({
    tenant: sandbox.tenant,
    environment: sandbox.environment,
    logger: { warn: (message) => warnings.push(message) },
    publisher,
    env: { ...process.env, BREAKER_THRESHOLD: '2', BREAKER_OPEN_SECONDS: '60' },
  });
  expect(breaker).toBeDefined();
  const bc = new BcClient(sandbox.connection);
  client = await connectInMemory({ bc: withCircuitBreaker(bc, breaker!), writableEntitySets: new Set() }, 'breaker-test');
});

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
  await dynamo?.stop();
});

const queryCustomers = () =>
  client.callTool({ name: 'bc_query_entity', arguments: { entity: 'customers', top: 1 }, _meta: { [STORY_CONTEXT_META_KEY]: story } });

describe('MCP server behind the circuit breaker', () => {
  it('passes calls through while BC is healthy, without a transition', async () => {
    expect(structured<{ value: unknown[] }>(await queryCustomers()).value).toHaveLength(1);
    expect(published).toHaveLength(0);
  });

  it('opens after the threshold of BC 5xx, publishes the change in the caller’s story, then rejects fast', async () => {
    sandbox.addFault({ entitySet: 'customers', status: 500, count: 2 });
    for (let i = 0; i < 2; i++) expect(errorOf(await queryCustomers()).code).toBe('Internal_ServerError');

    expect(published.map((e) => e.name)).toEqual(['breaker:state-changed']);
    expect(published[0]!.detail).toMatchObject({
      breakerKey: `bc:${sandbox.tenant}:${sandbox.environment}`,
      from: 'closed',
      to: 'open',
      failureCount: 2,
      ...story,
      causationId: story.correlationId,
    });
    expect(warnings).toContain('BC circuit breaker changed state');

    sandbox.resetStats();
    const rejected = await queryCustomers();
    expect(rejected.isError).toBe(true);
    expect(rejected._meta?.['bc-agent/error']).toMatchObject({ code: 'DependencyUnavailable', status: 503, retryable: true });
    expect(sandbox.stats().total).toBe(0);
  });
});
