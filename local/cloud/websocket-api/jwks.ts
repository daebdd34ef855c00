// The local issuer's public key as a JWKS document: what `<issuer>/.well-known/openid-configuration` points a
// verifier at on a real identity provider. The WebSocket API's $connect function reads it (JWT_JWKS_URL).
import { exportJWK } from 'jose';
import type { LocalJwtKeys } from '../jwt.js';

export async function localJwks(keys: LocalJwtKeys): Promise<{ keys: unknown[] }> {
  return { keys: [{ ...(await exportJWK(keys.publicKey)), kid: keys.kid, alg: 'RS256', use: 'sig' }] };
}
