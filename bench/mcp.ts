// MCP path cost, measured side by side in one run against one BC sandbox:
// - BC calls per tool call (read from the sandbox's request counter; 1 for a one-page query);
// - HTTP requests per tool call from the workers' MCP client once connected (1);
// - added latency of worker → MCP client → function URL → MCP server → BC client → sandbox over a direct
//   BC client call, interleaved so both paths see the same machine load (goal ≤ 2 ms per call locally).
import { performance } from 'node:perf_hooks';
import { BcClient, type BcClientConfig, type ODataQuery } from '../functions/core/bc/index.js';
import { createMcpClient } from '../functions/core/mcp/index.js';
import { createEntitySchemaCache } from '../functions/mcp-server/entity-schemas.js';
import { handleMcpEvent, McpServerPool } from '../functions/mcp-server/http.js';
import { createBcMcpServer } from '../functions/mcp-server/server.js';
import { startBcSandbox } from '../local/bc-sandbox/index.js';
import { serveFunctionUrl } from '../local/cloud/index.js';
import { percentile } from './support/stats.js';

const ITERATIONS = 200;
const WARMUP = 20;
const TOKEN = 'bench-token';

function summary(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

export async function run(): Promise<void> {
  const sandbox = await startBcSandbox({ port: 0 });
  const config: BcClientConfig = {
    ...sandbox.connection,
  };
  const direct = new BcClient(config);
  // The MCP side gets its own client, as the Lambda container would.
  const serverBc = new BcClient(config);
  const deps = {
    bc: serverBc,
    writableEntitySets: new Set<string>(),
    schemas: createEntitySchemaCache(() => serverBc.metadata()),
  };
  const servers = new McpServerPool(() => createBcMcpServer(deps));
  const functionUrl = await serveFunctionUrl({
    port: 0,
    invoke: (event) => handleMcpEvent(event, servers, { issuer: 'https://bc-agent.local/', tenant: sandbox.tenant, allowedOrigins: [] }),
    authorize: async (headers) =>
      headers.authorization === `Bearer ${TOKEN}` ? { jwt: { claims: { sub: 'bench', tenant: sandbox.tenant }, scopes: [] } } : undefined,
  });
  let httpRequests = 0;
  const mcp = createMcpClient({
    url: `${functionUrl.url}/mcp`,
    auth: { type: 'bearer', token: TOKEN },
    timeoutMs: 10_000,
    fetch: (url, init) => {
      httpRequests++;
      return fetch(url, init);
    },
  });

  const query: ODataQuery = {
    filter: { field: 'city', op: 'eq', value: 'Atlanta' },
    select: ['number', 'displayName', 'city', 'creditLimit'],
    orderby: [{ field: 'number', direction: 'asc' }],
    top: 5,
  };
  const viaDirect = () => direct.query('customers', query, { maxPages: 1 });
  const viaMcp = () => mcp.callTool('bc_query_entity', { entity: 'customers', ...query });

  try {
    for (let i = 0; i < WARMUP; i++) {
      await viaDirect();
      await viaMcp();
    }

    sandbox.resetStats();
    httpRequests = 0;
    await viaMcp();
    const bcCallsPerToolCall = sandbox.stats().total;
    const httpPerToolCall = httpRequests;

    const directTimes: number[] = [];
    const mcpTimes: number[] = [];
    const added: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      // Alternate which path goes first so neither always runs on a warmer cache.
      const order = i % 2 === 0 ? [viaDirect, viaMcp] : [viaMcp, viaDirect];
      const times = new Map<unknown, number>();
      for (const path of order) {
        const start = performance.now();
        await path();
        times.set(path, performance.now() - start);
      }
      directTimes.push(times.get(viaDirect)!);
      mcpTimes.push(times.get(viaMcp)!);
      added.push(times.get(viaMcp)! - times.get(viaDirect)!);
    }

    const d = summary(directTimes);
    const m = summary(mcpTimes);
    const a = summary(added);
    console.log(`BC calls per tool call (one-page query): ${bcCallsPerToolCall}`);
    console.log(`HTTP requests per tool call (connected client): ${httpPerToolCall}`);
    console.log(`direct BC client call:  median ${ms(d.median)}, p95 ${ms(d.p95)}  (${ITERATIONS} calls)`);
    console.log(`through MCP over HTTP:   median ${ms(m.median)}, p95 ${ms(m.p95)}`);
    console.log(`added by the MCP path:   median ${ms(a.median)} per call (paired), p95 ${ms(a.p95)}; goal ≤ 2 ms`);
  } finally {
    await mcp.close();
    await functionUrl.stop();
    await sandbox.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
