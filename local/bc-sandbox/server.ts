// The HTTP front of the sandbox: the token endpoint, the admin contract of ARCHITECTURE §10, and BC API
// requests (auth → rate limit → faults → handler), with BC's correlation headers and error bodies.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { BcApi, type ApiRequest, type ApiResponse } from './api.js';
import { BcError, bcErrors, errorBody } from './errors.js';
import { executeBatch, isMultipartBatch } from './batch.js';
import { FaultInjector, validateFaultRule } from './faults.js';
import { parseApiPath } from './routes.js';
import { StatsCollector } from './stats.js';
import type { RequestLog } from './request-log.js';
import type { TokenIssuer } from './auth.js';
import type { SlidingWindowLimiter } from './rate-limit.js';
import type { ConcurrencyGate } from './concurrency.js';
import type { Store } from './store.js';
import type { Directory } from './directory.js';
import { ChangeLog } from './change-log.js';

const MAX_BODY_BYTES = 1024 * 1024;
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export interface ServerParts {
  store: Store;
  api: BcApi;
  tokens: TokenIssuer;
  limiter: SlidingWindowLimiter;
  /** BC's per-environment limit on requests processed at once (and queued). */
  concurrency: ConcurrencyGate;
  faults: FaultInjector;
  stats: StatsCollector;
  requests: RequestLog;
  directory: Directory;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge('Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendApi(res: ServerResponse, response: ApiResponse): void {
  if (response.text !== undefined) {
    res.writeHead(response.status, { 'Content-Length': Buffer.byteLength(response.text), ...response.headers });
    res.end(response.text);
  } else if (response.body !== undefined) {
    sendJson(res, response.status, response.body, response.headers);
  } else {
    res.writeHead(response.status, response.headers);
    res.end();
  }
}

function sendError(res: ServerResponse, error: BcError, correlationId: string): void {
  sendJson(res, error.status, errorBody(error, correlationId), error.headers);
}

/** An admin request whose input was refused: 400 with the reason. */
function badAdminRequest(res: ServerResponse, error: unknown): void {
  sendJson(res, 400, { error: { code: 'BadRequest', message: error instanceof Error ? error.message : String(error) } });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createSandboxServer(parts: ServerParts): { server: Server; hung: Set<ServerResponse> } {
  const hung = new Set<ServerResponse>();

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /_admin/changes': {
        let value;
        try {
          value = ChangeLog.query(parts.store.changes(), url.searchParams);
        } catch (error) {
          badAdminRequest(res, error);
          return;
        }
        sendJson(res, 200, { value });
        return;
      }
      case 'GET /_admin/directory':
        sendJson(res, 200, parts.directory.config());
        return;
      case 'PUT /_admin/directory':
        try {
          parts.directory.replace(JSON.parse((await readBody(req)) || 'null'));
        } catch (error) {
          badAdminRequest(res, error);
          return;
        }
        sendJson(res, 200, parts.directory.config());
        return;
      case 'POST /_admin/faults': {
        let rule;
        try {
          rule = validateFaultRule(JSON.parse((await readBody(req)) || 'null'));
        } catch (error) {
          badAdminRequest(res, error);
          return;
        }
        sendJson(res, 201, parts.faults.add(rule));
        return;
      }
      case 'GET /_admin/faults':
        sendJson(res, 200, { value: parts.faults.list() });
        return;
      case 'DELETE /_admin/faults':
        parts.faults.clear();
        res.writeHead(204).end();
        return;
      case 'POST /_admin/reset':
        parts.store.reset();
        parts.directory.reset();
        parts.faults.clear();
        parts.limiter.clear();
        res.writeHead(204).end();
        return;
      case 'GET /_admin/stats':
        sendJson(res, 200, { ...parts.stats.snapshot(), concurrency: parts.concurrency.snapshot() });
        return;
      case 'DELETE /_admin/stats':
        parts.stats.reset();
        parts.concurrency.resetCounters();
        res.writeHead(204).end();
        return;
      case 'GET /_admin/requests':
        sendJson(res, 200, { value: parts.requests.list() });
        return;
      case 'DELETE /_admin/requests':
        parts.requests.clear();
        res.writeHead(204).end();
        return;
      default: {
        // Graph's revokeSignInSessions: the user's refresh tokens stop working (the user by object id or user name).
        const revoke = req.method === 'POST' ? /^\/_admin\/users\/([^/]+)\/revokeSignInSessions$/.exec(url.pathname) : null;
        if (revoke) {
          const user = decodeURIComponent(revoke[1]!);
          if (parts.tokens.revokeSignInSessions(user)) sendJson(res, 200, { value: true });
          else sendJson(res, 404, { error: { code: 'Request_ResourceNotFound', message: `No user '${user}' in the directory` } });
          return;
        }
        sendJson(res, 404, { error: { code: 'BadRequest_ResourceNotFound', message: `No admin route ${route}` } });
      }
    }
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const result = await parts.tokens.issue(decodeURIComponent(tenant), form, req.headers.authorization);
    sendJson(res, result.status, result.body, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, correlationId: string): Promise<void> {
    const location = parseApiPath(url.pathname, url.origin);
    if (!location) throw bcErrors.resourceNotFound(url.pathname);
    // Every answer of the API, errors and $metadata included, says which OData version it speaks (as BC does).
    res.setHeader('OData-Version', '4.0');
    const method = (req.method ?? 'GET').toUpperCase();
    const entitySet = BcApi.entitySetOf(location);
    parts.stats.record(method, entitySet);
    const callerCorrelationId = req.headers['x-correlation-id'];
    const principal = parts.tokens.verify(req.headers.authorization);
    parts.requests.record({
      method,
      path: url.pathname,
      ...(entitySet ? { entitySet } : {}),
      ...(typeof callerCorrelationId === 'string' && callerCorrelationId ? { correlationId: callerCorrelationId } : {}),
      ...(principal ? { userId: principal.userName } : {}),
    });
    if (!principal) throw bcErrors.unauthorized();
    // BC's limits are per user: an app's calls and each person's on-behalf-of calls are counted apart.
    const quota = parts.limiter.take(principal.userSecurityId);
    if (!quota.allowed) throw bcErrors.tooManyRequests(quota.retryAfterSeconds);
    // The slot is held until the answer is sent or the client goes away (a queued client that leaves frees its place).
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const release = await parts.concurrency.enter(location.environment, gone.signal);
    if (res.destroyed) release();
    else res.once('close', release);
    const fault = parts.faults.decide(entitySet, method);
    if (fault?.hang) {
      // Never answered: the client's timeout is what ends it (stop() destroys it).
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if (fault?.latencyMs) await delay(fault.latencyMs);
    if (fault?.status) throw bcErrors.injected(fault.status, fault.retryAfterSeconds);

    const raw = WRITE_METHODS.has(method) ? await readBody(req) : '';
    const isBatch = location.segments.length === 1 && location.segments[0]!.name === '$batch';
    let body: unknown;
    if (isBatch && isMultipartBatch(req.headers['content-type'])) {
      // A multipart batch is parsed by the batch module; the raw text is its body.
      body = raw;
    } else if (raw.trim()) {
      try {
        body = JSON.parse(raw);
      } catch {
        throw bcErrors.badRequest('Invalid Request Body');
      }
    }
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const request: ApiRequest = { method, location, query: url.searchParams, headers, body, url, principal };
    if (isBatch && method !== 'POST') throw bcErrors.methodNotAllowed(method, '$batch');
    // A $batch to a route no installed extension publishes is refused whole, like any request to it.
    if (isBatch) parts.api.requirePublished(location, url);
    const response = isBatch ? executeBatch(parts.api, parts.store, request, correlationId) : parts.api.handle(request);
    if (WRITE_METHODS.has(method)) parts.store.persist();
    sendApi(res, response);
  }

  const server = createServer((req, res) => {
    const correlationId = randomUUID();
    res.setHeader('request-id', correlationId);
    res.setHeader('ms-correlation-x', correlationId);
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    const isAdmin = url.pathname.startsWith('/_admin/');
    const isToken = token !== null && req.method === 'POST';
    const work = isAdmin ? handleAdmin(req, res, url) : isToken ? handleToken(req, res, token[1]!) : handleApi(req, res, url, correlationId);
    work
      .catch((error: unknown) => {
        const bcError =
          error instanceof BcError
            ? error
            : error instanceof BodyTooLarge
              ? new BcError(413, 'BadRequest', 'The request body is too large')
              : bcErrors.internal(error instanceof Error ? error.message : String(error));
        if (!res.headersSent) sendError(res, bcError, correlationId);
      })
      .finally(() => {
        // Statistics describe BC API traffic only (not tokens or admin calls).
        if (!isAdmin && !isToken && !hung.has(res)) parts.stats.recordStatus(res.statusCode);
      });
  });
  return { server, hung };
}
