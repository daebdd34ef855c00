import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { bearerToken, loadOrCreateJwtKeys, signLocalToken, verifyJwt } from '../../../../local/cloud/jwt.js';
import { verifySigV4 } from '../../../../local/cloud/lambda/function-url-auth.js';
import { parseTokenArgs } from '../../../../local/cloud/token.js';
import { NodeSha256 } from '../../../support/local-cloud.js';

const stateDir = mkdtempSync(join(tmpdir(), 'local-auth-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
const config = { issuer: 'https://bc-agent.local/', audience: ['bc-agent'] };

describe('local JWT keys and checks', () => {
  it('generates the key pair once and reuses it, also under concurrent first use', async () => {
    const [a, b] = await Promise.all([loadOrCreateJwtKeys(stateDir), loadOrCreateJwtKeys(stateDir)]);
    expect(a.kid).toBe(b.kid);
    const again = await loadOrCreateJwtKeys(stateDir);
    expect(again.kid).toBe(a.kid);
    expect(readFileSync(join(stateDir, 'jwt', 'public.pem'), 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  it('signs sub, tenant, roles with the authorizer’s issuer and audience, and verifies them', async () => {
    const keys = await loadOrCreateJwtKeys(stateDir);
    const token = await signLocalToken(keys, config, { sub: 'alice', tenant: 'local', roles: ['approver'], ttlSeconds: 60 });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: keys.kid });
    const check = await verifyJwt(token, keys.publicKey, config);
    expect(check).toMatchObject({ ok: true, claims: { sub: 'alice', tenant: 'local', roles: ['approver'], iss: config.issuer, aud: 'bc-agent' } });
  });

  it('refuses expired, not-yet-valid, wrong-algorithm and client_id-less foreign-audience tokens', async () => {
    const keys = await loadOrCreateJwtKeys(stateDir);
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ tenant: 't', ...claims }).setProtectedHeader({ alg: 'RS256' }).setIssuer(config.issuer).setSubject('s').sign(keys.privateKey);
    expect(await verifyJwt(await sign({ aud: 'bc-agent', exp: now - 10 }), keys.publicKey, config)).toMatchObject({ ok: false });
    expect(await verifyJwt(await sign({ aud: 'bc-agent', exp: now + 60, nbf: now + 30 }), keys.publicKey, config)).toMatchObject({ ok: false });
    expect(await verifyJwt(await sign({ aud: 'bc-agent' }), keys.publicKey, config)).toMatchObject({ ok: false });
    expect(await verifyJwt(await sign({ aud: 'other', exp: now + 60 }), keys.publicKey, config)).toMatchObject({ ok: false });
    // API Gateway also accepts the audience in client_id.
    expect(await verifyJwt(await sign({ client_id: 'bc-agent', exp: now + 60 }), keys.publicKey, config)).toMatchObject({ ok: true });
    const hs = await new SignJWT({ aud: 'bc-agent' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(config.issuer).setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await verifyJwt(hs, keys.publicKey, config)).toMatchObject({ ok: false });
  });

  it('reads bearer tokens and the token command’s arguments', async () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('abc')).toBe('abc');
    expect(bearerToken('Basic a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(parseTokenArgs(['--sub', 'alice', '--tenant', 'local', '--role', 'approver', '--ttl', '60'])).toEqual({ sub: 'alice', tenant: 'local', roles: ['approver'], ttlSeconds: 60 });
    expect(() => parseTokenArgs(['--sub', 'alice'])).toThrow(/--tenant are required/);
    expect(() => parseTokenArgs(['--sub', 'a', '--tenant', 't', '--ttl', '-5'])).toThrow(/--ttl/);
    await expect(signLocalToken(await loadOrCreateJwtKeys(stateDir), config, { sub: ' ', tenant: 't' })).rejects.toThrow(/subject/);
  });
});


describe('SigV4 verification of function URL requests (re-signed with @smithy/signature-v4)', () => {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local-secret-key' };
  const sign = async (secretAccessKey: string, path = '/mcp', query: Record<string, string> = {}) => {
    const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey }, sha256: NodeSha256 });
    const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const signed = await signer.sign({
      method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4590, path, query,
      headers: { host: '127.0.0.1:4590', 'content-type': 'application/json' }, body,
    });
    const search = new URLSearchParams(query).toString();
    return {
      headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v])),
      method: 'POST',
      url: search ? `${path}?${search}` : path,
      body: Buffer.from(body),
    };
  };

  it('accepts a request the AWS SDK signer signed with the local credentials', async () => {
    expect(await verifySigV4(await sign(credentials.secretAccessKey), credentials)).toEqual({ ok: true });
    expect(await verifySigV4(await sign(credentials.secretAccessKey, '/mcp/a b', { z: '1', a: 'x y' }), credentials)).toEqual({ ok: true });
  });

  it('refuses another secret, a changed body, a stale date and a missing header', async () => {
    expect(await verifySigV4(await sign('wrong'), credentials)).toMatchObject({ ok: false, reason: 'signature mismatch' });
    const tampered = await sign(credentials.secretAccessKey);
    tampered.body = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call"}');
    expect((await verifySigV4(tampered, credentials)).ok).toBe(false);
    const later = new Date(Date.now() + 20 * 60 * 1000);
    expect(await verifySigV4(await sign(credentials.secretAccessKey), credentials, later)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect((await verifySigV4({ headers: {}, method: 'POST', url: '/mcp', body: Buffer.alloc(0) }, credentials)).ok).toBe(false);
  });
});
