// Shared set-up for the MCP tests: the BC_* environment that points the MCP server at a BC sandbox, the two ways
// a test reaches the server (in process, or its Lambda handler behind a local function URL), and small readers
// for tool results.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { BcMcpServerDeps } from '../../functions/mcp-server/deps.js';
import { createBcMcpServer } from '../../functions/mcp-server/server.js';
import type { BcSandbox } from '../../local/bc-sandbox/index.js';
import { serveFunctionUrl, type FunctionUrlAuthorize, type FunctionUrlAuthorizer, type FunctionUrlServer } from '../../local/cloud/function-url.js';
import { sandboxBcEnv } from './bc-sandbox.js';

/** The issuer the MCP server's protected resource metadata names in these tests (the local dev issuer). */
export const TEST_ISSUER = 'https://bc-agent.local/';

export function bcEnv(sandbox: BcSandbox, writable: string): Record<string, string> {
  return {
    ...sandboxBcEnv(sandbox),
    BC_WRITABLE_ENTITY_SETS: writable,
    MCP_AUTH_ISSUER: TEST_ISSUER,
  };
}

/** An SDK client named `name` connected in process to a BC MCP server built from `deps` (no HTTP between). */
export async function connectInMemory(deps: BcMcpServerDeps, name: string): Promise<Client> {
  const server = createBcMcpServer(deps);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/**
 * The MCP server's Lambda handler behind a local function URL, pointed at `sandbox` with `writable` entity sets
 * (plus `env`). The handler reads its configuration on its first request, as in Lambda, so the environment is
 * set before it is imported.
 */
export async function serveMcpHandler(sandbox: BcSandbox, writable: string, authorize: FunctionUrlAuthorize, env: Record<string, string> = {}): Promise<FunctionUrlServer> {
  Object.assign(process.env, bcEnv(sandbox, writable), env);
  const { handler } = await import('../../functions/mcp-server/index.js');
  return serveFunctionUrl({ port: 0, invoke: handler, authorize });
}

/** An SDK client named `name` over Streamable HTTP to `mcpUrl`, sending `authorization` on every request. */
export async function connectHttp(mcpUrl: string, authorization: string, name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization } } }));
  return client;
}

/** The identity the local function URL hands the MCP function for a verified bearer token. */
export function tokenIdentity(claims: Record<string, unknown>): FunctionUrlAuthorizer {
  return { jwt: { claims, scopes: [] } };
}

/**
 * A function URL authorizer for tests: each known bearer token stands for the claims given (the local cloud
 * verifies real JWTs; test/e2e/mcp-conformance.test.ts runs through that one).
 */
export function bearerAuthorize(tokens: Record<string, Record<string, unknown>>): FunctionUrlAuthorize {
  return async (headers) => {
    const token = /^Bearer (\S+)$/.exec(String(headers.authorization ?? ''))?.[1];
    const claims = token === undefined ? undefined : tokens[token];
    return claims ? tokenIdentity(claims) : undefined;
  };
}

/** The structured error a failed tool call carries (`_meta`), or for SDK-level rejections the text. */
export function errorOf(result: unknown): { code?: string; text: string; status?: number } {
  const r = result as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  const meta = r._meta?.['bc-agent/error'] as { code?: string; status?: number } | undefined;
  return { text, ...(meta?.code ? { code: meta.code } : {}), ...(meta?.status ? { status: meta.status } : {}) };
}

export function structured<T = Record<string, unknown>>(result: unknown): T {
  const r = result as CallToolResult;
  if (r.isError) throw new Error(`Tool failed: ${errorOf(r).text}`);
  return r.structuredContent as T;
}

/** The text of a resource read (every resource of this server is text). */
export function resourceText(result: ReadResourceResult): string {
  const content = result.contents[0];
  if (!content || !('text' in content)) throw new Error('Resource has no text content');
  return content.text;
}
