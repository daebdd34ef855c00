// Per-user BC access end to end below the functions: the orchestrator's BcDelegation exchanges a user's API token
// on their behalf (the sandbox's on-behalf-of grant with offline_access), seals the refresh token with KMS (the
// local AWS endpoint, through the real @aws-sdk/client-kms) and stores it in DynamoDB with a TTL; the workers'
// DelegatedTokens redeem it hours later for a BC token acting as the user, cached until near expiry. Expired,
// revoked, missing and tampered grants fail with BcDelegationError saying what to do; no token reaches an error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateJwtKeys, signLocalToken, type LocalJwtKeys } from '../../../../../local/cloud/jwt.js';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { BcDelegation, BcDelegationError, DelegatedTokens, dynamoDelegationStore, kmsEnvelope, type DelegationClient } from '../../../../../functions/core/bc/index.js';
import { startLocalAws } from '../../../../support/local-aws.js';

const ISSUER = 'https://bc-agent.local/';
const AUDIENCE = 'bc-agent';
const HOUR = 3600_000;

let keysDir: string;
let keys: LocalJwtKeys;
let sandbox: BcSandbox;
let aws: Awaited<ReturnType<typeof startLocalAws>>;
let db: DynamoDBDocumentClient;
let kms: KMSClient;
let keyId: string;
let clock = Date.now();
let table = 0;
let client: DelegationClient;

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'bc-delegation-'));
  keys = await loadOrCreateJwtKeys(keysDir);
  sandbox = await startBcSandbox({ now: () => clock, tokenTtlSeconds: 3600, refreshTokenTtlSeconds: 7 * 24 * 3600, userAssertions: { issuer: ISSUER, audience: AUDIENCE, publicKey: keys.publicKey } });
  aws = await startLocalAws();
  db = DynamoDBDocumentClient.from(new DynamoDBClient(aws.clientConfig));
  kms = new KMSClient(aws.clientConfig);
  keyId = (await kms.send(new CreateKeyCommand({ Description: 'delegation test' }))).KeyMetadata!.Arn!;
});
beforeEach(async () => {
  clock = Date.now();
  sandbox.reset();
  const tableName = `delegations-${++table}`;
  await db.send(new CreateTableCommand({ TableName: tableName, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
  client = {
    tokenUrl: sandbox.tokenUrl,
    credentials: async () => ({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret }),
    envelope: kmsEnvelope(keyId, kms),
    store: dynamoDelegationStore(db, tableName),
    now: () => clock,
  };
});
afterAll(async () => {
  await sandbox?.stop();
  await aws?.cleanup();
  rmSync(keysDir, { recursive: true, force: true });
});

const apiToken = (sub: string) => signLocalToken(keys, { issuer: ISSUER, audience: [AUDIENCE] }, { sub, tenant: 'local' });

/** Who BC sees behind a token: the sandbox's request log names the user. */
async function bcUserOf(token: string): Promise<string | undefined> {
  sandbox.clearRequests();
  const response = await fetch(`${sandbox.apiUrl}/companies`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return sandbox.requests().at(-1)?.userId;
}

async function refusal(work: Promise<unknown>): Promise<BcDelegationError> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BcDelegationError);
  return error as BcDelegationError;
}

describe('a delegated grant, from the message to the worker', () => {
  it('acts as the user hours later, sealed at rest, and redeems once per token lifetime', async () => {
    const delegation = new BcDelegation(client, 24 * 3600);
    const { expiresAt } = await delegation.accept('local', 'alice', await apiToken('alice'));
    expect(Date.parse(expiresAt)).toBe(Math.floor(clock / 1000) * 1000 + 24 * HOUR);

    // At rest: a sealed envelope, no refresh token in the clear.
    const { Item } = await db.send(new GetCommand({ TableName: `delegations-${table}`, Key: { pk: 'DELEGATION#local#alice' } }));
    expect(Item).toMatchObject({ tenantId: 'local', userId: 'alice', refreshToken: { v: 1, keyId } });
    expect(JSON.stringify(Item)).not.toMatch(/bcsbx/);

    const tokens = new DelegatedTokens(client);
    clock += 5 * HOUR; // the approval waited five hours: the first access token would long have expired
    const first = await tokens.accessToken('local', 'alice');
    expect(await bcUserOf(first)).toBe('ALICE');
    const [again, concurrent] = await Promise.all([tokens.accessToken('local', 'alice'), tokens.accessToken('local', 'alice')]);
    expect([again, concurrent]).toEqual([first, first]);
    expect(tokens.redemptions).toBe(1);

    clock += 59 * 60_000; // within the last minute of the hour-long token: a fresh one
    const renewed = await tokens.accessToken('local', 'alice');
    expect(renewed).not.toBe(first);
    expect(tokens.redemptions).toBe(2);
    expect(await bcUserOf(renewed)).toBe('ALICE');
  });

  it('keeps users apart: each gets their own token, and a sealed grant copied to another user does not open', async () => {
    const delegation = new BcDelegation(client, 3600);
    await delegation.accept('local', 'alice', await apiToken('alice'));
    await delegation.accept('local', 'carol', await apiToken('carol'));
    const tokens = new DelegatedTokens(client);
    expect(await bcUserOf(await tokens.accessToken('local', 'carol'))).toBe('CAROL');
    expect(await bcUserOf(await tokens.accessToken('local', 'alice'))).toBe('ALICE');

    const alice = await client.store.get('local', 'alice', clock);
    await db.send(new PutCommand({ TableName: `delegations-${table}`, Item: { pk: 'DELEGATION#local#bob', tenantId: 'local', userId: 'bob', refreshToken: alice!.refreshToken, grantedAt: alice!.grantedAt, expiresAt: alice!.expiresAt } }));
    const stolen = await new DelegatedTokens(client).accessToken('local', 'bob').then(() => undefined, (e: unknown) => e as Error);
    expect(stolen?.name).toBe('InvalidCiphertextException');
  });

  it('asks for a new sign-in when the grant has expired, was revoked, or never existed; the message says so', async () => {
    const delegation = new BcDelegation(client, 3600);
    await delegation.accept('local', 'alice', await apiToken('alice'));
    await delegation.accept('local', 'carol', await apiToken('carol'));
    clock += 2 * HOUR; // past the stored grant's TTL (DynamoDB's sweep may not have run yet)
    const expired = await refusal(new DelegatedTokens(client).accessToken('local', 'alice'));
    expect(expired).toMatchObject({ code: 'BcSignInRequired', transient: false });
    expect(expired.message).toMatch(/on behalf of alice has expired.*send the message again/);

    clock -= 2 * HOUR;
    expect(sandbox.revokeSignInSessions('carol')).toBe(true);
    const revoked = await refusal(new DelegatedTokens(client).accessToken('local', 'carol'));
    expect(revoked.code).toBe('BcSignInRequired');
    expect(revoked.message).toMatch(/could not be renewed: AADSTS50173: .*revoked/);

    expect((await refusal(new DelegatedTokens(client).accessToken('local', 'nobody'))).code).toBe('BcSignInRequired');
  });

  it('refuses at the message when BC does not know the person or the app is misconfigured; nothing is stored', async () => {
    const delegation = new BcDelegation(client, 3600);
    const stranger = await refusal(delegation.accept('local', 'mallory', await apiToken('mallory')));
    expect(stranger).toMatchObject({ code: 'BcSignInRequired', transient: false });
    expect(stranger.message).toMatch(/refused to act on behalf of mallory: AADSTS50034/);
    expect(await client.store.get('local', 'mallory', clock)).toBeUndefined();

    const wrongSecret = new BcDelegation({ ...client, credentials: async () => ({ clientId: sandbox.clientId, clientSecret: 'not-the-secret' }) }, 3600);
    const misconfigured = await refusal(wrongSecret.accept('local', 'alice', await apiToken('alice')));
    expect(misconfigured.code).toBe('BcDelegationMisconfigured');
    expect(misconfigured.message).toMatch(/invalid_client: AADSTS7000215/);
    expect(misconfigured.message).not.toContain('not-the-secret');

    const unreachable = new BcDelegation({ ...client, tokenUrl: 'http://127.0.0.1:9/local/oauth2/v2.0/token' }, 3600);
    const down = await refusal(unreachable.accept('local', 'alice', await apiToken('alice')));
    expect(down).toMatchObject({ code: 'BcDelegationUnavailable', transient: true });
  });

  it('never puts a token or the assertion in an error', async () => {
    const assertion = await apiToken('mallory');
    const error = await refusal(new BcDelegation(client, 3600).accept('local', 'mallory', assertion));
    expect(`${error.message} ${error.stack}`).not.toContain(assertion);
  });
});
