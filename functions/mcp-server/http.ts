// Streamable HTTP over a Lambda function URL, stateless: each POST gets a fresh transport (the SDK forbids
// reusing a stateless one) on a pooled server, answers in JSON (no SSE, which a buffered function URL cannot
// stream), and has no session. GET (standalone SSE stream) and DELETE (session end) have no meaning here, so
// the server does not advertise list-change notifications either (server.ts).
// Before the transport: the protected resource metadata (RFC 9728) and the caller check (access.ts). In the
// transport: the SDK's DNS-rebinding protection, with the function URL's own host and origin as the only ones
// allowed (plus MCP_ALLOWED_ORIGINS for browser clients). The request's BC priority is the caller's lane.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { withBcUserToken } from '../core/bc/index.js';
import { withBcPriority } from '../core/capacity/index.js';
import {
  authInfoOf,
  bcPriorityOf,
  bcUserTokenOf,
  bearerChallenge,
  callerOf,
  PROTECTED_RESOURCE_METADATA_PATH,
  protectedResourceMetadata,
  resourceOf,
  type McpHttpAccess,
} from './access.js';

export const MCP_PATH = '/mcp';

function jsonRpcError(statusCode: number, code: number, message: string, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
  };
}

/** The Web `Request` a function URL event describes (body decoded, headers and query kept). */
export function requestFromEvent(event: APIGatewayProxyEventV2): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const host = event.requestContext.domainName || 'localhost';
  const url = `https://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
  const method = event.requestContext.http.method;
  const body =
    event.body === undefined || method === 'GET' || method === 'HEAD'
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64')
        : event.body;
  return new Request(url, { method, headers, ...(body !== undefined ? { body } : {}) });
}

export async function resultFromResponse(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = await response.text();
  return { statusCode: response.status, headers, ...(body ? { body } : {}) };
}

/**
 * Idle servers for reuse. Building an McpServer (five tools, three resources, two prompts) costs more than
 * serving a call, so one is connected to each request's fresh transport and returned when the request ends;
 * concurrent requests each take their own. Stateless: nothing a request leaves on a server is read later.
 */
export class McpServerPool {
  private readonly idle: McpServer[] = [];
  constructor(
    private readonly build: () => McpServer,
    private readonly maxIdle = 8,
  ) {}

  acquire(): McpServer {
    return this.idle.pop() ?? this.build();
  }

  release(server: McpServer): void {
    if (this.idle.length < this.maxIdle) this.idle.push(server);
  }
}

/** Serves one function URL event on a pooled server; never throws for anything the caller sent. */
export async function handleMcpEvent(
  event: APIGatewayProxyEventV2,
  servers: McpServerPool,
  access: McpHttpAccess,
): Promise<APIGatewayProxyStructuredResultV2> {
  const path = event.rawPath.replace(/\/+$/, '');
  const method = event.requestContext.http.method;
  if (path === PROTECTED_RESOURCE_METADATA_PATH || path === `${PROTECTED_RESOURCE_METADATA_PATH}${MCP_PATH}`) {
    if (method !== 'GET' && method !== 'HEAD') return jsonRpcError(405, -32000, 'Method not allowed: use GET', { allow: 'GET' });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=3600' },
      body: JSON.stringify(protectedResourceMetadata(event, access)),
    };
  }
  if (path !== MCP_PATH) return jsonRpcError(404, -32601, `Not found: the MCP endpoint is ${MCP_PATH}`);

  const check = callerOf(event, access);
  if (!check.ok) {
    return jsonRpcError(check.status, -32001, `Unauthorized: ${check.message}`, { 'www-authenticate': bearerChallenge(event, check) });
  }
  if (method !== 'POST') {
    return jsonRpcError(405, -32000, 'Method not allowed: this MCP server is stateless and answers POST only', { allow: 'POST' });
  }

  const { host, origin } = resourceOf(event);
  const server = servers.acquire();
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    enableDnsRebindingProtection: true,
    allowedHosts: [host],
    allowedOrigins: [origin, ...access.allowedOrigins],
  });
  let reusable = false;
  try {
    await server.connect(transport);
    // The caller's lane orders its BC calls in the capacity governor, and a worker acting for a person sends that
    // person's BC token, which BC calls then run with (access.ts says whose lane and token are believed).
    const response = await withBcUserToken(bcUserTokenOf(check.caller, event), () =>
      withBcPriority(bcPriorityOf(check.caller, event), () =>
        transport.handleRequest(requestFromEvent(event), { authInfo: authInfoOf(check.caller, event) }),
      ),
    );
    const result = await resultFromResponse(response);
    reusable = true;
    return result;
  } finally {
    // Closing the transport detaches it, so the server can take the next request's transport.
    await server.close();
    if (reusable && !server.isConnected()) servers.release(server);
  }
}
