// The local issuer as an OIDC provider on its own: discovery and JWKS, the authorize page and its refusals
// (unknown client, foreign redirect URI, no PKCE, bad user names, a form posted from another origin), and the
// token endpoint's checks (PKCE verifier, one use per code, expiry, the same client and redirect URI). The
// tokens it issues verify against the published key, the access token as the API's authorizer checks it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateJwtKeys, verifyJwt, type JwtIssuerConfig, type LocalJwtKeys } from '../../../../local/cloud/jwt.js';
import { createLocalOidcProvider, LOCAL_CONSOLE_CLIENT_ID } from '../../../../local/cloud/oidc.js';

const CONFIG: JwtIssuerConfig = { issuer: 'https://bc-agent.local/', audience: ['bc-agent'] };

describe('local OIDC provider', () => {
  let stateDir: string;
  let keys: LocalJwtKeys;
  let server: Server;
  let origin: string;
  let clock = Date.now();

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'bc-agent-oidc-'));
    keys = await loadOrCreateJwtKeys(stateDir);
    const handler = createLocalOidcProvider({ keys, jwtConfig: () => CONFIG, now: () => clock });
    server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) {
          res.writeHead(418);
          res.end('not oidc');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await rm(stateDir, { recursive: true, force: true });
  });

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const authorizeParams = (challenge: string, overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      client_id: LOCAL_CONSOLE_CLIENT_ID,
      redirect_uri: `${origin}/`,
      response_type: 'code',
      scope: 'openid',
      state: 'st-1',
      nonce: 'n-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });
  /** Posts the pick-a-user form as the browser would, and returns the code the redirect carries. */
  const signIn = async (challenge: string, user: Record<string, string> = { sub: 'alice', tenant: 'local' }, headers: Record<string, string> = {}) => {
    const form = authorizeParams(challenge);
    for (const [key, value] of Object.entries(user)) form.set(key, value);
    return fetch(`${origin}/_local/oidc/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...headers }, body: form });
  };
  const codeOf = async (response: Response) => {
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(`${origin}/`);
    expect(location.searchParams.get('state')).toBe('st-1');
    return location.searchParams.get('code')!;
  };
  const exchange = (fields: Record<string, string>, contentType = 'application/x-www-form-urlencoded') =>
    fetch(`${origin}/_local/oidc/token`, { method: 'POST', headers: { 'content-type': contentType }, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: LOCAL_CONSOLE_CLIENT_ID, redirect_uri: `${origin}/`, ...fields }) });

  it('publishes a discovery document naming the API issuer, code + S256 only, and the key that signs', async () => {
    const discovery = (await (await fetch(`${origin}/_local/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: CONFIG.issuer,
      authorization_endpoint: `${origin}/_local/oidc/authorize`,
      token_endpoint: `${origin}/_local/oidc/token`,
      jwks_uri: `${origin}/_local/oidc/jwks.json`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
    const jwks = (await (await fetch(discovery.jwks_uri as string)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([keys.kid]);
    expect((await fetch(`${origin}/elsewhere`)).status).toBe(418);
  });

  it('shows a scriptless pick-a-user page carrying the request, with user input escaped', async () => {
    const { challenge } = pkce();
    const response = await fetch(`${origin}/_local/oidc/authorize?${authorizeParams(challenge, { state: '"><script>alert(1)</script>' })}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('name="sub"');
    expect(html).toContain(`value="${challenge}"`);
    expect(html).not.toContain('<script>');
  });

  it.each([
    ['an unknown client', { client_id: 'someone-else' }, /unauthorized_client/],
    ['a redirect to another origin', { redirect_uri: 'https://attacker.example/cb' }, /redirect_uri must be a page of/],
    ['no PKCE', { code_challenge_method: 'plain' }, /PKCE is required/],
    ['a malformed challenge', { code_challenge: 'short' }, /code_challenge must be/],
    ['the implicit flow', { response_type: 'token' }, /unsupported_response_type/],
    ['a scope without openid', { scope: 'profile' }, /invalid_scope/],
  ])('refuses %s on its own page, redirecting nowhere', async (_name, overrides, message) => {
    const response = await fetch(`${origin}/_local/oidc/authorize?${authorizeParams(pkce().challenge, overrides)}`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toMatch(message);
  });

  it('issues a code for a picked user, and the verifier turns it into an access token the API accepts and an ID token for the console', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeOf(await signIn(challenge, { sub: 'olga', tenant: 'local', approver: 'on' }));
    const response = await exchange({ code, code_verifier: verifier });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = (await response.json()) as { access_token: string; id_token: string; token_type: string; expires_in: number };
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const access = await verifyJwt(tokens.access_token, keys.publicKey, CONFIG);
    expect(access.ok && access.claims).toMatchObject({ sub: 'olga', tenant: 'local', roles: ['approver'], iss: CONFIG.issuer, aud: 'bc-agent' });
    const jwks = createLocalJWKSet((await (await fetch(`${origin}/_local/oidc/jwks.json`)).json()) as { keys: [] });
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: CONFIG.issuer, audience: LOCAL_CONSOLE_CLIENT_ID });
    expect(payload).toMatchObject({ sub: 'olga', nonce: 'n-1' });

    // A code is good once: the replay is refused.
    const replay = await exchange({ code, code_verifier: verifier });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong verifier (and the code is spent), another redirect URI or client, an expired code, and a JSON body', async () => {
    const first = pkce();
    const code = await codeOf(await signIn(first.challenge));
    const wrong = await exchange({ code, code_verifier: pkce().verifier });
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('PKCE') });
    expect(await (await exchange({ code, code_verifier: first.verifier })).json()).toMatchObject({ error: 'invalid_grant' });

    const second = pkce();
    expect(await (await exchange({ code: await codeOf(await signIn(second.challenge)), code_verifier: second.verifier, redirect_uri: `${origin}/other` })).json()).toMatchObject({ error_description: expect.stringContaining('redirect_uri') });
    expect(await (await exchange({ code: await codeOf(await signIn(second.challenge)), code_verifier: second.verifier, client_id: 'x' })).json()).toMatchObject({ error_description: expect.stringContaining('another client') });
    expect(await (await exchange({ code: await codeOf(await signIn(second.challenge)), code_verifier: 'too-short' })).json()).toMatchObject({ error_description: expect.stringContaining('malformed') });

    const late = await codeOf(await signIn(second.challenge));
    clock += 61_000;
    expect(await (await exchange({ code: late, code_verifier: second.verifier })).json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('expired') });

    const json = await exchange({ code: 'x', code_verifier: second.verifier }, 'application/json');
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
    expect(await (await exchange({ grant_type: 'password' })).json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('re-shows the page for a bad user name, and refuses a sign-in form posted from another origin', async () => {
    const bad = await signIn(pkce().challenge, { sub: 'not a user!', tenant: 'local' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('user: letters, digits');
    const foreign = await signIn(pkce().challenge, { sub: 'alice', tenant: 'local' }, { origin: 'https://attacker.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('location')).toBeNull();
  });
});
