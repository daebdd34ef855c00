// The WebSocket API on its own port, as API Gateway runs it: a connection is accepted only when the $connect
// integration answers 2xx, each message is routed by the route selection expression to its function (whose
// answer goes back when the route has a route response), closing invokes $disconnect. The same port serves
// the connection management API the notifier's ApiGatewayManagementApi client calls (POST/GET/DELETE
// `/<stage>/@connections/{id}`, SigV4-signed with the local credentials) and the local issuer's JWKS, which the
// $connect function checks tokens against.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { listen, type RunningServer } from '../http-api/server.js';
import type { WebSocketApiDefinition, WebSocketRouteDefinition } from './model.js';

/** API Gateway's limits: a client frame (32 KB), a posted message (128 KB). */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_POST_BYTES = 128 * 1024;
/** How long API Gateway waits for an integration. */
const INTEGRATION_TIMEOUT_MS = 29_000;

export interface WebSocketApiBinding {
  api: WebSocketApiDefinition;
  /** Invokes a function synchronously; rejects when it fails. */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  /** Checks a management API request's SigV4 signature. */
  verifyRequest?(request: { headers: IncomingMessage['headers']; method: string; url: string; body: Buffer }): Promise<boolean>;
  onError?(message: string, error?: unknown): void;
}

export interface LocalWebSocketServer extends RunningServer {
  /** `ws://127.0.0.1:<port>` (clients add the stage: `/v1?token=…`). */
  wsUrl: string;
  /** Connects the server to the API once the template is read; until then upgrades get 503. */
  attach(binding: WebSocketApiBinding): void;
  /** Serves `GET /.well-known/jwks.json`. */
  setJwks(jwks: { keys: unknown[] }): void;
  /** Open connections, by id. */
  readonly connections: ReadonlyMap<string, LocalConnection>;
}

export interface LocalConnection {
  id: string;
  socket: WebSocket;
  connectedAt: Date;
  lastActiveAt: Date;
  sourceIp: string;
  userAgent: string;
}

export async function startWebSocketServer(port: number, host = '127.0.0.1'): Promise<LocalWebSocketServer> {
  let binding: WebSocketApiBinding | undefined;
  let jwks: { keys: unknown[] } | undefined;
  let stopping = false;
  const connections = new Map<string, LocalConnection>();
  const pending = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    pending.add(work);
    void work.finally(() => pending.delete(work)).catch(() => undefined);
    return work;
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  const server = createServer((req, res) => {
    track(handleHttp(req, res)).catch((error: unknown) => {
      binding?.onError?.('WebSocket API: management request failed', error);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_POST_BYTES + 1);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json' && jwks) return sendJson(res, 200, jwks);
    const match = binding ? new RegExp(`^/${escapeRegExp(binding.api.stage)}/@connections/([^/]+)$`).exec(url.pathname) : null;
    if (!binding || !match) return sendJson(res, 404, { message: 'Not Found' });
    if (binding.verifyRequest && !(await binding.verifyRequest({ headers: req.headers, method: req.method ?? 'GET', url: req.url ?? '/', body }))) {
      return sendError(res, 403, 'ForbiddenException', 'The request signature we calculated does not match the signature you provided.');
    }
    const connection = connections.get(decodeURIComponent(match[1]!));
    if (!connection) return sendError(res, 410, 'GoneException', null);
    switch (req.method) {
      case 'POST':
        if (body.length > MAX_POST_BYTES) return sendError(res, 413, 'PayloadTooLargeException', 'Message too long');
        await new Promise<void>((resolve, reject) => connection.socket.send(body.toString('utf8'), (error) => (error ? reject(error) : resolve())));
        return sendJson(res, 200, {});
      case 'GET':
        // The wire names of GetConnection's output (the SDK maps them to ConnectedAt, Identity, LastActiveAt).
        return sendJson(res, 200, {
          connectedAt: connection.connectedAt.toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
          lastActiveAt: connection.lastActiveAt.toISOString(),
        });
      case 'DELETE':
        connection.socket.close(1000);
        res.writeHead(204).end();
        return;
      default:
        return sendJson(res, 405, { message: 'Method Not Allowed' });
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    track(upgrade(req, socket, head)).catch((error: unknown) => {
      binding?.onError?.('WebSocket API: $connect failed', error);
      rejectUpgrade(socket, 500, JSON.stringify({ message: 'Internal server error' }));
    });
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const current = binding;
    if (!current) return rejectUpgrade(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.replace(/\/$/, '') !== `/${current.api.stage}`) return rejectUpgrade(socket, 404, JSON.stringify({ message: 'Not Found' }));
    // API Gateway's connection ids: 16 characters of base64.
    const id = randomBytes(10).toString('base64').replace(/\//g, '_').replace(/\+/g, '-');
    const connection = {
      id,
      connectedAt: new Date(),
      lastActiveAt: new Date(),
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: headerOf(req, 'user-agent') ?? '',
    };
    const connect = routeOf(current, '$connect');
    if (connect?.functionName) {
      const query = [...url.searchParams.keys()];
      const event = {
        headers: singleHeaders(req),
        multiValueHeaders: multiHeaders(req),
        ...(query.length
          ? {
              queryStringParameters: Object.fromEntries(query.map((k) => [k, url.searchParams.get(k)!])),
              multiValueQueryStringParameters: Object.fromEntries(query.map((k) => [k, url.searchParams.getAll(k)])),
            }
          : {}),
        requestContext: requestContext(current, connection, '$connect', 'CONNECT'),
        isBase64Encoded: false,
      };
      let result: unknown;
      try {
        result = await withTimeout(current.invoke(connect.functionName, event));
      } catch (error) {
        current.onError?.('WebSocket API $connect: integration failed', error);
        return rejectUpgrade(socket, 500, JSON.stringify({ message: 'Internal server error' }));
      }
      const status = statusOf(result);
      if (status < 200 || status > 299) return rejectUpgrade(socket, status, bodyOf(result) ?? '');
    }
    if (socket.destroyed) {
      // The client left while $connect ran: API Gateway then sends $disconnect for the accepted connection.
      void track(disconnect(current, { ...connection }, 1006, 'Client left during connect'));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const live: LocalConnection = { ...connection, socket: ws };
      connections.set(id, live);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        live.lastActiveAt = new Date();
        void track(message(current, live, data, isBinary));
      });
      ws.on('close', (code: number, reason: Buffer) => {
        connections.delete(id);
        void track(disconnect(current, live, code, reason.toString('utf8')));
      });
      ws.on('error', (error) => current.onError?.(`WebSocket connection ${id}`, error));
    });
  }

  async function message(current: WebSocketApiBinding, connection: LocalConnection, data: RawData, isBinary: boolean): Promise<void> {
    const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const text = raw.toString('utf8');
    const route = selectRoute(current, isBinary ? undefined : text);
    const requestId = randomUUID();
    if (!route?.functionName) {
      connection.socket.send(JSON.stringify({ message: 'Forbidden', connectionId: connection.id, requestId }));
      return;
    }
    const event = {
      requestContext: { ...requestContext(current, connection, route.routeKey, 'MESSAGE', requestId), messageId: randomUUID() },
      body: isBinary ? raw.toString('base64') : text,
      isBase64Encoded: isBinary,
    };
    try {
      const result = await withTimeout(current.invoke(route.functionName, event));
      const body = bodyOf(result);
      if (route.returnResponse && body !== undefined && connections.has(connection.id)) connection.socket.send(body);
    } catch (error) {
      current.onError?.(`WebSocket API ${route.routeKey}: integration failed`, error);
      if (connections.has(connection.id)) connection.socket.send(JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId }));
    }
  }

  async function disconnect(current: WebSocketApiBinding, connection: Omit<LocalConnection, 'socket'>, code: number, reason: string): Promise<void> {
    const route = routeOf(current, '$disconnect');
    // At shutdown the functions stop too; the connections table's TTL removes what $disconnect would have.
    if (!route?.functionName || stopping) return;
    const event = {
      headers: {},
      requestContext: { ...requestContext(current, connection, '$disconnect', 'DISCONNECT'), disconnectStatusCode: code, disconnectReason: reason },
      isBase64Encoded: false,
    };
    try {
      await withTimeout(current.invoke(route.functionName, event));
    } catch (error) {
      current.onError?.('WebSocket API $disconnect: integration failed', error);
    }
  }

  const running = await listen(server, port, host);
  return {
    ...running,
    wsUrl: running.url.replace(/^http:/, 'ws:'),
    connections,
    attach: (next) => {
      binding = next;
    },
    setJwks: (next) => {
      jwks = next;
    },
    stop: async () => {
      stopping = true;
      for (const connection of connections.values()) connection.socket.terminate();
      await running.stop();
      while (pending.size > 0) await Promise.allSettled([...pending]);
      wss.close();
    },
  };
}

