// Recognising the issuer's redirect back to the console, and reading an issuer's access token for display.
import { describe, expect, it } from 'vitest';
import { isSignInCallback, signedInFromToken } from '../../../../web/src/session.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('isSignInCallback', () => {
  it('is a code or an error with the state, nothing else', () => {
    expect(isSignInCallback('?code=abc&state=s1')).toBe(true);
    expect(isSignInCallback('?error=access_denied&state=s1')).toBe(true);
    expect(isSignInCallback('?code=abc')).toBe(false);
    expect(isSignInCallback('?state=s1')).toBe(false);
    expect(isSignInCallback('')).toBe(false);
  });
});

describe('signedInFromToken', () => {
  it("reads the local issuer's claims and Entra's (oid, tid, roles)", () => {
    const exp = 2_000_000_000;
    expect(signedInFromToken(`h.${b64({ sub: 'olga', tenant: 'local', roles: ['approver'], exp })}.s`)).toEqual({
      token: `h.${b64({ sub: 'olga', tenant: 'local', roles: ['approver'], exp })}.s`,
      sub: 'olga',
      tenant: 'local',
      roles: ['approver'],
      expiresAt: new Date(exp * 1000).toISOString(),
    });
    expect(signedInFromToken(`h.${b64({ sub: 'pairwise', oid: 'o-1', tid: 't-1' })}.s`)).toMatchObject({ sub: 'o-1', tenant: 't-1', roles: [] });
  });

  it('refuses what is not a JWT or names no subject', () => {
    expect(() => signedInFromToken('not-a-jwt')).toThrow(/not a JWT/);
    expect(() => signedInFromToken(`h.${b64({ tenant: 'x' })}.s`)).toThrow(/no subject/);
    expect(() => signedInFromToken('h.%%%.s')).toThrow(/not readable JSON/);
  });
});
