// The web console on the local cloud: the built single-page app (web/, built by web/build.ts) served on the
// HTTP API's port beside /v1, as CloudFront serves it beside the API when deployed (lib/constructs/
// web-console.ts), plus two things only a local cloud has: `/config.json` naming the API, the WebSocket URL
// and the issuer, and `POST /_local/token`, which signs a dev token the way `npm run token` does; and, to
// sign in through OIDC as on a stage, the local issuer's OIDC provider under /_local/oidc/ (oidc.ts).
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { LocalTokenRequest } from './jwt.js';
import type { LocalOidcHandler } from './oidc.js';

/** What `/config.json` tells the console; the deployed console reads the same shape (README, "Web console"). */
export interface ConsoleConfig {
  /** The API's base URL; empty means the console's own origin (CloudFront routes /v1/* to the API). */
  apiUrl: string;
  /** The WebSocket API, when there is one; the console then refetches a plan on each pushed event. */
  wsUrl?: string;
  /** The OIDC issuer and audience the API's authorizer trusts. */
  issuer: string;
  audience: readonly string[];
  /** Whether `POST /_local/token` signs dev tokens (local cloud only). */
  devTokens: boolean;
  /** Sign-in through the issuer (authorization code + PKCE): the console's client id, scope, and discovery URL when not under the issuer. */
  oidc?: { clientId: string; scope?: string; metadataUrl?: string };
}

export interface WebConsoleOptions {
  /** The built console (index.html and its bundle). */
  dir: string;
  config(): ConsoleConfig;
  /** Signs a dev token; without it `/_local/token` is not served. */
  signToken?(request: LocalTokenRequest): Promise<string>;
  /** The local OIDC provider (oidc.ts), answering under /_local/oidc/. */
  oidc?: LocalOidcHandler;
}

/** Answers a request when it is the console's; false leaves it to the HTTP API. */
export type WebConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};
/** Dev tokens live as long as `npm run token`'s default. */
const DEV_TOKEN_TTL_SECONDS = 3600;
const MAX_TOKEN_BODY_BYTES = 4096;
// The patterns the API itself applies to a caller's subject and tenant (functions/core/http).
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const tokenRequestSchema = z
  .object({
    sub: z.string().regex(NAME, 'sub: letters, digits and . _ : @ - (up to 128)'),
    tenant: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'tenant: letters, digits and . _ : - (up to 128)'),
    roles: z.array(z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'roles: names of letters, digits and . _ : -')).max(10).default([]),
  })
  .strict();

export function createWebConsoleHandler(options: WebConsoleOptions): WebConsoleHandler {
  const root = resolve(options.dir);
  return async (req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = decodePath((req.url ?? '/').split('?')[0]!);
    if (path === undefined || path.startsWith('/v1/') || path === '/v1') return false;
    if (options.oidc && (await options.oidc(req, res))) return true;
    if (path === '/_local/token' && options.signToken) {
      if (method !== 'POST') return sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: 'POST a JSON body { sub, tenant, roles? }' } }, { allow: 'POST' });
      return issueToken(req, res, options.signToken);
    }
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (path === '/config.json') return sendJson(res, 200, options.config(), { 'cache-control': 'no-store' });
    const file = await staticFile(root, path === '/' ? '/index.html' : path);
    if (!file) return false;
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // Everything is bundled: scripts and styles come from this origin only; the API and WebSocket may be elsewhere.
      ...(file.endsWith('.html') ? { 'content-security-policy': "default-src 'self'; connect-src 'self' http: https: ws: wss:; img-src 'self' data:; frame-ancestors 'none'" } : {}),
    });
    res.end(method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** A file inside `root` for a URL path, or undefined (missing, a directory, or a path that leaves root). */
async function staticFile(root: string, path: string): Promise<string | undefined> {
  const file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return undefined;
  try {
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function decodePath(path: string): string | undefined {
  try {
    const decoded = decodeURIComponent(path);
    return decoded.includes('\0') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

async function issueToken(req: IncomingMessage, res: ServerResponse, sign: (request: LocalTokenRequest) => Promise<string>): Promise<true> {
  // A JSON content type makes a cross-site page's request preflighted, and no CORS answer lets it through, so
  // only the console (same origin) and local tools can mint tokens.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    req.resume();
    return sendJson(res, 415, { error: { code: 'UnsupportedMediaType', message: 'send the token request as application/json' } });
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) {
    req.resume();
    return sendJson(res, 403, { error: { code: 'Forbidden', message: `dev tokens are for the console on this origin, not ${origin}` } });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TOKEN_BODY_BYTES) return sendJson(res, 413, { error: { code: 'PayloadTooLarge', message: `the token request exceeds ${MAX_TOKEN_BODY_BYTES} bytes` } });
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return sendJson(res, 400, { error: { code: 'InvalidRequest', message: 'the body is not JSON' } });
  }
  const parsed = tokenRequestSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message);
    return sendJson(res, 400, { error: { code: 'InvalidRequest', message: problems.join('; '), problems } });
  }
  const { sub, tenant, roles } = parsed.data;
  const token = await sign({ sub, tenant, ...(roles.length ? { roles } : {}), ttlSeconds: DEV_TOKEN_TTL_SECONDS });
  return sendJson(res, 200, { token, sub, tenant, roles, expiresAt: new Date(Date.now() + DEV_TOKEN_TTL_SECONDS * 1000).toISOString() }, { 'cache-control': 'no-store' });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
  return true;
}
