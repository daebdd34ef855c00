// The caller's identity from the JWT authorizer's claims (payload 2.0: requestContext.authorizer.jwt.claims).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { claimMappingFromEnv, type ClaimMapping } from './claim-mapping.js';
import { unauthorized } from './errors.js';

export interface Caller {
  sub: string;
  tenantId: string;
  roles: string[];
}

type ClaimValue = string | number | boolean | string[] | undefined;

const TENANT_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Roles as a list. API Gateway flattens an array claim into the string "[approver other]"; a JSON array
 * string, a comma/space separated string and a real array are accepted too.
 */
export function parseRoles(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((r): r is string => typeof r === 'string' && r.length > 0);
  if (typeof value !== 'string') return [];
  const text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) return parseRoles(parsed);
    } catch {
      // API Gateway's "[a b]" form is not JSON: fall through.
    }
    return parseRoles(text.slice(1, -1));
  }
  return text.split(/[\s,]+/).filter((r) => r.length > 0);
}

let deployedMapping: ClaimMapping | undefined;

/**
 * The authenticated caller, or 401 when the claims are missing or unusable. Which claims hold the tenant,
 * subject and roles is the stage's mapping (claim-mapping.ts; `JWT_*_CLAIM` in the environment): on a stage
 * configured for Entra ID a token without `tid` is refused even if it carries a `tenant` claim.
 */
export function readCaller(event: Pick<APIGatewayProxyEventV2, 'requestContext'>, mapping: ClaimMapping = (deployedMapping ??= claimMappingFromEnv())): Caller {
  const context = event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, ClaimValue> } } } | undefined;
  const claims = context?.authorizer?.jwt?.claims;
  if (!claims) throw unauthorized();
  const sub = claims[mapping.subject];
  const tenant = claims[mapping.tenant];
  if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) {
    throw unauthorized(`the token has no valid tenant claim '${mapping.tenant}'${mapping.tenant !== 'tenant' && claims.tenant !== undefined ? ` (this API takes the tenant from '${mapping.tenant}', not 'tenant')` : ''}`);
  }
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
    throw unauthorized(`the token has no subject claim '${mapping.subject}'`);
  }
  return { sub, tenantId: tenant, roles: parseRoles(claims[mapping.roles]) };
}
