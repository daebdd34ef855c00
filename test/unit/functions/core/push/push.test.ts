// The push core on a real (in-process) DynamoDB: the connections table, the WebSocket routes, the notifier's
// ordering and clean-up, the message size cap, and the token check against an issuer's published keys.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '../../../../../functions/core/events/index.js';
import { createLogger } from '../../../../../functions/core/observability/index.js';
import { ConnectRefused, createTokenVerifier } from '../../../../../functions/core/push/auth.js';
import { ConnectionStore } from '../../../../../functions/core/push/connections.js';
import { encodePushMessage, eventMessage, MAX_PUSH_BYTES } from '../../../../../functions/core/push/message.js';
import { ConnectionGoneError, notifySubscribers, type BusEvent } from '../../../../../functions/core/push/notifier.js';
import { handleWebSocketEvent } from '../../../../../functions/core/push/routes.js';
import { ENTRA_CLAIMS, GENERIC_CLAIMS } from '../../../../../functions/core/http/claim-mapping.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';

let dynamo: TestDynamo;
let store: ConnectionStore;
const logger = createLogger('push-test');

beforeAll(async () => {
  dynamo = await startDynamo();
  store = new ConnectionStore(dynamo.doc, dynamo.tables.CONNECTIONS_TABLE);
});
afterAll(() => dynamo?.stop());

const context = (tenantId: string, sessionId: string, planId = 'p1') => ({ tenantId, sessionId, planId, correlationId: 'c1', causationId: 'm1' });
const bus = (event: { name: string; detail: unknown }): BusEvent => ({ 'detail-type': event.name, detail: event.detail });
const taskUpdated = (tenantId: string, sessionId: string, reason: string) =>
  bus(createEvent('task:updated', { status: 'running', previousStatus: 'running', reason }, { ...context(tenantId, sessionId), taskId: 't1' }));

async function connection(id: string, tenantId: string, ...sessions: string[]) {
  const record = { connectionId: id, tenantId, sub: `u-${id}`, connectedAt: new Date().toISOString() };
  await store.putConnection(record);
  for (const session of sessions) await store.subscribe(record, session);
  return record;
}

describe('notifySubscribers', () => {
  it('posts each connection its sessions\' events in publish order, and nothing of another tenant', async () => {
    await connection('n-a', 't1', 'sA');
    await connection('n-ab', 't1', 'sA', 'sB');
    await connection('n-other', 't2', 'sA');
    const received = new Map<string, string[]>();
    let calls = 0;
    const post = async (id: string, data: string) => {
      // Early posts are the slow ones: a notifier that posted in parallel per connection would reorder them.
      const delay = Math.max(0, 20 - 5 * calls++);
      await new Promise((resolve) => setTimeout(resolve, delay));
      received.set(id, [...(received.get(id) ?? []), JSON.parse(data).detail.reason]);
    };
    const result = await notifySubscribers({ connections: store, post, logger }, [
      taskUpdated('t1', 'sA', 'a1'),
      taskUpdated('t1', 'sB', 'b1'),
      taskUpdated('t1', 'sA', 'a2'),
      { 'detail-type': 'bc:operation:start', detail: {} },
      taskUpdated('t1', 'sA', 'a3'),
    ]);
    expect(received.get('n-a')).toEqual(['a1', 'a2', 'a3']);
    expect(received.get('n-ab')).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(received.has('n-other')).toBe(false);
    expect(result).toMatchObject({ events: 4, posted: 7, gone: 0, failed: 0, skipped: 1 });
  });

  it('removes a gone connection and drops its remaining messages; a failing one is skipped, not retried', async () => {
    await connection('g-gone', 't1', 'sG');
    await connection('g-flaky', 't1', 'sG');
    await connection('g-fine', 't1', 'sG');
    const fine: string[] = [];
    const post = async (id: string, data: string) => {
      if (id === 'g-gone') throw new ConnectionGoneError('gone');
      if (id === 'g-flaky') throw Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException' });
      fine.push(JSON.parse(data).detail.reason);
    };
    const result = await notifySubscribers({ connections: store, post, logger }, [taskUpdated('t1', 'sG', 'one'), taskUpdated('t1', 'sG', 'two')]);
    expect(fine).toEqual(['one', 'two']);
    expect(result).toMatchObject({ posted: 2, gone: 1, failed: 1 });
    expect(await store.getConnection('g-gone')).toBeUndefined();
    expect((await store.subscribersOf('t1', 'sG')).sort()).toEqual(['g-fine', 'g-flaky']);
  });

  it('skips an event that does not match its schema instead of failing the batch', async () => {
    await connection('v-1', 't1', 'sV');
    const posted: string[] = [];
    const result = await notifySubscribers({ connections: store, post: async (_id, data) => void posted.push(data), logger }, [
      { 'detail-type': 'task:updated', detail: { tenantId: 't1', sessionId: 'sV', status: 'exploded' } },
      taskUpdated('t1', 'sV', 'valid'),
    ]);
    expect(result).toMatchObject({ events: 1, skipped: 1, posted: 1 });
    expect(JSON.parse(posted[0]!)).toMatchObject({ type: 'event', detailType: 'task:updated', sessionId: 'sV', planId: 'p1', taskId: 't1' });
  });
});

