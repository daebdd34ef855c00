// Who may use the MCP server over HTTP, as MCP authorization describes for HTTP transports (the server is an
// OAuth 2.1 resource server): the function URL authenticates the caller and puts its identity in the event
// (`requestContext.authorizer`), and this module turns that into a caller the tools check, or into the 401
// answers with the `WWW-Authenticate` challenge that points clients at the protected resource metadata
// (RFC 9728) naming the stage's token issuer.
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BC_USER_TOKEN_HEADER } from '../core/bc/index.js';
import { BC_PRIORITY_HEADER } from '../core/capacity/index.js';
import { readCaller } from '../core/http/index.js';

/** The role a bearer token needs for the write tools (read tools need only a valid token of the tenant). */
export const MCP_WRITER_ROLE = 'mcp-writer';
/** Where the protected resource metadata of the `/mcp` resource is served (RFC 9728 §3.1, path inserted). */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

export interface McpHttpAccess {
  /** The issuer whose tokens the URL accepts (`MCP_AUTH_ISSUER`: the stage's `jwt.issuer`). */
  issuer: string;
  /** The tenant a bearer token must carry (`MCP_TOKEN_TENANT`, default `BC_TENANT`): one BC tenant per server. */
  tenant: string;
  /** Browser origins allowed besides the server's own (`MCP_ALLOWED_ORIGINS`, comma list). */
  allowedOrigins: readonly string[];
}

export function loadMcpHttpAccess(env: Record<string, string | undefined> = process.env): McpHttpAccess {
  const issuer = env.MCP_AUTH_ISSUER?.trim();
  if (!issuer) throw new Error('MCP_AUTH_ISSUER is not set: the issuer whose tokens the MCP server accepts');
  const tenant = (env.MCP_TOKEN_TENANT ?? env.BC_TENANT)?.trim();
  if (!tenant) throw new Error('MCP_TOKEN_TENANT (or BC_TENANT) is not set: the tenant MCP callers must belong to');
  const allowedOrigins = (env.MCP_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    if (new URL(origin).origin !== origin) throw new Error(`MCP_ALLOWED_ORIGINS: '${origin}' is not an origin (scheme://host[:port])`);
  }
  return { issuer, tenant, allowedOrigins };
}

/** What the tools learn about the caller (in `extra.authInfo.extra`). */
export interface McpCaller {
  /** `iam`: a SigV4-signed request (the workers; their writes were approved upstream); `token`: a bearer JWT. */
  via: 'iam' | 'token';
  principal: string;
  mayWrite: boolean;
}

export type CallerCheck =
  | { ok: true; caller: McpCaller }
  | { ok: false; status: 401; error?: 'invalid_token'; message: string };

type FunctionUrlAuthorizer = {
  iam?: { userArn?: string; callerId?: string; accessKey?: string };
  jwt?: { claims?: Record<string, unknown> };
};

/** The caller the function URL authenticated, checked against this server's tenant. */
export function callerOf(event: APIGatewayProxyEventV2, access: McpHttpAccess): CallerCheck {
  const authorizer = (event.requestContext as { authorizer?: FunctionUrlAuthorizer }).authorizer;
  if (authorizer?.iam) {
    const iam = authorizer.iam;
    return { ok: true, caller: { via: 'iam', principal: iam.userArn ?? iam.callerId ?? iam.accessKey ?? 'iam', mayWrite: true } };
  }
  if (authorizer?.jwt?.claims) {
    let identity: ReturnType<typeof readCaller>;
    try {
      identity = readCaller(event);
    } catch (error) {
      return { ok: false, status: 401, error: 'invalid_token', message: error instanceof Error ? error.message : String(error) };
    }
    if (identity.tenantId !== access.tenant) {
      // A token of another tenant is not valid for this resource, like a wrong audience (RFC 6750 §3.1).
      return { ok: false, status: 401, error: 'invalid_token', message: `the token is for tenant '${identity.tenantId}'; this MCP server serves '${access.tenant}'` };
    }
    return { ok: true, caller: { via: 'token', principal: identity.sub, mayWrite: identity.roles.includes(MCP_WRITER_ROLE) } };
  }
  const presented = Boolean(event.headers?.authorization);
  return presented
    ? { ok: false, status: 401, error: 'invalid_token', message: 'the bearer token was not accepted (signature, issuer, audience or expiry)' }
    : { ok: false, status: 401, message: 'a bearer token is required' };
}

