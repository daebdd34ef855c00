// The user assertion of an on-behalf-of token request, checked as Entra ID checks it: an RS256 JWT from a trusted
// issuer, signed by one of its keys, addressed to the calling API (audience), within its validity window; the
// person is named by a configurable claim (Entra's `oid`, else `sub`). Failures carry Entra's AADSTS codes.
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, importSPKI, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface UserAssertionTrust {
  /** The `iss` the assertion must carry, e.g. `https://login.microsoftonline.com/<tenant>/v2.0`. */
  issuer: string;
  /** Accepted `aud` values: the middle-tier API's client id or application ID URI. */
  audience: string | readonly string[];
  /** The issuer's RS256 signing key: a public key, or its SPKI PEM text. */
  publicKey?: CryptoKey | string;
  /** The issuer's key set as JSON (e.g. what `jwks_uri` serves). */
  jwks?: JSONWebKeySet;
  /** Where the issuer publishes its key set (Entra: `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`). */
  jwksUri?: string;
  /** The claim that identifies the user; default `oid` when the assertion has one, else `sub`. */
  userClaim?: string;
  /** Tolerated clock difference in seconds (default 300, as Entra allows). */
  clockSkewSeconds?: number;
}

export type AssertionCheck =
  | { ok: true; claims: JWTPayload; userId: string }
  | { ok: false; error: 'invalid_grant' | 'invalid_request'; description: string };

/** A verifier for one trust configuration (the key material is imported once). */
export function userAssertionVerifier(trust: UserAssertionTrust): (assertion: string, nowMs: number) => Promise<AssertionCheck> {
  const sources = [trust.publicKey, trust.jwks, trust.jwksUri].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new Error('a user-assertion trust needs exactly one of publicKey, jwks or jwksUri');
  if (!trust.issuer) throw new Error('a user-assertion trust needs an issuer');
  const audience = typeof trust.audience === 'string' ? [trust.audience] : [...trust.audience];
  if (audience.length === 0) throw new Error('a user-assertion trust needs at least one audience');
  let key: Promise<CryptoKey | JWTVerifyGetKey>;
  if (typeof trust.publicKey === 'string') key = importSPKI(trust.publicKey, 'RS256');
  else if (trust.publicKey) key = Promise.resolve(trust.publicKey);
  else if (trust.jwks) key = Promise.resolve(createLocalJWKSet(trust.jwks));
  else key = Promise.resolve(createRemoteJWKSet(new URL(trust.jwksUri!)));
  // An unusable key is a configuration error; surface it when the sandbox starts, not on the first request.
  key.catch(() => undefined);

  return async (assertion, nowMs) => {
    let claims: JWTPayload;
    try {
      const resolved = await key;
      const options = { algorithms: ['RS256'], issuer: trust.issuer, audience, requiredClaims: ['exp'], currentDate: new Date(nowMs), clockTolerance: trust.clockSkewSeconds ?? 300 };
      ({ payload: claims } = typeof resolved === 'function' ? await jwtVerify(assertion, resolved, options) : await jwtVerify(assertion, resolved, options));
    } catch (error) {
      return failure(error, assertion, nowMs, audience, trust.issuer);
    }
    const claimName = trust.userClaim ?? (typeof claims.oid === 'string' ? 'oid' : 'sub');
    const userId = claims[claimName];
    if (typeof userId !== 'string' || !userId) {
      return { ok: false, error: 'invalid_grant', description: `AADSTS50013: Assertion contains no user: the claim '${claimName}' is missing. The on-behalf-of flow works only for user principals.` };
    }
    return { ok: true, claims, userId };
  };
}

function failure(error: unknown, assertion: string, nowMs: number, audience: string[], issuer: string): AssertionCheck {
  const now = new Date(nowMs).toISOString();
  if (error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf')) {
    const exp = error.payload.exp ? new Date(error.payload.exp * 1000).toISOString() : 'unknown';
    return {
      ok: false,
      error: 'invalid_grant',
      description: `AADSTS500133: Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${now}, expiry time of assertion ${exp}.`,
    };
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') {
    const got = JSON.stringify(error.payload.aud ?? null);
    return { ok: false, error: 'invalid_grant', description: `AADSTS50013: Assertion audience claim does not match the required value. The audience in the assertion was ${got} and the expected audience is '${audience.join("' or '")}'.` };
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'iss') {
    return { ok: false, error: 'invalid_grant', description: `AADSTS50013: Assertion failed signature validation. [Reason - The issuer '${String(error.payload.iss)}' is not trusted; expected '${issuer}'.]` };
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return { ok: false, error: 'invalid_grant', description: 'AADSTS50013: Assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]' };
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return { ok: false, error: 'invalid_grant', description: 'AADSTS50013: Assertion failed signature validation. [Reason - The key was not found.]' };
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return { ok: false, error: 'invalid_grant', description: `AADSTS50013: Assertion failed signature validation. [Reason - The algorithm of the assertion is not supported; RS256 is.]` };
  }
  const malformed = error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWTClaimValidationFailed;
  if (malformed || assertion.split('.').length !== 3) {
    return { ok: false, error: 'invalid_request', description: 'AADSTS50027: JWT token is invalid or malformed.' };
  }
  return { ok: false, error: 'invalid_grant', description: `AADSTS50013: Assertion failed signature validation. [Reason - ${error instanceof Error ? error.message : String(error)}]` };
}
