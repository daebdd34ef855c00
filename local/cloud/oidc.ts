// The local issuer as an OpenID Connect provider, so the console signs in locally the way it does against a
// stage's identity provider (authorization code + PKCE, web/src/oidc.ts): a discovery document, the JWKS, an
// authorize endpoint whose page picks a local user (there are no passwords: anyone at this machine is any
// user, as with `npm run token`), and a token endpoint that checks the PKCE verifier. Local only: served by
// the local cloud beside the console, never deployed.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { signLocalToken, type JwtIssuerConfig, type LocalJwtKeys } from './jwt.js';
import { localJwks } from './websocket-api/jwks.js';

/** The console's client id on the local issuer (config.json's `oidc.clientId`). */
export const LOCAL_CONSOLE_CLIENT_ID = 'bc-agent-console';
export const OIDC_PATH = '/_local/oidc';
export const DISCOVERY_PATH = `${OIDC_PATH}/.well-known/openid-configuration`;

const CODE_TTL_MS = 60_000;
const TOKEN_TTL_SECONDS = 3600;
const MAX_PENDING_CODES = 1000;
const MAX_BODY_BYTES = 8192;
// RFC 7636 §4.1 and §4.2: a verifier of 43–128 unreserved characters; an S256 challenge is 43 base64url ones.
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

// The names the API and the dev-token endpoint accept (functions/core/http, local/cloud/web-console.ts).
const userSchema = z.object({
  sub: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'user: letters, digits and . _ : @ - (up to 128)'),
  tenant: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'tenant: letters, digits and . _ : - (up to 128)'),
  approver: z.literal('on').optional(),
});

export interface LocalOidcOptions {
  keys: LocalJwtKeys;
  /** The API's authorizer (issuer, audience, claims): access tokens are the ones it accepts. */
  jwtConfig(): JwtIssuerConfig;
  clientId?: string;
  now?(): number;
}

/** Answers a request under /_local/oidc/; false for any other path. */
export type LocalOidcHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scope: string;
  codeChallenge: string;
}

interface PendingCode extends AuthorizeRequest {
  sub: string;
  tenant: string;
  roles: string[];
  expiresAt: number;
}

