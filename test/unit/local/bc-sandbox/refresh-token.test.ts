// The sandbox token endpoint's refresh-token grant, as Entra ID v2 serves it to a confidential client: an
// on-behalf-of request with offline_access yields a refresh token; redeeming it gives a new access token for the
// same user (and a new refresh token; the old one stays valid until its own expiry). Unknown, foreign-client,
// expired and revoked refresh tokens, and users disabled since, get invalid_grant with Entra's AADSTS codes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateJwtKeys, signLocalToken, type LocalJwtKeys } from '../../../../local/cloud/jwt.js';
import { OnBehalfOfTokenError, redeemRefreshToken, refreshTokenForm, requestOnBehalfOfToken } from '../../../../functions/core/bc/index.js';
import { defaultDirectory, startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';

const ISSUER = 'https://bc-agent.local/';
const AUDIENCE = 'bc-agent';
const dir = mkdtempSync(join(tmpdir(), 'bc-refresh-'));
let keys: LocalJwtKeys;
let sandbox: BcSandbox;
let clock = Date.now();

beforeAll(async () => {
  keys = await loadOrCreateJwtKeys(dir);
  sandbox = await startBcSandbox({ now: () => clock, refreshTokenTtlSeconds: 24 * 3600, userAssertions: { issuer: ISSUER, audience: AUDIENCE, publicKey: keys.publicKey } });
});
beforeEach(() => {
  clock = Date.now();
  sandbox.reset();
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const endpoint = () => ({ tokenUrl: sandbox.tokenUrl, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret });
const assertion = (sub: string) => signLocalToken(keys, { issuer: ISSUER, audience: [AUDIENCE] }, { sub, tenant: 'local' });
const offline = async (sub: string) => requestOnBehalfOfToken({ ...endpoint(), assertion: await assertion(sub), offlineAccess: true });

async function userBehind(token: string): Promise<string | undefined> {
  sandbox.clearRequests();
  await fetch(`${sandbox.apiUrl}/companies`, { headers: { authorization: `Bearer ${token}` } });
  return sandbox.requests().at(-1)?.userId;
}

async function refused(refreshToken: string, overrides: Partial<ReturnType<typeof endpoint>> = {}): Promise<OnBehalfOfTokenError> {
  const error = await redeemRefreshToken({ ...endpoint(), ...overrides, refreshToken }).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OnBehalfOfTokenError);
  return error as OnBehalfOfTokenError;
}

describe('refresh tokens of delegated grants', () => {
  it('come with offline_access only, and renew the same user with a new pair', async () => {
    const plain = await requestOnBehalfOfToken({ ...endpoint(), assertion: await assertion('alice') });
    expect(plain.refreshToken).toBeUndefined();
    const first = await offline('alice');
    expect(first.refreshToken).toMatch(/^bcsbx-rt\./);
    expect(first.scope).toContain('offline_access');

    clock += 2 * 3600_000; // the access token has expired, the refresh token has not
    expect(await userBehind(first.accessToken)).toBeUndefined();
    const renewed = await redeemRefreshToken({ ...endpoint(), refreshToken: first.refreshToken! });
    expect(await userBehind(renewed.accessToken)).toBe('ALICE');
    expect(renewed.refreshToken).toBeDefined();
    expect(renewed.refreshToken).not.toBe(first.refreshToken);
    // The earlier refresh token still works (confidential clients' refresh tokens are not single-use in Entra).
    expect(await userBehind((await redeemRefreshToken({ ...endpoint(), refreshToken: first.refreshToken! })).accessToken)).toBe('ALICE');
  });

  it('are refused with the reason when unknown, for another client, expired, revoked, or the user is disabled', async () => {
    expect((await refused('bcsbx-rt.made-up')).description).toMatch(/^AADSTS9002313/);
    const { refreshToken } = await offline('carol');
    expect((await refused(refreshToken!, { clientSecret: 'wrong' })).error).toBe('invalid_client');
    expect((await refused(refreshToken!, { clientId: 'another-app' })).error).toBe('unauthorized_client');
    const missing = await fetch(sandbox.tokenUrl, { method: 'POST', body: new URLSearchParams({ ...Object.fromEntries(refreshTokenForm({ ...endpoint(), refreshToken: 'x' })), refresh_token: '' }) });
    expect(((await missing.json()) as { error_description: string }).error_description).toMatch(/AADSTS900144: .*'refresh_token'/);

    const revokedLater = (await offline('carol')).refreshToken!;
    expect(sandbox.revokeSignInSessions('CAROL')).toBe(true);
    const revoked = await refused(revokedLater);
    expect(revoked).toMatchObject({ error: 'invalid_grant', needsSignIn: true });
    expect(revoked.description).toMatch(/^AADSTS50173: .*revoked/);
    // A sign-in after the revocation works again.
    expect(await userBehind((await redeemRefreshToken({ ...endpoint(), refreshToken: (await offline('carol')).refreshToken! })).accessToken)).toBe('CAROL');
    expect(sandbox.revokeSignInSessions('nobody')).toBe(false);

    const aging = (await offline('alice')).refreshToken!;
    clock += 25 * 3600_000;
    expect((await refused(aging)).description).toMatch(/^AADSTS700082: The refresh token has expired/);
    clock -= 25 * 3600_000;

    const bob = (await offline('bob')).refreshToken!;
    sandbox.setDirectory({ ...defaultDirectory, users: defaultDirectory.users.map((u) => (u.userName === 'BOB' ? { ...u, state: 'Disabled' as const } : u)) });
    expect((await refused(bob)).description).toMatch(/^AADSTS50057/);
  });

  it('answers the revocation admin route like Graph: the user by name or object id, 404 for nobody', async () => {
    expect((await fetch(`${sandbox.url}/_admin/users/alice/revokeSignInSessions`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${sandbox.url}/_admin/users/nobody/revokeSignInSessions`, { method: 'POST' })).status).toBe(404);
  });
});
