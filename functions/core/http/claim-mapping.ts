// Which JWT claims carry the caller's tenant, subject and roles. One definition for every party that reads
// tokens: lib/config.ts chooses it per stage, the API construct passes it to the orchestrator's environment,
// the handlers read claims through it, and the local token command and local cloud issue tokens shaped by it.
//   local tokens (`npm run token`):  tenant ← `tenant`, subject ← `sub`, roles ← `roles`
//   Entra ID (v2.0 access tokens):    tenant ← `tid` (directory id), subject ← `oid` (the user's stable object
//                                     id; Entra's `sub` is pairwise per application), roles ← `roles` (app roles)

export interface ClaimMapping {
  tenant: string;
  subject: string;
  roles: string;
}

export type IdentityProvider = 'entra' | 'generic';

export const GENERIC_CLAIMS: Readonly<ClaimMapping> = { tenant: 'tenant', subject: 'sub', roles: 'roles' };
export const ENTRA_CLAIMS: Readonly<ClaimMapping> = { tenant: 'tid', subject: 'oid', roles: 'roles' };

/** The environment variables that carry the mapping to the functions. */
export const CLAIM_ENV = { tenant: 'JWT_TENANT_CLAIM', subject: 'JWT_SUBJECT_CLAIM', roles: 'JWT_ROLES_CLAIM' } as const;

/** Entra ID issuers: `https://login.microsoftonline.com/<tenant>/v2.0` (v2.0 tokens) or `https://sts.windows.net/<tenant>/` (v1.0). */
export function isEntraIssuer(issuer: string): boolean {
  try {
    const { hostname } = new URL(issuer);
    return hostname === 'login.microsoftonline.com' || hostname === 'sts.windows.net' || hostname.endsWith('.ciamlogin.com');
  } catch {
    return false;
  }
}

export function defaultClaims(provider: IdentityProvider): ClaimMapping {
  return { ...(provider === 'entra' ? ENTRA_CLAIMS : GENERIC_CLAIMS) };
}

export function claimMappingToEnv(mapping: ClaimMapping): Record<string, string> {
  return { [CLAIM_ENV.tenant]: mapping.tenant, [CLAIM_ENV.subject]: mapping.subject, [CLAIM_ENV.roles]: mapping.roles };
}

/** The mapping a function was deployed with; unset variables mean the generic (local) claim names. */
export function claimMappingFromEnv(env: Record<string, string | undefined> = process.env): ClaimMapping {
  return {
    tenant: env[CLAIM_ENV.tenant] || GENERIC_CLAIMS.tenant,
    subject: env[CLAIM_ENV.subject] || GENERIC_CLAIMS.subject,
    roles: env[CLAIM_ENV.roles] || GENERIC_CLAIMS.roles,
  };
}
