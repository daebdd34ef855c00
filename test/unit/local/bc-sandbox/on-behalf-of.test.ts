// The sandbox token endpoint's on-behalf-of grant, as Entra ID v2 serves it: a user's access token from the
// project's issuer (the local cloud's RS256 dev issuer) is exchanged for a BC token acting as that user; bad
// signatures, expired or misaddressed assertions and unknown users get Entra's invalid_grant with AADSTS codes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateJwtKeys, signLocalToken, type JwtIssuerConfig, type LocalJwtKeys } from '../../../../local/cloud/jwt.js';
import { OnBehalfOfTokenError, onBehalfOfTokenForm, requestOnBehalfOfToken } from '../../../../functions/core/bc/index.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { SandboxClient } from '../../../support/sandbox-client.js';

const ISSUER = 'https://login.microsoftonline.com/local/v2.0';
const AUDIENCE = 'api://bc-agent';
const api: JwtIssuerConfig = { issuer: ISSUER, audience: [AUDIENCE] };

const dirs = [mkdtempSync(join(tmpdir(), 'bc-obo-a-')), mkdtempSync(join(tmpdir(), 'bc-obo-b-'))];
let keys: LocalJwtKeys;
let strangerKeys: LocalJwtKeys;
let sandbox: BcSandbox;
let clock = Date.now();

beforeAll(async () => {
  [keys, strangerKeys] = await Promise.all(dirs.map((dir) => loadOrCreateJwtKeys(dir)));
  sandbox = await startBcSandbox({ now: () => clock, userAssertions: { issuer: ISSUER, audience: AUDIENCE, publicKey: keys.publicKey } });
});
beforeEach(() => {
  clock = Date.now();
  sandbox.reset();
});
afterAll(async () => {
  await sandbox?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const userToken = (sub: string, options: { entra?: boolean; ttlSeconds?: number; signer?: LocalJwtKeys; config?: JwtIssuerConfig } = {}) =>
  signLocalToken(options.signer ?? keys, options.config ?? api, { sub, tenant: 'local', entra: options.entra ?? true, ...(options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}) });

async function tokenRequest(form: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(sandbox.tokenUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: response.status, body: await response.json() };
}

const oboForm = (assertion: string, overrides: Record<string, string> = {}) => ({
  ...Object.fromEntries(onBehalfOfTokenForm({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, assertion })),
  ...overrides,
});

async function exchangeFails(assertion: string): Promise<OnBehalfOfTokenError> {
  const error = await requestOnBehalfOfToken({ tokenUrl: sandbox.tokenUrl, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, assertion }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OnBehalfOfTokenError);
  return error as OnBehalfOfTokenError;
}

describe('on-behalf-of exchange', () => {
  it('gives an Entra-shaped user token a BC token that acts as the user (mapped by oid)', async () => {
    const assertion = await userToken('carol');
    const { status, body } = await tokenRequest(oboForm(assertion));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'https://api.businesscentral.dynamics.com/Financials.ReadWrite.All', expires_in: 3600 });
    expect(body.access_token).toMatch(/^bcsbx\./);
    // The BC token works on the API.
    const client = new SandboxClient(sandbox, body.access_token);
    expect((await client.list(client.company('customers'))).length).toBeGreaterThan(0);
  });

  it('maps a token without oid by its subject', async () => {
    const token = await sandbox.getUserToken(await userToken('alice', { entra: false }));
    const client = new SandboxClient(sandbox, token);
    expect((await client.get(client.company('customers'))).status).toBe(200);
  });

  it('refuses an assertion signed with another key', async () => {
    const error = await exchangeFails(await userToken('carol', { signer: strangerKeys }));
    expect(error).toMatchObject({ status: 400, error: 'invalid_grant', errorCodes: [50013] });
    expect(error.description).toContain('Assertion failed signature validation');
  });

  it('refuses an expired assertion', async () => {
    const assertion = await userToken('carol', { ttlSeconds: 60 });
    clock = Date.now() + 60_000 + 301_000; // past expiry and Entra's five minutes of clock skew
    const error = await exchangeFails(assertion);
    expect(error).toMatchObject({ status: 400, error: 'invalid_grant', errorCodes: [500133] });
    expect(error.description).toContain('Assertion is not within its valid time range');
  });

  it('refuses an assertion addressed to another API, or from another issuer', async () => {
    const wrongAudience = await exchangeFails(await userToken('carol', { config: { issuer: ISSUER, audience: ['api://someone-else'] } }));
    expect(wrongAudience).toMatchObject({ error: 'invalid_grant', errorCodes: [50013] });
    expect(wrongAudience.description).toContain('Assertion audience claim does not match the required value');
    const wrongIssuer = await exchangeFails(await userToken('carol', { config: { issuer: 'https://evil.example/v2.0', audience: [AUDIENCE] } }));
    expect(wrongIssuer).toMatchObject({ error: 'invalid_grant', errorCodes: [50013] });
    expect(wrongIssuer.description).toContain("'https://evil.example/v2.0' is not trusted");
  });

  it('refuses a user the directory does not have, a disabled user, and a malformed assertion', async () => {
    const unknown = await exchangeFails(await userToken('mallory'));
    expect(unknown).toMatchObject({ status: 400, error: 'invalid_grant', errorCodes: [50034] });
    expect(unknown.description).toContain('The user account mallory does not exist in the local directory');

    const directory = sandbox.directory();
    sandbox.setDirectory({ ...directory, users: directory.users.map((u) => (u.userName === 'ALICE' ? { ...u, state: 'Disabled' } : u)) });
    expect(await exchangeFails(await userToken('alice'))).toMatchObject({ error: 'invalid_grant', errorCodes: [50057] });

    expect(await exchangeFails('not-a-jwt')).toMatchObject({ error: 'invalid_request', errorCodes: [50027] });
  });

  it('refuses forged assertions: unsigned (alg none) or HMAC-signed with the public key as the secret', async () => {
    const claims = { iss: ISSUER, aud: AUDIENCE, oid: 'carol', sub: 'carol', exp: Math.floor(Date.now() / 1000) + 600 };
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
    expect(await exchangeFails(unsigned)).toMatchObject({ status: 400, errorCodes: [50013] });
    const pem = readFileSync(join(dirs[0]!, 'jwt', 'public.pem'));
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: keys.kid }).sign(new Uint8Array(pem));
    expect(await exchangeFails(hmac)).toMatchObject({ status: 400, error: 'invalid_grant', errorCodes: [50013] });
  });

  it('checks the request itself before the assertion: parameters, scope and the client secret', async () => {
    const assertion = await userToken('carol');
    const noUse = await tokenRequest(oboForm(assertion, { requested_token_use: '' }));
    expect(noUse).toMatchObject({ status: 400, body: { error: 'invalid_request', error_codes: [900144] } });
    expect(noUse.body.error_description).toContain("'requested_token_use'");
    const noAssertion = await tokenRequest(oboForm('', {}));
    expect(noAssertion.body.error_description).toContain("'assertion'");
    const badScope = await tokenRequest(oboForm(assertion, { scope: 'https://graph.microsoft.com/.default' }));
    expect(badScope).toMatchObject({ status: 400, body: { error: 'invalid_scope', error_codes: [70011] } });
    const badSecret = await tokenRequest(oboForm(assertion, { client_secret: 'wrong' }));
    expect(badSecret).toMatchObject({ status: 401, body: { error: 'invalid_client', error_codes: [7000215] } });
    // A failed exchange issues nothing the API would take.
    expect(JSON.stringify([noUse, noAssertion, badScope, badSecret])).not.toContain('access_token');
  });

  it('keeps client credentials as they were: the token acts as the app', async () => {
    const client = await SandboxClient.connect(sandbox);
    const created = await client.post(client.company('customers'), { displayName: 'App Made' });
    expect(created.status).toBe(201);
    const [entry] = sandbox.changes().filter((e) => e.recordId === created.body.id);
    expect(entry).toMatchObject({ userId: sandbox.clientId, principal: 'app', typeOfChange: 'Insertion' });
  });
});