class OAuthError extends Error {
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

export function createLocalOidcProvider(options: LocalOidcOptions): LocalOidcHandler {
  const clientId = options.clientId ?? LOCAL_CONSOLE_CLIENT_ID;
  const now = options.now ?? Date.now;
  const codes = new Map<string, PendingCode>();

  /** The request's own origin: redirects must come back to it (the console is served on the same port). */
  const originOf = (req: IncomingMessage) => `http://${req.headers.host ?? '127.0.0.1'}`;

  /** Checks an authorization request; errors before the redirect URI is trusted are shown, never redirected. */
  const authorizeRequest = (params: URLSearchParams, origin: string): AuthorizeRequest => {
    if (params.get('client_id') !== clientId) throw new OAuthError('unauthorized_client', `unknown client_id "${params.get('client_id') ?? ''}" (the console's is ${clientId})`);
    const redirectUri = params.get('redirect_uri') ?? '';
    let redirect: URL;
    try {
      redirect = new URL(redirectUri);
    } catch {
      throw new OAuthError('invalid_request', 'redirect_uri is not a URL');
    }
    // The console is the only client, served on this origin: any other redirect would hand a code to a stranger.
    if (redirect.origin !== origin || redirect.hash) throw new OAuthError('invalid_request', `redirect_uri must be a page of ${origin} (the console), without a fragment`);
    if (params.get('response_type') !== 'code') throw new OAuthError('unsupported_response_type', 'only response_type=code (authorization code flow)');
    if (params.get('code_challenge_method') !== 'S256') throw new OAuthError('invalid_request', 'PKCE is required: code_challenge_method=S256');
    const codeChallenge = params.get('code_challenge') ?? '';
    if (!CHALLENGE.test(codeChallenge)) throw new OAuthError('invalid_request', 'code_challenge must be the base64url SHA-256 of the verifier (43 characters)');
    const scope = params.get('scope') ?? 'openid';
    if (!scope.split(' ').includes('openid')) throw new OAuthError('invalid_scope', 'the scope must include openid');
    const state = params.get('state') ?? undefined;
    const nonce = params.get('nonce') ?? undefined;
    if ((state?.length ?? 0) > 512 || (nonce?.length ?? 0) > 512) throw new OAuthError('invalid_request', 'state and nonce are at most 512 characters');
    return { clientId, redirectUri, scope, codeChallenge, ...(state ? { state } : {}), ...(nonce ? { nonce } : {}) };
  };

  const issueCode = (request: AuthorizeRequest, user: { sub: string; tenant: string; roles: string[] }): string => {
    const at = now();
    for (const [code, pending] of codes) if (pending.expiresAt <= at) codes.delete(code);
    // A flood of abandoned sign-ins cannot grow the map without end: the oldest pending code goes first.
    while (codes.size >= MAX_PENDING_CODES) codes.delete(codes.keys().next().value!);
    const code = randomBytes(32).toString('base64url');
    codes.set(code, { ...request, ...user, expiresAt: at + CODE_TTL_MS });
    return code;
  };

  const exchange = async (form: URLSearchParams): Promise<Record<string, unknown>> => {
    if (form.get('grant_type') !== 'authorization_code') throw new OAuthError('unsupported_grant_type', 'only grant_type=authorization_code');
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    // A code is good once, whatever happens next: a replayed or leaked code is refused.
    codes.delete(code);
    if (!pending || pending.expiresAt <= now()) throw new OAuthError('invalid_grant', 'the authorization code is unknown, used or expired');
    if (form.get('client_id') !== pending.clientId) throw new OAuthError('invalid_grant', 'the code was issued to another client');
    if (form.get('redirect_uri') !== pending.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    if (!VERIFIER.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier is missing or malformed (43-128 unreserved characters)');
    if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (PKCE)');

    const config = options.jwtConfig();
    const accessToken = await signLocalToken(options.keys, config, {
      sub: pending.sub,
      tenant: pending.tenant,
      ...(pending.roles.length ? { roles: pending.roles } : {}),
      ttlSeconds: TOKEN_TTL_SECONDS,
      scope: pending.scope,
    });
    const issuedAt = Math.floor(now() / 1000);
    const idToken = await new SignJWT({ tenant: pending.tenant, name: pending.sub, ...(pending.nonce ? { nonce: pending.nonce } : {}) })
      .setProtectedHeader({ alg: 'RS256', kid: options.keys.kid, typ: 'JWT' })
      .setSubject(pending.sub)
      .setIssuer(config.issuer)
      .setAudience(pending.clientId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + TOKEN_TTL_SECONDS)
      .sign(options.keys.privateKey);
    return { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS, scope: pending.scope };
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== OIDC_PATH && !url.pathname.startsWith(`${OIDC_PATH}/`)) return false;
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = originOf(req);
    const path = url.pathname.slice(OIDC_PATH.length);

    if (path === '/.well-known/openid-configuration' && method === 'GET') {
      const base = `${origin}${OIDC_PATH}`;
      return sendJson(res, 200, {
        issuer: options.jwtConfig().issuer,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks.json`,
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        grant_types_supported: ['authorization_code'],
        code_challenge_methods_supported: ['S256'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['none'],
        scopes_supported: ['openid', 'profile'],
        claims_supported: ['sub', 'tenant', 'roles', 'name'],
      });
    }
    if (path === '/jwks.json' && method === 'GET') return sendJson(res, 200, await localJwks(options.keys));

    if (path === '/authorize' && (method === 'GET' || method === 'POST')) {
      const params = method === 'GET' ? url.searchParams : await readForm(req);
      if (!params) return sendPage(res, 413, errorPage('the sign-in form is too large'));
      let request: AuthorizeRequest;
      try {
        request = authorizeRequest(params, origin);
      } catch (error) {
        // Without a trusted redirect URI the error stays on this page (RFC 6749 §4.1.2.1).
        return sendPage(res, 400, errorPage(error instanceof OAuthError ? `${error.error}: ${error.message}` : String(error)));
      }
      if (method === 'GET') return sendPage(res, 200, pickUserPage(params, request));
      // A cross-site page cannot post a sign-in here: browsers send Origin with a form POST.
      if (req.headers.origin !== undefined && req.headers.origin !== origin) return sendPage(res, 403, errorPage(`sign-in forms are posted from ${origin} only`));
      const user = userSchema.safeParse({ sub: params.get('sub') ?? '', tenant: params.get('tenant') ?? '', ...(params.get('approver') ? { approver: params.get('approver') } : {}) });
      if (!user.success) return sendPage(res, 400, pickUserPage(params, request, user.error.issues.map((issue) => issue.message).join('; ')));
      const code = issueCode(request, { sub: user.data.sub, tenant: user.data.tenant, roles: user.data.approver ? ['approver'] : [] });
      const back = new URL(request.redirectUri);
      back.searchParams.set('code', code);
      if (request.state) back.searchParams.set('state', request.state);
      res.writeHead(303, { location: back.href, 'cache-control': 'no-store' });
      res.end();
      return true;
    }

    if (path === '/token' && method === 'POST') {
      if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
        req.resume();
        return sendJson(res, 400, { error: 'invalid_request', error_description: 'send the token request as application/x-www-form-urlencoded' });
      }
      const form = await readForm(req);
      if (!form) return sendJson(res, 400, { error: 'invalid_request', error_description: `the token request exceeds ${MAX_BODY_BYTES} bytes` });
      try {
        return sendJson(res, 200, await exchange(form), { 'cache-control': 'no-store', pragma: 'no-cache' });
      } catch (error) {
        if (error instanceof OAuthError) return sendJson(res, 400, { error: error.error, error_description: error.message }, { 'cache-control': 'no-store' });
        throw error;
      }
    }
    return sendJson(res, 404, { error: 'not_found', error_description: `no ${method} ${url.pathname} on the local OIDC provider` });
  };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The authorization request travels through the form as hidden fields and is checked again on POST. */
const FORWARDED = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method'];

function pickUserPage(params: URLSearchParams, request: AuthorizeRequest, problem?: string): string {
  const hidden = FORWARDED.filter((name) => params.get(name) !== null)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name)!)}">`)
    .join('');
  const sub = escapeHtml(params.get('sub') ?? 'alice');
  const tenant = escapeHtml(params.get('tenant') ?? 'local');
  return page(
    'Sign in to the local issuer',
    `<h1>Local identity provider</h1>
<p>Sign in to <b>${escapeHtml(request.clientId)}</b> as a local user. There are no passwords: this page exists only on the local cloud.</p>
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="authorize" aria-label="Pick a local user">${hidden}
<label>User <input name="sub" value="${sub}" required></label>
<label>Tenant <input name="tenant" value="${tenant}" required></label>
<label class="check"><input type="checkbox" name="approver"${params.get('approver') ? ' checked' : ''}> approver</label>
<button type="submit">Continue</button>
</form>`,
  );
}

const errorPage = (message: string): string => page('Sign-in failed', `<h1>Sign-in failed</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;color:#1d2330}form{display:grid;gap:.7rem}label{display:grid;gap:.2rem}
label.check{display:flex;gap:.4rem;align-items:center}input,button{font:inherit;padding:.4rem}.error{color:#c0392b}
</style></head><body>${body}</body></html>`;
}

function sendPage(res: ServerResponse, status: number, html: string): true {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    // No script at all on this page; its form goes to this origin only; nobody may frame it (clickjacking).
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(html);
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
  return true;
}
