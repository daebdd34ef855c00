// A local Lambda function URL: an HTTP server that turns each request into the event a function URL sends
// (payload format 2.0), hands it to `invoke`, and turns the structured result back into the HTTP response.
// Authentication is the caller's: `authorize` plays the part of the URL's auth and returns the identity put in
// the event's `requestContext.authorizer` (AWS's `iam` block for SigV4; locally also `jwt`, as the HTTP API
// delivers a bearer token's claims). A request it does not authenticate reaches the function without one, and
// the function answers it (the MCP server: 401 with its WWW-Authenticate challenge, RFC 9728 metadata).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildHttpApiEvent } from './http-api/event.js';

/** Lambda's synchronous invocation payload limit, which function URLs share. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export type FunctionUrlInvoke = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The identity a function URL hands its function (payload 2.0 `requestContext.authorizer`). */
export type FunctionUrlAuthorizer =
  | { iam: { accessKey: string; accountId: string; callerId: string; userArn: string; userId: string } }
  | { jwt: { claims: Record<string, unknown>; scopes: string[] } };

export type FunctionUrlAuthorize = (
  headers: IncomingHttpHeaders,
  method: string,
  /** Path and query string as received, e.g. `/mcp?x=1`. */
  url: string,
  body: Buffer,
) => Promise<FunctionUrlAuthorizer | undefined>;

export interface FunctionUrlOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  invoke: FunctionUrlInvoke;
  authorize: FunctionUrlAuthorize;
}

export interface FunctionUrlServer {
  /** e.g. `http://127.0.0.1:4590` (no trailing slash). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function serveFunctionUrl(options: FunctionUrlOptions): Promise<FunctionUrlServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      // The handler already answers every expected failure; this is the last line for a broken socket.
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy(error instanceof Error ? error : undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: FunctionUrlOptions): Promise<void> {
  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body === undefined) {
    sendJson(res, 413, { message: 'Request Entity Too Large' });
    return;
  }
  const authorizer = await options.authorize(req.headers, req.method ?? 'GET', req.url ?? '/', body);
  const event = toFunctionUrlEvent(req, body, { ownHosts: ownHosts(req, options.host ?? '127.0.0.1'), authorizer });
  let result: APIGatewayProxyStructuredResultV2;
  try {
    result = await options.invoke(event);
  } catch {
    // What a function URL answers when the function throws.
    sendJson(res, 502, { message: 'Internal Server Error' });
    return;
  }
  writeResult(res, result);
}

/** Reads the whole body, or returns undefined once it exceeds `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The names this URL answers to: its listen address and, on loopback, `localhost`, each with its port. */
function ownHosts(req: IncomingMessage, listenHost: string): string[] {
  const port = req.socket.localPort;
  const bracketed = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  const loopback = listenHost === '127.0.0.1' || listenHost === '::1' || listenHost === 'localhost';
  return [...new Set([bracketed, ...(loopback ? ['localhost', '127.0.0.1', '[::1]'] : [])])].map((h) => `${h}:${port}`);
}

/**
 * Builds the payload-2.0 event a function URL sends: the HTTP API's event (one builder for both, see
 * http-api/event.ts) on the `$default` route, with the authorizer's identity when there is one. As on AWS,
 * `domainName` is the URL's own host (AWS routes a request to the URL only by it), never a foreign Host header,
 * and `x-forwarded-proto` is the scheme the URL serves.
 */
export function toFunctionUrlEvent(
  req: IncomingMessage,
  body: Buffer,
  options: { ownHosts?: readonly string[]; authorizer?: FunctionUrlAuthorizer } = {},
): APIGatewayProxyEventV2 {
  const event = buildHttpApiEvent(
    {
      method: req.method ?? 'GET',
      rawUrl: req.url ?? '/',
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
    },
    { apiId: 'local', stage: '$default', routeKey: '$default', pathParameters: {}, requestId: randomUUID(), now: new Date() },
  );
  const own = options.ownHosts ?? [];
  const domainName = own.includes(event.requestContext.domainName) ? event.requestContext.domainName : (own[0] ?? event.requestContext.domainName);
  return {
    ...event,
    headers: { ...event.headers, 'x-forwarded-proto': 'http' },
    requestContext: {
      ...event.requestContext,
      accountId: 'anonymous',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      ...(options.authorizer ? { authorizer: options.authorizer } : {}),
    },
  } as APIGatewayProxyEventV2;
}

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > 0 && !headers['content-type']) headers['content-type'] = 'application/json';
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