describe('encodePushMessage', () => {
  it('keeps a message within API Gateway\'s 128 KB by leaving out a large result', () => {
    const big = createEvent(
      'task:completed',
      { taskType: 'query', status: 'succeeded', result: { value: 'x'.repeat(200_000) }, attempt: 1, durationMs: 5 },
      { ...context('t1', 's1'), taskId: 't1' },
    );
    const text = encodePushMessage(eventMessage('task:completed', big.detail));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_PUSH_BYTES);
    const message = JSON.parse(text);
    expect(message.detail).toMatchObject({ status: 'succeeded', resultOmitted: true, eventId: big.detail.eventId });
    expect(message.detail.result).toBeUndefined();
  });
});

describe('handleWebSocketEvent', () => {
  const verifyToken = async (token: string | undefined) => {
    if (token === 'alice@t1') return { sub: 'alice', tenantId: 't1', roles: [] };
    throw new ConnectRefused('bad token');
  };
  const subscribedAt = Date.parse('2026-12-03T12:00:00.000Z');
  const deps = () => ({ connections: store, verifyToken, logger, maxSubscriptions: 2, liveAfterMs: 11_000, now: () => subscribedAt });
  const live = { liveFrom: '2026-12-03T12:00:11.000Z', liveInMs: 11_000 };
  const ws = (routeKey: string, connectionId: string, extra: Record<string, unknown> = {}) => ({ requestContext: { routeKey, connectionId, connectedAt: Date.now() }, ...extra });

  it('records an accepted connection, refuses a bad token with 401, and lets a connection watch a bounded number of sessions', async () => {
    expect((await handleWebSocketEvent(deps(), ws('$connect', 'r-bad', { queryStringParameters: { token: 'forged' } }))).statusCode).toBe(401);
    expect(await store.getConnection('r-bad')).toBeUndefined();
    expect((await handleWebSocketEvent(deps(), ws('$connect', 'r-1', { queryStringParameters: { token: 'alice@t1' } }))).statusCode).toBe(200);
    expect(await store.getConnection('r-1')).toMatchObject({ tenantId: 't1', sub: 'alice' });

    const subscribe = async (id: string, body: string) => JSON.parse((await handleWebSocketEvent(deps(), ws('subscribe', id, { body }))).body!);
    expect(await subscribe('r-1', JSON.stringify({ action: 'subscribe', sessionId: 's1' }))).toEqual({ type: 'subscribed', sessionId: 's1', ...live });
    expect(await subscribe('r-1', JSON.stringify({ action: 'subscribe', sessionId: 's1' }))).toEqual({ type: 'subscribed', sessionId: 's1', ...live });
    expect(await subscribe('r-1', JSON.stringify({ action: 'subscribe', sessionId: 's2' }))).toEqual({ type: 'subscribed', sessionId: 's2', ...live });
    expect((await subscribe('r-1', JSON.stringify({ action: 'subscribe', sessionId: 's3' }))).error.code).toBe('TooManySubscriptions');
    expect((await subscribe('r-1', JSON.stringify({ action: 'subscribe', sessionId: 'a#b' }))).error.code).toBe('BadRequest');
    expect((await subscribe('r-1', JSON.stringify({ action: 'subscribe', sessionId: 'x'.repeat(5000) }))).error.code).toBe('PayloadTooLarge');
    // A connection that never passed $connect cannot subscribe.
    expect((await subscribe('r-unknown', JSON.stringify({ action: 'subscribe', sessionId: 's1' }))).error.code).toBe('Unauthorized');
    expect((await store.subscribersOf('t1', 's1'))).toContain('r-1');

    expect((await handleWebSocketEvent(deps(), ws('$disconnect', 'r-1'))).statusCode).toBe(200);
    expect(await store.getConnection('r-1')).toBeUndefined();
    expect(await store.subscribersOf('t1', 's2')).not.toContain('r-1');
  });
});

