// readCaller under each claim mapping: the same token reads differently on a generic and an Entra stage, and
// the mapping comes from the environment the API construct sets.
import { describe, expect, it } from 'vitest';
import { claimMappingFromEnv, ENTRA_CLAIMS, GENERIC_CLAIMS, isEntraIssuer, readCaller } from '../../../../../functions/core/http/index.js';
import { parseTokenArgs } from '../../../../../local/cloud/token.js';

const event = (claims: Record<string, unknown>) => ({ requestContext: { authorizer: { jwt: { claims } } } }) as never;

describe('readCaller', () => {
  it('reads tid, oid and app roles on an Entra stage, and refuses a token with only tenant', () => {
    const entraToken = { tid: 'contoso', oid: 'user-oid', sub: 'pairwise', roles: '[approver]' };
    expect(readCaller(event(entraToken), ENTRA_CLAIMS)).toEqual({ sub: 'user-oid', tenantId: 'contoso', roles: ['approver'] });
    expect(() => readCaller(event({ tenant: 'local', sub: 'alice' }), ENTRA_CLAIMS)).toThrow(/no valid tenant claim 'tid' \(this API takes the tenant from 'tid', not 'tenant'\)/);
    expect(() => readCaller(event({ tid: 'contoso', sub: 'pairwise' }), ENTRA_CLAIMS)).toThrow(/no subject claim 'oid'/);
  });

  it('reads tenant and sub on a generic stage and never takes tid for it', () => {
    expect(readCaller(event({ tenant: 'local', sub: 'alice' }), GENERIC_CLAIMS)).toEqual({ sub: 'alice', tenantId: 'local', roles: [] });
    expect(() => readCaller(event({ tid: 'contoso', oid: 'x', sub: 'alice' }), GENERIC_CLAIMS)).toThrow(/tenant claim 'tenant'/);
  });

  it('takes the mapping from JWT_*_CLAIM, generic when unset', () => {
    expect(claimMappingFromEnv({})).toEqual(GENERIC_CLAIMS);
    expect(claimMappingFromEnv({ JWT_TENANT_CLAIM: 'tid', JWT_SUBJECT_CLAIM: 'oid', JWT_ROLES_CLAIM: 'roles' })).toEqual(ENTRA_CLAIMS);
    expect(isEntraIssuer('https://login.microsoftonline.com/x/v2.0')).toBe(true);
    expect(isEntraIssuer('https://login.microsoftonline.com.evil.example/x')).toBe(false);
    expect(isEntraIssuer('not a url')).toBe(false);
  });
});

describe('npm run token options', () => {
  it('--entra and --no-entra force a shape; neither leaves it to the stage', () => {
    expect(parseTokenArgs(['--sub', 'a', '--tenant', 't', '--entra']).entra).toBe(true);
    expect(parseTokenArgs(['--sub', 'a', '--tenant', 't', '--no-entra']).entra).toBe(false);
    expect(parseTokenArgs(['--sub', 'a', '--tenant', 't']).entra).toBeUndefined();
  });
});