describe('trust configuration', () => {
  it('answers invalid_grant while no issuer is trusted, and accepts user tokens once one is', async () => {
    const untrusting = await startBcSandbox();
    try {
      const assertion = await userToken('carol');
      const before = await requestOnBehalfOfToken({ tokenUrl: untrusting.tokenUrl, clientId: untrusting.clientId, clientSecret: untrusting.clientSecret, assertion }).catch((e: unknown) => e);
      expect(before).toMatchObject({ error: 'invalid_grant', errorCodes: [50013] });
      // The PEM text the local cloud keeps in <stateDir>/jwt/public.pem is enough.
      untrusting.trustUserAssertions({ issuer: ISSUER, audience: [AUDIENCE], publicKey: readFileSync(join(dirs[0]!, 'jwt', 'public.pem'), 'utf8') });
      expect(await untrusting.getUserToken(assertion)).toMatch(/^bcsbx\./);
    } finally {
      await untrusting.stop();
    }
  });

  it("fetches the issuer's keys from a JWKS URI, as an Entra tenant publishes them", async () => {
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: keys.kid, alg: 'RS256', use: 'sig' };
    const jwksServer: Server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/discovery/v2.0/keys`;
    const remote = await startBcSandbox({ userAssertions: { issuer: ISSUER, audience: AUDIENCE, jwksUri } });
    try {
      expect(await remote.getUserToken(await userToken('bob'))).toMatch(/^bcsbx\./);
      const stranger = await requestOnBehalfOfToken({ tokenUrl: remote.tokenUrl, clientId: remote.clientId, clientSecret: remote.clientSecret, assertion: await userToken('bob', { signer: strangerKeys }) }).catch((e: unknown) => e);
      expect(stranger).toMatchObject({ error: 'invalid_grant', errorCodes: [50013] });
    } finally {
      await remote.stop();
      await new Promise((resolve) => jwksServer.close(resolve));
    }
  });

  it('refuses a trust without exactly one key source', () => {
    expect(() => sandbox.trustUserAssertions({ issuer: ISSUER, audience: AUDIENCE })).toThrow(/exactly one of publicKey, jwks or jwksUri/);
  });
});
