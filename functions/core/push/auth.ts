// Who opens a WebSocket connection: the JWT a browser passes as `?token=` (it cannot set headers on a
// WebSocket), checked as the HTTP API's JWT authorizer checks a bearer token — signature against the
// issuer's published keys, issuer, audience, lifetime — then read with the stage's claim mapping.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { readCaller, type Caller } from '../http/index.js';
import { claimMappingFromEnv, type ClaimMapping } from '../http/index.js';
import { optionalEnv, requiredEnv, type Env } from '../config/index.js';

export interface TokenSettings {
  issuer: string;
  audience: string[];
  /** The issuer's JWKS; unset: discovered from `<issuer>/.well-known/openid-configuration` as API Gateway does. */
  jwksUrl?: string;
  claims: ClaimMapping;
}

/** JWT_ISSUER, JWT_AUDIENCE (comma-separated), optional JWT_JWKS_URL, and the JWT_*_CLAIM mapping. */
export function tokenSettingsFromEnv(env: Env = process.env): TokenSettings {
  const audience = requiredEnv('JWT_AUDIENCE', env).split(',').map((a) => a.trim()).filter(Boolean);
  const jwksUrl = optionalEnv('JWT_JWKS_URL', env);
  return { issuer: requiredEnv('JWT_ISSUER', env), audience, ...(jwksUrl ? { jwksUrl } : {}), claims: claimMappingFromEnv(env) };
}

export class ConnectRefused extends Error {
  override readonly name = 'ConnectRefused';
}

export type TokenVerifier = (token: string | undefined) => Promise<Caller>;

/** A verifier whose key set is fetched once per container (jose caches and refreshes it on an unknown kid). */
export function createTokenVerifier(settings: TokenSettings, fetchImpl: typeof fetch = fetch): TokenVerifier {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const keySet = (): Promise<JWTVerifyGetKey> =>
    (keys ??= discoverJwks(settings, fetchImpl).then((url) => createRemoteJWKSet(new URL(url))).catch((error: unknown) => {
      keys = undefined; // a failed discovery is tried again by the next connection
      throw error;
    }));
  return async (token) => {
    if (!token) throw new ConnectRefused('no token: connect with ?token=<JWT>');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), { issuer: settings.issuer, audience: settings.audience }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) {
        throw new ConnectRefused(`the token was refused: ${error.message}`);
      }
      throw error; // the key set could not be fetched: a server-side failure, not the caller's
    }
    try {
      return readCaller({ requestContext: { authorizer: { jwt: { claims: payload } } } } as never, settings.claims);
    } catch (error) {
      throw new ConnectRefused((error as Error).message);
    }
  };
}

async function discoverJwks(settings: TokenSettings, fetchImpl: typeof fetch): Promise<string> {
  if (settings.jwksUrl) return settings.jwksUrl;
  const url = `${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`OpenID discovery ${url} answered ${response.status}`);
  const { jwks_uri: jwksUri } = (await response.json()) as { jwks_uri?: unknown };
  if (typeof jwksUri !== 'string') throw new Error(`OpenID discovery ${url} has no jwks_uri`);
  return jwksUri;
}
