// The sandbox's identity settings from the environment, for `npx tsx local/bc-sandbox/main.ts` and `npm start`:
//   BC_SANDBOX_DIRECTORY_FILE  JSON { users, permissionSets, appPermissionSets } replacing the default directory
//   BC_SANDBOX_OBO_ISSUER      issuer whose user tokens the on-behalf-of grant accepts, with
//   BC_SANDBOX_OBO_AUDIENCE    its accepted audiences (comma-separated), and one key source:
//   BC_SANDBOX_OBO_JWKS_URI    the issuer's key set URL, or
//   BC_SANDBOX_OBO_PUBLIC_KEY_FILE  an SPKI PEM file (the local cloud's is <LOCAL_STATE_DIR>/jwt/public.pem)
//   BC_SANDBOX_OBO_USER_CLAIM  the claim naming the user (default: oid when present, else sub)
import { readFileSync } from 'node:fs';
import { validateDirectory, type DirectoryConfig } from './directory.js';
import type { UserAssertionTrust } from './on-behalf-of.js';

export interface IdentitySettings {
  directory?: DirectoryConfig;
  userAssertions?: UserAssertionTrust;
}

export function identitySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): IdentitySettings {
  const settings: IdentitySettings = {};
  const directoryFile = env.BC_SANDBOX_DIRECTORY_FILE?.trim();
  if (directoryFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(directoryFile, 'utf8'));
      validateDirectory(parsed);
    } catch (error) {
      throw new Error(`BC_SANDBOX_DIRECTORY_FILE ${directoryFile}: ${error instanceof Error ? error.message : String(error)}`);
    }
    settings.directory = parsed as DirectoryConfig;
  }
  const issuer = env.BC_SANDBOX_OBO_ISSUER?.trim();
  const audience = (env.BC_SANDBOX_OBO_AUDIENCE ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const jwksUri = env.BC_SANDBOX_OBO_JWKS_URI?.trim();
  const keyFile = env.BC_SANDBOX_OBO_PUBLIC_KEY_FILE?.trim();
  const userClaim = env.BC_SANDBOX_OBO_USER_CLAIM?.trim();
  if (!issuer) {
    if (audience.length || jwksUri || keyFile || userClaim) throw new Error('BC_SANDBOX_OBO_* settings need BC_SANDBOX_OBO_ISSUER');
    return settings;
  }
  if (audience.length === 0) throw new Error('BC_SANDBOX_OBO_ISSUER needs BC_SANDBOX_OBO_AUDIENCE (the API the user tokens are for)');
  if (Boolean(jwksUri) === Boolean(keyFile)) throw new Error('BC_SANDBOX_OBO_ISSUER needs exactly one of BC_SANDBOX_OBO_JWKS_URI and BC_SANDBOX_OBO_PUBLIC_KEY_FILE');
  settings.userAssertions = {
    issuer,
    audience,
    ...(jwksUri ? { jwksUri } : { publicKey: readFileSync(keyFile!, 'utf8') }),
    ...(userClaim ? { userClaim } : {}),
  };
  return settings;
}