/** The caller as the SDK hands it to tool callbacks (`extra.authInfo`). */
export function authInfoOf(caller: McpCaller, event: APIGatewayProxyEventV2): AuthInfo {
  const token = /^Bearer\s+(\S+)$/i.exec(event.headers?.authorization ?? '')?.[1] ?? '';
  return { token, clientId: caller.principal, scopes: caller.mayWrite ? ['read', 'write'] : ['read'], extra: { caller } };
}

/**
 * The BC priority the caller's requests run at. Only an IAM-signed caller (a worker, which takes the lane from
 * the task) may ask for the high lane with `x-bc-priority`; a bearer-token client (a desktop MCP client) always
 * runs at normal priority, so it cannot push its work ahead of interactive chat tasks by setting a header.
 */
export function bcPriorityOf(caller: McpCaller, event: APIGatewayProxyEventV2): string | undefined {
  return caller.via === 'iam' ? event.headers?.[BC_PRIORITY_HEADER] : 'normal';
}

/**
 * The person's BC token the caller's requests run with (`x-bc-user-token`): believed only from an IAM-signed
 * caller (a worker acting for the person who asked); a bearer-token client's BC calls run as the server's identity,
 * so it cannot make them appear as someone else's.
 */
export function bcUserTokenOf(caller: McpCaller, event: APIGatewayProxyEventV2): string | undefined {
  return caller.via === 'iam' ? event.headers?.[BC_USER_TOKEN_HEADER] : undefined;
}

/** Why the caller may not use a write tool, or undefined when it may. No authInfo: stdio, the operator's own process. */
export function writeRefusal(authInfo: AuthInfo | undefined): string | undefined {
  if (!authInfo) return undefined;
  const caller = authInfo.extra?.caller as McpCaller | undefined;
  if (caller?.mayWrite) return undefined;
  return `the write tools need a token with the '${MCP_WRITER_ROLE}' role (or an IAM-signed request); this caller may only read`;
}

/** The server's own origin and `/mcp` resource as the function URL was addressed (never the caller's Host). */
export function resourceOf(event: APIGatewayProxyEventV2): { origin: string; resource: string; host: string } {
  const host = event.requestContext.domainName;
  // A function URL sets x-forwarded-proto (https on AWS; the local URL sets http).
  const scheme = event.headers?.['x-forwarded-proto'] === 'http' ? 'http' : 'https';
  const origin = `${scheme}://${host}`;
  return { origin, resource: `${origin}/mcp`, host };
}

/** RFC 9728 protected resource metadata of `/mcp`. */
export function protectedResourceMetadata(event: APIGatewayProxyEventV2, access: McpHttpAccess) {
  const { resource } = resourceOf(event);
  return {
    resource,
    authorization_servers: [access.issuer],
    bearer_methods_supported: ['header'],
    resource_name: 'Business Central MCP server (bc-claude-agent)',
  };
}

/** The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3 with RFC 9728's `resource_metadata`). */
export function bearerChallenge(event: APIGatewayProxyEventV2, refusal: { error?: string; message: string }): string {
  const { origin } = resourceOf(event);
  const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;
  const params = [`resource_metadata=${quoted(`${origin}${PROTECTED_RESOURCE_METADATA_PATH}/mcp`)}`];
  if (refusal.error) params.push(`error=${quoted(refusal.error)}`, `error_description=${quoted(refusal.message)}`);
  return `Bearer ${params.join(', ')}`;
}
