// The HTTP API on one port: request → route → JWT authorizer → payload-2.0 event → function → response,
// answering with API Gateway's own messages where API Gateway (not the function) decides.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken, type JwtCheck } from '../jwt.js';
import type { HttpApiDefinition, RouteAuthorizer, RouteDefinition } from '../template/model.js';
import { buildHttpApiEvent, readHttpApiResult, type HttpApiEvent, type HttpResponse } from './event.js';
import { RouteTable } from './routes.js';

/** API Gateway's payload limit for HTTP APIs. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** The longest an HTTP API waits for an integration. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

export interface HttpApiServerOptions {
  port: number;
  host?: string;
  api: HttpApiDefinition;
  /** Invokes a function synchronously; rejects when the function fails. */
  invoke(functionName: string, event: HttpApiEvent): Promise<unknown>;
  verifyToken(token: string, authorizer: RouteAuthorizer, requiredScopes: readonly string[]): Promise<JwtCheck>;
  integrationTimeoutMs?: number;
  /** Told about function failures and malformed answers (the caller only sees API Gateway's 500). */
  onIntegrationError?(route: string, error: unknown): void;
}

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function serveHttpApi(options: HttpApiServerOptions): Promise<RunningServer> {
  return listen(createServer(createHttpApiHandler(options)), options.port, options.host ?? '127.0.0.1');
}

/** The request handler alone, for a server that was bound before the API was known. */
export function createHttpApiHandler(options: Omit<HttpApiServerOptions, 'port' | 'host'>): RequestListener {
  const routes = new RouteTable<RouteDefinition>(options.api.routes);
  const bucket = options.api.throttle ? new TokenBucket(options.api.throttle.rateLimit, options.api.throttle.burstLimit) : undefined;
  return (req, res) => {
    if (bucket && !bucket.take()) {
      req.resume();
      send(res, message(429, 'Too Many Requests'));
      return;
    }
    handle(req, res, options, routes).catch((error: unknown) => {
      options.onIntegrationError?.('(server)', error);
      if (!res.headersSent) send(res, message(500, 'Internal Server Error'));
      else res.destroy();
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: Omit<HttpApiServerOptions, 'port' | 'host'>, routes: RouteTable<RouteDefinition>): Promise<void> {
  const body = await readLimited(req, MAX_PAYLOAD_BYTES);
  if (!body) return send(res, message(413, 'Request Entity Too Large'));

  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = stripStage(req.url ?? '/', options.api.stage);
  if (rawUrl === undefined) return send(res, message(404, 'Not Found'));
  const path = rawUrl.split('?')[0]!;
  const matched = routes.match(method, path);
  if (!matched) return send(res, message(404, 'Not Found'));
  const { route, pathParameters } = matched;

  let jwt: { claims: Record<string, unknown>; scopes: string[] } | undefined;
  if (route.authorizer) {
    const token = bearerToken(identityValue(req, route.authorizer.identitySource));
    if (!token) return send(res, unauthorized());
    const check = await options.verifyToken(token, route.authorizer, route.authorizationScopes);
    if (!check.ok) {
      return send(res, check.reason.includes('scope') ? message(403, 'Forbidden') : unauthorized());
    }
    jwt = { claims: check.claims, scopes: check.scopes };
  }
  if (!route.functionName) return send(res, message(500, 'Internal Server Error'));

  const event = buildHttpApiEvent(
    {
      method,
      rawUrl,
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
    },
    {
      apiId: options.api.apiId,
      stage: options.api.stage,
      routeKey: route.routeKey,
      pathParameters,
      requestId: randomUUID(),
      now: new Date(),
      ...(jwt ? { jwt } : {}),
    },
  );

  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([options.invoke(route.functionName, event), timedOut]);
    if (result === 'timeout') return send(res, message(503, 'Service Unavailable'));
    const response = readHttpApiResult(result);
    if (!response) {
      options.onIntegrationError?.(route.routeKey, new Error('the function returned a malformed payload 2.0 response'));
      return send(res, message(500, 'Internal Server Error'));
    }
    return send(res, response);
  } catch (error) {
    options.onIntegrationError?.(route.routeKey, error);
    return send(res, message(500, 'Internal Server Error'));
  } finally {
    clearTimeout(timer);
  }
}

/** The stage's throttle: `burst` requests at once, refilled at `rate` per second (API Gateway's token bucket). */
class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The header named by `$request.header.X` (other identity sources are not used by this project). */
function identityValue(req: IncomingMessage, identitySource: string): string | undefined {
  const header = /^\$request\.header\.(.+)$/.exec(identitySource)?.[1];
  if (!header) return undefined;
  const value = req.headers[header.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** A named stage serves under `/<stage>`; `$default` serves at the root. */
function stripStage(rawUrl: string, stage: string): string | undefined {
  if (stage === '$default') return rawUrl;
  const prefix = `/${stage}`;
  if (rawUrl === prefix || rawUrl.startsWith(`${prefix}/`) || rawUrl.startsWith(`${prefix}?`)) {
    return rawUrl.slice(prefix.length) || '/';
  }
  return undefined;
}

function message(statusCode: number, text: string): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ message: text })) };
}

function unauthorized(): HttpResponse {
  const response = message(401, 'Unauthorized');
  response.headers['www-authenticate'] = 'Bearer';
  return response;
}

/** Answers like API Gateway when no integration can be reached (e.g. while the local cloud starts). */
export function serviceUnavailable(res: ServerResponse): void {
  send(res, message(503, 'Service Unavailable'));
}

function send(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.statusCode, {
    ...response.headers,
    'content-length': String(response.body.length),
    'apigw-requestid': randomUUID(),
  });
  res.end(response.body);
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Starts listening; `port` 0 picks a free one. */
export async function listen(server: Server, port: number, host: string): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
