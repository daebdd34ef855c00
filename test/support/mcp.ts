// Shared set-up for the MCP tests: the BC_* environment that points the MCP server at a BC sandbox, and small
// readers for tool results.
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { BcSandbox } from '../../local/bc-sandbox/index.js';
import type { FunctionUrlAuthorize, FunctionUrlAuthorizer } from '../../local/cloud/function-url.js';
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
