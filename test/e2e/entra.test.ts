// Entra ID identity end to end on the local cloud. The cloud runs with the claim mapping the API construct gives
// an Entra-configured stage (JWT_TENANT_CLAIM=tid, JWT_SUBJECT_CLAIM=oid, JWT_ROLES_CLAIM=roles; see
// test/infra/identity.test.ts): the local token command then issues Entra-shaped tokens, a message posted with
// one is planned and answered, an app-role approver decides with one, and a token that carries only `tenant`
// is a 401 that says which claim is missing.
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { claimMappingToEnv, ENTRA_CLAIMS } from '../../functions/core/http/claim-mapping.js';
import { eventually, withTestCloud, type TestCloud } from '../support/local-cloud.js';

let cloud: TestCloud;
withTestCloud(async (started) => {
  cloud = started;
}, { env: claimMappingToEnv(ENTRA_CLAIMS) });

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const api = (path: string, token: string, body?: unknown) =>
  fetch(`${cloud.urls.api}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('an Entra-configured stage', () => {
  it('issues Entra-shaped tokens: tid, oid, app roles, ver 2.0, the dev issuer, a pairwise sub', async () => {
    const token = await cloud.token({ sub: 'a1b2c3d4-0000-4000-8000-00000000a11c', tenant: TID, roles: ['approver'] });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ tid: TID, oid: 'a1b2c3d4-0000-4000-8000-00000000a11c', roles: ['approver'], ver: '2.0', iss: cloud.jwtConfig.issuer });
    expect(claims.tenant).toBeUndefined();
    expect(claims.sub).not.toBe(claims.oid);
  });

  it('plans and answers a message sent with an Entra token, and shows the plan to the same user only', async () => {
    const alice = await cloud.token({ sub: 'a1b2c3d4-0000-4000-8000-00000000a11c', tenant: TID });
    const posted = await api('/v1/sessions/entra-1/messages', alice, { text: 'count customers' });
    expect(posted.status).toBe(202);
    const { planId } = (await posted.json()) as { planId: string };
    const plan = await eventually('the plan to succeed', async () => {
      const body = (await (await api(`/v1/plans/${planId}`, alice)).json()) as { status: string; response?: string };
      return body.status === 'succeeded' ? body : undefined;
    });
    expect(plan.response).toMatch(/\d/);
    // Another directory (tid) does not see it.
    const other = await cloud.token({ sub: 'a1b2c3d4-0000-4000-8000-00000000a11c', tenant: '11111111-2222-4333-8444-555555555555' });
    expect((await api(`/v1/plans/${planId}`, other)).status).toBe(404);
  });

  it('lets an app-role approver decide, and only them', async () => {
    const alice = await cloud.token({ sub: 'alice-oid', tenant: TID });
    const bob = await cloud.token({ sub: 'bob-oid', tenant: TID, roles: ['approver'] });
    await api('/v1/sessions/entra-2/messages', alice, { text: "create customer displayName='Entra Co'" });
    const approval = await eventually('a pending approval', async () => {
      const body = (await (await api('/v1/approvals?status=pending', bob)).json()) as { approvals: Array<{ approvalId: string; requestedBy: string }> };
      return body.approvals.find((a) => a.requestedBy === 'alice-oid');
    });
    expect((await api(`/v1/approvals/${approval.approvalId}`, alice, { decision: 'grant' })).status).toBe(403);
    expect((await api(`/v1/approvals/${approval.approvalId}`, bob, { decision: 'deny' })).status).toBe(200);
  });

  it('refuses a token that carries only a tenant claim with a 401 naming the tid claim', async () => {
    const localShaped = await cloud.token({ sub: 'alice', tenant: 'local', entra: false });
    expect(decodeJwt(localShaped)).toMatchObject({ tenant: 'local', sub: 'alice' });
    const response = await api('/v1/sessions/entra-3/messages', localShaped, { text: 'count customers' });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('Unauthorized');
    expect(body.error.message).toContain("'tid'");
    expect((await api('/v1/approvals?status=pending', localShaped)).status).toBe(401);
  });
});
