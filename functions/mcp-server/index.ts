// Lambda handler: the MCP server behind a function URL (IAM auth on AWS; locally local/cloud/function-url.ts
// with a bearer token or SigV4). The BC client (behind the shared circuit breaker when BREAKERS_TABLE is set),
// its token and the parsed $metadata live for the container; each request gets a fresh stateless transport on
// a pooled McpServer. Each request runs in its caller's correlation id (x-correlation-id, minted when absent),
// which the BC client forwards to BC and every log line of the request carries.
import { reusedUntilFailure } from '../core/container/index.js';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { currentBcCorrelationId, withBcCorrelation, withLambdaDeadline } from '../core/bc/index.js';
import { publisherFromEnv } from '../core/events/index.js';
import { CORRELATION_HEADER, correlationIdFrom, createLogger } from '../core/observability/index.js';
import { httpRuntime } from '../core/runtime/index.js';
import { loadMcpHttpAccess, writeRefusal, type McpHttpAccess } from './access.js';
import { bcBreakerFromEnv, withCircuitBreaker } from './breaker-backend.js';
import { createServerBcClient, loadMcpServerConfig } from './config.js';
import type { BcMcpServerDeps } from './deps.js';
import { createEntitySchemaCache } from './entity-schemas.js';
import { handleMcpEvent, McpServerPool } from './http.js';
import { createBcMcpServer } from './server.js';

const logger = createLogger('mcp-server');

interface Container {
  deps: BcMcpServerDeps;
  servers: McpServerPool;
  access: McpHttpAccess;
}


async function buildContainer(): Promise<Container> {
  // Access settings first: a server that cannot tell who may call it must not start.
  const access = loadMcpHttpAccess();
  const config = await loadMcpServerConfig();
  const client = createServerBcClient(config);
  const breaker = bcBreakerFromEnv({
    tenant: config.bc.tenant,
    environment: config.bc.environment,
    // A transition is logged with the id of the call that caused it (tool calls can run concurrently).
    logger: { warn: (message, extra) => logger.warn(message, { ...extra, correlationId: currentBcCorrelationId() }) },
    ...(process.env.EVENT_BUS_NAME ? { publisher: publisherFromEnv('mcp-server') } : {}),
  });
  const bc = breaker ? withCircuitBreaker(client, breaker) : client;
  const deps: BcMcpServerDeps = {
    bc,
    writableEntitySets: config.writableEntitySets,
    ...(config.bc.companyId ? { companyId: config.bc.companyId } : {}),
    schemas: createEntitySchemaCache(() => bc.metadata()),
    writeRefusal,
  };
  return { deps, servers: new McpServerPool(() => createBcMcpServer(deps)), access };
}

/** Config, secret, client and servers once per container; a failure is not cached, so the next request retries. */
const containerState = reusedUntilFailure(buildContainer);

// The HTTP runtime bounds BC calls by the invocation's deadline: a tool error the caller can act on, not a
// killed invocation.
export const handler = httpRuntime({ logger, deadline: withLambdaDeadline }, async (event): Promise<APIGatewayProxyStructuredResultV2> => {
  // Passed per log line rather than appended to the shared logger: requests may overlap in one process.
  const correlationId = correlationIdFrom(event.headers?.[CORRELATION_HEADER]);
  return withBcCorrelation(correlationId, async () => {
    let servers: McpServerPool;
    let access: McpHttpAccess;
    try {
      ({ servers, access } = await containerState());
    } catch (error) {
      logger.error('MCP server configuration failed', { correlationId, error: error instanceof Error ? error.message : String(error) });
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'MCP server is not configured' }, id: null }),
      };
    }
    const result = await handleMcpEvent(event, servers, access);
    if ((result.statusCode ?? 200) >= 500) logger.warn('MCP request failed', { correlationId, statusCode: result.statusCode });
    return result;
  });
});
