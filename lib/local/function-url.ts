// A local Lambda function URL: an HTTP server that turns each request into the event a function URL sends
// (payload format 2.0), hands it to `invoke`, and turns the structured result back into the HTTP response.
// Authentication is the caller's: `authorize` plays the part of the URL's IAM auth (401 when it says no).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Lambda's synchronous invocation payload limit, which function URLs share. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export type FunctionUrlInvoke = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export type FunctionUrlAuthorize = (
  headers: IncomingHttpHeaders,
  method: string,
  /** Path and query string as received, e.g. `/mcp?x=1`. */
  url: string,
  body: Buffer,
) => Promise<boolean>;

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
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  if (!(await options.authorize(req.headers, method, rawUrl, body))) {
    // Function URLs with IAM auth answer 403 on a bad signature; locally a missing/bad token is a 401.
    sendJson(res, 401, { message: 'Unauthorized' });
    return;
  }
  const event = toFunctionUrlEvent(req, body);
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

const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|x-www-form-urlencoded|javascript))/i;

/** Builds the payload-2.0 event exactly as a function URL does (headers lower-cased, repeats comma-joined). */
export function toFunctionUrlEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }

  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }

  const now = new Date();
  const domainName = headers.host ?? 'localhost';
  const hasBody = body.length > 0;
  const isText = TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey: '$default',
    // rawPath stays as sent (percent-encoded); http.path is decoded, as on AWS.
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method ?? 'GET',
        path: safeDecode(rawPath),
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
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