describe('createTokenVerifier', () => {
  let server: Server;
  let issuer: string;
  let privateKey: CryptoKey;
  let discoveries = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' };
    server = createServer((req, res) => {
      if (req.url === '/tenant/.well-known/openid-configuration') {
        discoveries += 1;
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
      } else if (req.url === '/tenant/keys') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenant`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (claims: Record<string, unknown>, options: { issuer?: string; audience?: string; expiresIn?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? 'bc-agent')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(privateKey);

  it('discovers the issuer\'s keys and reads the caller with the stage\'s claim mapping', async () => {
    const verify = createTokenVerifier({ issuer, audience: ['bc-agent'], claims: GENERIC_CLAIMS });
    expect(await verify(await sign({ sub: 'alice', tenant: 't1', roles: ['approver'] }))).toEqual({ sub: 'alice', tenantId: 't1', roles: ['approver'] });
    expect(await verify(await sign({ sub: 'bob', tenant: 't2' }))).toMatchObject({ sub: 'bob', tenantId: 't2' });
    expect(discoveries).toBe(1);
    const entra = createTokenVerifier({ issuer, audience: ['bc-agent'], claims: ENTRA_CLAIMS });
    expect(await entra(await sign({ sub: 'pairwise', oid: 'object-id', tid: 'directory' }))).toMatchObject({ sub: 'object-id', tenantId: 'directory' });
    await expect(entra(await sign({ sub: 'alice', tenant: 't1' }))).rejects.toBeInstanceOf(ConnectRefused);
  });

  it('refuses a missing token, another issuer or audience, an expired token, and a token without a tenant', async () => {
    const verify = createTokenVerifier({ issuer, audience: ['bc-agent'], claims: GENERIC_CLAIMS });
    for (const token of [
      undefined,
      'garbage',
      await sign({ sub: 'a', tenant: 't1' }, { issuer: 'https://elsewhere.example/' }),
      await sign({ sub: 'a', tenant: 't1' }, { audience: 'someone-else' }),
      await sign({ sub: 'a', tenant: 't1' }, { expiresIn: '-1m' }),
      await sign({ sub: 'a' }),
    ]) {
      await expect(verify(token), String(token)).rejects.toBeInstanceOf(ConnectRefused);
    }
  });

  it('treats an unreachable issuer as a server failure, not the caller\'s fault', async () => {
    const verify = createTokenVerifier({ issuer: 'http://127.0.0.1:1/nobody', audience: ['bc-agent'], claims: GENERIC_CLAIMS });
    const error = await verify(await sign({ sub: 'a', tenant: 't1' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ConnectRefused);
  });
});

describe('docs/asyncapi.yaml', () => {
  it('names exactly the pushed events and the refusal codes the routes send', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../../../docs/asyncapi.yaml', import.meta.url), 'utf8');
    const enumAfter = (marker: string) => doc.slice(doc.indexOf(marker)).match(/enum: \[([^\]]+)\]/)![1]!.split(',').map((s) => s.trim());
    const { PUSHED_EVENTS } = await import('../../../../../functions/core/push/message.js');
    expect(enumAfter('detailType:')).toEqual([...PUSHED_EVENTS]);
    const routes = await readFile(new URL('../../../../../functions/core/push/routes.ts', import.meta.url), 'utf8');
    const sent = [...routes.matchAll(/refusal\('([A-Za-z]+)'/g)].map((m) => m[1]);
    expect(enumAfter('code:').sort()).toEqual([...new Set(sent)].sort());
  });
});
