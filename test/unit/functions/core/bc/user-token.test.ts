// The MCP server's one BcClient serving several people: inside withBcUserToken every request carries that
// person's delegated token (BC applies their permission sets: alice reads, her insert gets BC's 403), outside it
// the app's own client-credentials token; a header that is not a token fails the call instead of running as the app.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateJwtKeys, signLocalToken } from '../../../../../local/cloud/jwt.js';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { BcClient, BcError, requestOnBehalfOfToken, withBcUserToken } from '../../../../../functions/core/bc/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bc-user-token-'));
let sandbox: BcSandbox;
let client: BcClient;
let aliceToken: string;

beforeAll(async () => {
  const keys = await loadOrCreateJwtKeys(dir);
  sandbox = await startBcSandbox({ userAssertions: { issuer: 'https://bc-agent.local/', audience: 'bc-agent', publicKey: keys.publicKey } });
  client = new BcClient(sandbox.connection, { governor: null });
  const assertion = await signLocalToken(keys, { issuer: 'https://bc-agent.local/', audience: ['bc-agent'] }, { sub: 'alice', tenant: 'local' });
  aliceToken = (await requestOnBehalfOfToken({ ...sandbox.connection, assertion })).accessToken;
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const usersOf = () => new Set(sandbox.requests().filter((r) => r.entitySet === 'customers').map((r) => r.userId));

describe('one BC client, several people', () => {
  it("acts as the person inside withBcUserToken and as the app outside, with BC's own refusal for the person", async () => {
    sandbox.clearRequests();
    await withBcUserToken(aliceToken, () => client.query('customers', { top: 1 }));
    expect(usersOf()).toEqual(new Set(['ALICE']));

    const refused = await withBcUserToken(aliceToken, () => client.create('customers', { displayName: 'Not allowed' })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BcError);
    expect(refused).toMatchObject({ kind: 'auth', status: 403 });
    expect((refused as Error).message).toMatch(/current permissions prevented the action\. \(TableData 18 Customer Insert/);

    sandbox.clearRequests();
    await client.query('customers', { top: 1 });
    expect(usersOf()).toEqual(new Set([sandbox.clientId]));
  });

  it('fails the call, rather than running as the app, when the header holds no token', async () => {
    sandbox.clearRequests();
    const error = await withBcUserToken('not a token', () => client.query('customers', { top: 1 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BcAuthError', status: 401 });
    expect(sandbox.requests().filter((r) => r.entitySet === 'customers')).toHaveLength(0);
  });
});
