// Local stand-in for the identity provider behind the HTTP API's JWT authorizer: one RS256 key pair kept in
// `<stateDir>/jwt/`, tokens signed with it, and the checks API Gateway's JWT authorizer makes (signature,
// issuer, audience or client_id, exp/nbf, scopes).
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { createHash } from 'node:crypto';
import { ENTRA_CLAIMS, GENERIC_CLAIMS, type ClaimMapping } from '../../functions/core/http/index.js';

const ALGORITHM = 'RS256';

export interface LocalJwtKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Key id (JWK thumbprint) put in every token's header. */
  kid: string;
}

/** What an authorizer trusts: API Gateway's `JwtConfiguration`. */
export interface JwtIssuerConfig {
  issuer: string;
  audience: readonly string[];
  /** The claims the API behind the authorizer reads (its `JWT_*_CLAIM` environment); tokens are shaped by it. */
  claims?: ClaimMapping;
}

export interface LocalTokenRequest {
  sub: string;
  tenant: string;
  roles?: readonly string[];
  /** Lifetime in seconds (default one hour). */
  ttlSeconds?: number;
  /** Space-separated OAuth scopes, put in the `scope` claim. */
  scope?: string;
  /**
   * An Entra ID v2.0 access token's shape: `tid`, `oid`, app `roles`, `ver: "2.0"`, a pairwise `sub`. Default:
   * when the API's claim mapping is Entra's (`tid`/`oid`).
   */
  entra?: boolean;
}

/** Whether tokens for this authorizer are Entra-shaped unless a request says otherwise. */
export function expectsEntraTokens(config: JwtIssuerConfig): boolean {
  return config.claims?.tenant === ENTRA_CLAIMS.tenant && config.claims.subject === ENTRA_CLAIMS.subject;
}

const keyDir = (stateDir: string): string => join(stateDir, 'jwt');

/** Whether a local cloud (or an earlier token) already made the signing key pair in this state directory. */
export async function hasJwtKeys(stateDir: string): Promise<boolean> {
  return (await readKeys(keyDir(stateDir))) !== undefined;
}

/**
 * Loads the key pair from `<stateDir>/jwt/`, generating it on first use. Generation writes into a private
 * directory and renames it into place, so concurrent first runs end up sharing one pair.
 */
export async function loadOrCreateJwtKeys(stateDir: string): Promise<LocalJwtKeys> {
  const dir = keyDir(stateDir);
  const existing = await readKeys(dir);
  if (existing) return existing;

  await mkdir(stateDir, { recursive: true });
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'private.pem'), await exportPKCS8(privateKey), { mode: 0o600 });
  await writeFile(join(staging, 'public.pem'), await exportSPKI(publicKey));
  try {
    await rename(staging, dir);
  } catch {
    // Another process won the race: use its pair.
    await rm(staging, { recursive: true, force: true });
  }
  const keys = await readKeys(dir);
  if (!keys) throw new Error(`could not create the local JWT key pair in ${dir}`);
  return keys;
}

async function readKeys(dir: string): Promise<LocalJwtKeys | undefined> {
  let privatePem: string;
  let publicPem: string;
  try {
    [privatePem, publicPem] = await Promise.all([
      readFile(join(dir, 'private.pem'), 'utf8'),
      readFile(join(dir, 'public.pem'), 'utf8'),
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const privateKey = await importPKCS8(privatePem, ALGORITHM);
  const publicKey = await importSPKI(publicPem, ALGORITHM, { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { privateKey, publicKey, kid };
}

/** Signs a token with the claims the API reads (its claim mapping): tenant, subject and optional roles. */
export async function signLocalToken(
  keys: LocalJwtKeys,
  config: JwtIssuerConfig,
  request: LocalTokenRequest,
): Promise<string> {
  if (!request.sub.trim()) throw new Error('a token needs a non-empty subject (--sub)');
  if (!request.tenant.trim()) throw new Error('a token needs a non-empty tenant (--tenant)');
  const ttl = request.ttlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error(`token lifetime must be a positive whole number of seconds, got ${ttl}`);
  if (config.audience.length === 0) throw new Error('the authorizer has no audience to sign for');
  const entra = request.entra ?? expectsEntraTokens(config);
  // The API's own mapping when the token has the shape it expects; a token of the other shape (to show it is refused) uses that shape's names.
  const mapping = config.claims && entra === expectsEntraTokens(config) ? config.claims : entra ? ENTRA_CLAIMS : GENERIC_CLAIMS;
  const claims: JWTPayload = {};
  let subject = request.sub;
  if (entra) {
    // Entra's v2.0 access token: the directory (`tid`), the user's object id (`oid`) and a `sub` that is pairwise
    // per application, so an API that keyed on `sub` would see a different user in every app.
    Object.assign(claims, { ver: '2.0', tid: request.tenant, oid: request.sub, azp: 'bc-agent-local-client', name: request.sub });
    subject = createHash('sha256').update(`${config.audience[0]}:${request.sub}`).digest('base64url').slice(0, 43);
  }
  claims[mapping.tenant] = request.tenant;
  if (mapping.subject === 'sub') subject = request.sub;
  else claims[mapping.subject] = request.sub;
  if (request.roles?.length) claims[mapping.roles] = [...request.roles];
  if (request.scope) claims.scope = request.scope;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(config.issuer)
    .setAudience(config.audience.length === 1 ? config.audience[0]! : [...config.audience])
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey);
}

export type JwtCheck =
  | { ok: true; claims: JWTPayload; scopes: string[] }
  | { ok: false; reason: string };

/**
 * The JWT authorizer's checks: RS256 signature by our key, `iss` equal to the issuer, `aud` or `client_id`
 * among the audiences, `exp` in the future and `nbf` in the past; then the route's required scopes.
 */
export async function verifyJwt(
  token: string,
  publicKey: CryptoKey,
  config: JwtIssuerConfig,
  requiredScopes: readonly string[] = [],
): Promise<JwtCheck> {
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, publicKey, {
      algorithms: [ALGORITHM],
      issuer: config.issuer,
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const audiences = [claims.aud ?? [], typeof claims.client_id === 'string' ? claims.client_id : []].flat();
  if (!audiences.some((aud) => config.audience.includes(aud))) {
    return { ok: false, reason: 'token audience is not accepted by the authorizer' };
  }
  const scopes = scopesOf(claims);
  if (requiredScopes.length > 0 && !requiredScopes.some((scope) => scopes.includes(scope))) {
    return { ok: false, reason: 'token lacks a scope the route requires' };
  }
  return { ok: true, claims, scopes };
}

function scopesOf(claims: JWTPayload): string[] {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** The token of an `Authorization: Bearer <token>` header (API Gateway also accepts the bare token). */
export function bearerToken(authorization: string | undefined): string | undefined {
  const value = authorization?.trim();
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  if (match) return match[1];
  return /\s/.test(value) ? undefined : value;
}