function routeOf(binding: WebSocketApiBinding, routeKey: string): WebSocketRouteDefinition | undefined {
  return binding.api.routes.find((route) => route.routeKey === routeKey);
}

/** `$request.body.<field>` of a JSON text frame names the route; anything else goes to `$default`. */
function selectRoute(binding: WebSocketApiBinding, text: string | undefined): WebSocketRouteDefinition | undefined {
  const field = binding.api.routeSelectionExpression.slice('$request.body.'.length);
  let key: unknown;
  if (text !== undefined) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) key = (parsed as Record<string, unknown>)[field];
    } catch {
      key = undefined;
    }
  }
  const named = typeof key === 'string' && !key.startsWith('$') ? routeOf(binding, key) : undefined;
  return named ?? routeOf(binding, '$default');
}

function requestContext(
  binding: WebSocketApiBinding,
  connection: Omit<LocalConnection, 'socket'>,
  routeKey: string,
  eventType: string,
  requestId: string = randomUUID(),
): Record<string, unknown> {
  const now = new Date();
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: now.toUTCString(),
    messageDirection: 'IN',
    stage: binding.api.stage,
    connectedAt: connection.connectedAt.getTime(),
    requestTimeEpoch: now.getTime(),
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    requestId,
    domainName: 'localhost',
    connectionId: connection.id,
    apiId: binding.api.apiId,
  };
}

function statusOf(result: unknown): number {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) return Number((result as { statusCode: unknown }).statusCode);
  return 200;
}

function bodyOf(result: unknown): string | undefined {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const { body, isBase64Encoded } = result as { body?: unknown; isBase64Encoded?: unknown };
    if (typeof body !== 'string') return undefined;
    return isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body;
  }
  return result === undefined || result === null ? undefined : typeof result === 'string' ? result : JSON.stringify(result);
}

async function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the integration timed out')), INTEGRATION_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function rejectUpgrade(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
}

/** An error the SDK's REST-JSON deserializer maps to the named exception. */
function sendError(res: ServerResponse, status: number, type: string, message: string | null): void {
  const text = JSON.stringify({ message });
  res
    .writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'content-length': String(Buffer.byteLength(text)) })
    .end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function singleHeaders(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
}

function multiHeaders(req: IncomingMessage): Record<string, string[]> {
  return Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v : [v ?? '']]));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
