// Live progress on the local cloud, as a chat front-end sees it: connect to the WebSocket API with a token,
// subscribe to a session, post a message over HTTP, and receive the plan's events as they happen.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, describe, expect, it } from 'vitest';
import { createEvent } from '../../functions/core/events/index.js';
import { ConnectionStore } from '../../functions/core/push/connections.js';
import { createDocumentClient } from '../../functions/core/store/index.js';
import { Chat, resourceName, sandboxGet, withAgentCloud } from '../support/chat.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';
import { ConnectRefusedError, PushClient } from '../support/push-client.js';

let cloud: TestCloud;
let connections: ConnectionStore;
let bus: EventBridgeClient;
const clients: PushClient[] = [];

/** The notifier's subscriber window here (the stage default is 10 s): short, so catching up takes seconds. */
const SUBSCRIBER_WINDOW_SECONDS = 2;

withAgentCloud(async (started) => {
  cloud = started;
  connections = new ConnectionStore(createDocumentClient(new DynamoDBClient(cloud.clientConfig)), resourceName(cloud, 'AWS::DynamoDB::Table', 'PushConnections'));
  bus = new EventBridgeClient(cloud.clientConfig);
}, { env: { PUSH_SUBSCRIBER_CACHE_SECONDS: String(SUBSCRIBER_WINDOW_SECONDS) } });
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

async function connect(tenant: string, sub = 'alice'): Promise<PushClient> {
  const client = await PushClient.connect(cloud.urls.websocket, await cloud.token({ sub, tenant }));
  clients.push(client);
  return client;
}

/** Publishes an event of a tenant's session straight onto the bus (as any component would). */
async function publishTo(tenantId: string, sessionId: string, response: string): Promise<void> {
  const { detail } = createEvent('agent:completed', { status: 'succeeded', response }, {
    tenantId, sessionId, planId: `p-${randomUUID()}`, correlationId: randomUUID(), causationId: randomUUID(),
  });
  const { FailedEntryCount } = await bus.send(
    new PutEventsCommand({ Entries: [{ EventBusName: 'bc-agent-dev', Source: 'bc-agent.test', DetailType: 'agent:completed', Detail: JSON.stringify(detail) }] }),
  );
  expect(FailedEntryCount).toBe(0);
}

describe('the WebSocket API', () => {
  it('refuses a connection without a token, with a malformed one, or one signed by someone else', async () => {
    const refused = async (token: string | undefined) => {
      const error = await PushClient.connect(cloud.urls.websocket, token).then(
        (client) => (clients.push(client), undefined),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectRefusedError);
      return error as ConnectRefusedError;
    };
    const absent = await refused(undefined);
    expect(absent.status).toBe(401);
    expect(JSON.parse(absent.body).error.message).toContain('?token=');
    expect((await refused('not-a-jwt')).status).toBe(401);
    // A valid token with one byte of its signature changed.
    const token = await cloud.token({ sub: 'mallory', tenant: 'local' });
    const tampered = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`;
    expect((await refused(tampered)).status).toBe(401);
    // Expired tokens are refused too (lifetime checked like the HTTP API's authorizer does).
    const expired = await cloud.token({ sub: 'alice', tenant: 'local', ttlSeconds: 1 });
    const payload = JSON.parse(Buffer.from(expired.split('.')[1]!, 'base64url').toString()) as { exp: number };
    await eventually('the token to expire', async () => (Date.now() / 1000 > payload.exp ? true : undefined), 5000);
    expect((await refused(expired)).status).toBe(401);
  });

  it('answers a bad subscribe or an unknown action with an error message, and keeps the connection', async () => {
    const client = await connect('local');
    expect((await client.subscribe('bad session id!')).error?.code).toBe('BadRequest');
    expect((await client.subscribe(42)).error?.code).toBe('BadRequest');
    const before = client.messages.length;
    client.send('not json');
    expect((await client.waitFor(() => true, 'an answer to text', before)).error?.code).toBe('UnknownAction');
    client.send({ action: 'unsubscribe-everyone' });
    expect((await client.waitFor(() => true, 'an answer to an unknown action', before + 1)).error?.code).toBe('UnknownAction');
    expect((await client.subscribe('s-fine')).type).toBe('subscribed');
  });

  it('pushes count customers in order: task:created → task:updated → task:completed → agent:completed, to its own tenant only', async () => {
    const chat = await Chat.open(cloud, 'local');
    const watcher = await connect('local');
    expect(await watcher.subscribe(chat.sessionId)).toMatchObject({ type: 'subscribed', sessionId: chat.sessionId });
    // Another tenant subscribes to the same session id: in its own tenant, that is another (empty) session.
    const outsider = await connect('other-tenant', 'eve');
    expect(await outsider.subscribe(chat.sessionId)).toMatchObject({ type: 'subscribed', sessionId: chat.sessionId });

    // The first run meets cold functions; the second shows the steady state, where each push follows its
    // event within a second.
    for (const warm of [false, true]) {
      const sent = await chat.send('count customers');
      expect(sent.status).toBe(202);
      const planId = sent.body.planId as string;
      await watcher.waitFor((m) => m.planId === planId && m.detailType === 'agent:completed', 'agent:completed');

      const pushed = watcher.events(planId);
      expect(pushed.map((m) => m.detailType)).toEqual(['task:created', 'task:updated', 'task:completed', 'agent:completed']);
      const truth = await sandboxGet(cloud, 'customers/$count');
      const [created, updated, completed, done] = pushed as [typeof pushed[0], typeof pushed[0], typeof pushed[0], typeof pushed[0]];
      expect(created).toMatchObject({ type: 'event', sessionId: chat.sessionId, planId, taskId: 't1', detail: { task: { id: 't1', type: 'query' } } });
      expect(updated).toMatchObject({ taskId: 't1', detail: { status: 'running', previousStatus: 'dispatched' } });
      expect(completed).toMatchObject({ taskId: 't1', detail: { status: 'succeeded', result: { count: truth } } });
      expect(done.detail).toMatchObject({ status: 'succeeded', response: `There are ${truth} customers.` });
      expect(done.taskId).toBeUndefined();
      for (const message of pushed) expect(message.time).toBe(message.detail!.occurredAt);
      if (warm) {
        // task:updated (running) travels in the worker's outbox with task:completed: it is published then.
        const publishedAt = (m: (typeof pushed)[0]) => Date.parse((m === updated ? completed : m).time!);
        const lags = pushed.map((m) => m.receivedAt - publishedAt(m));
        expect(Math.max(...lags), `push lags ${lags.join(', ')} ms`).toBeLessThan(1000);
      }
      expect((await chat.plan(planId)).status).toBe('succeeded');
    }

    // The outsider's subscription works (an event of its own session arrives), and since the push queue is
    // FIFO, anything of the other tenant's plan would have arrived before it: nothing did.
    await publishTo('other-tenant', chat.sessionId, 'the outsider\'s own event');
    const own = await outsider.waitFor((m) => m.type === 'event', 'the outsider\'s own event');
    expect(own.detail?.response).toBe('the outsider\'s own event');
    expect(outsider.events()).toHaveLength(1);
    expect(watcher.events().some((m) => m.detail?.response === 'the outsider\'s own event')).toBe(false);
  });

  it('pushes a write\'s approval request and its decision, then the write\'s completion', async () => {
    const chat = await Chat.open(cloud, 'local', 'alice');
    const watcher = await connect('local', 'alice');
    await watcher.subscribe(chat.sessionId);
    const name = `Push Approval ${randomUUID().slice(0, 8)}`;
    const { status, body } = await chat.send(`create customer displayName='${name}'`);
    expect(status).toBe(202);
    const requested = await watcher.waitFor((m) => m.planId === body.planId && m.detailType === 'approval:requested', 'approval:requested', 0, 45_000);
    expect(requested.detail).toMatchObject({ approvalId: expect.any(String), summary: expect.stringContaining(name), requestedBy: 'alice', expiresAt: expect.any(String) });
    const approver = await cloud.token({ sub: 'carol', tenant: 'local', roles: ['approver'] });
    const decided = await fetch(`${cloud.urls.api}/v1/approvals/${requested.detail!.approvalId}`, {
      method: 'POST', headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'grant' }),
    });
    expect(decided.status).toBe(200);
    await watcher.waitFor((m) => m.planId === body.planId && m.detailType === 'agent:completed', 'agent:completed', 0, 45_000);
    const kinds = watcher.events(body.planId).map((m) => m.detailType!);
    const at = (kind: string) => kinds.indexOf(kind);
    expect(kinds[0]).toBe('task:created');
    expect(at('approval:requested')).toBeLessThan(at('approval:granted'));
    expect(at('approval:granted')).toBeLessThan(at('task:completed'));
    expect(kinds.at(-1)).toBe('agent:completed');
    expect(watcher.events(body.planId).find((m) => m.detailType === 'approval:granted')!.detail).toMatchObject({ decidedBy: 'carol', approvalId: requested.detail!.approvalId });
    expect(watcher.events(body.planId).find((m) => m.detailType === 'task:completed')!.detail).toMatchObject({ status: 'succeeded' });
  });

  it('tells a subscriber joining an active session when pushes reach it; from then on it gets every event, and a read of the plan then shows what it missed', async () => {
    const chat = await Chat.open(cloud, 'local');
    const first = await connect('local');
    const answer = await first.subscribe(chat.sessionId);
    expect(answer).toMatchObject({ type: 'subscribed', sessionId: chat.sessionId, liveInMs: SUBSCRIBER_WINDOW_SECONDS * 1000 + 1000 });
    expect(Math.abs(Date.parse(answer.liveFrom!) - (answer.receivedAt + answer.liveInMs!))).toBeLessThan(5000);
    // A new chat: nothing remembered its session, so the first message's events all reach the first tab.
    const one = (await chat.send('count customers')).body.planId as string;
    await first.waitFor((m) => m.planId === one && m.detailType === 'agent:completed', 'the first plan\'s end');
    expect(first.events(one).map((m) => m.detailType)).toEqual(['task:created', 'task:updated', 'task:completed', 'agent:completed']);

    // A second tab joins while the notifier remembers the session with the first tab only, and a message follows
    // at once: the second tab may miss its events (never out of order), the first gets them all.
    const late = await connect('local');
    const joined = await late.subscribe(chat.sessionId);
    const liveAt = joined.receivedAt + joined.liveInMs!;
    const two = (await chat.send('count customers')).body.planId as string;
    await first.waitFor((m) => m.planId === two && m.detailType === 'agent:completed', 'the second plan\'s end');
    const seen = late.events(two).map((m) => m.detailType);
    expect(['task:created', 'task:updated', 'task:completed', 'agent:completed'].filter((kind) => seen.includes(kind))).toEqual(seen);

    // Catching up as the answer says: at liveFrom, read the plan; from then on every event is pushed.
    await eventually('liveFrom to pass', async () => (Date.now() >= liveAt ? true : undefined), 15_000);
    const caughtUp = await chat.plan(two);
    expect(caughtUp).toMatchObject({ status: 'succeeded', response: expect.stringMatching(/^There are \d+ customers\.$/) });
    const three = (await chat.send('count customers')).body.planId as string;
    await late.waitFor((m) => m.planId === three && m.detailType === 'agent:completed', 'the third plan\'s end on the late tab');
    expect(late.events(three).map((m) => m.detailType)).toEqual(['task:created', 'task:updated', 'task:completed', 'agent:completed']);
  });

  it('removes a connection and its subscriptions on $disconnect', async () => {
    const client = await connect('local');
    await client.subscribe('s-leaving');
    const [id] = await connections.subscribersOf('local', 's-leaving');
    expect(id).toBeDefined();
    expect(await connections.getConnection(id!)).toMatchObject({ tenantId: 'local', sub: 'alice' });
    await client.close();
    await eventually('the connection record to go', async () => ((await connections.getConnection(id!)) === undefined ? true : undefined));
    expect(await connections.subscriptionsOf(id!)).toEqual([]);
  });

  it('deletes a connection that is gone when a push finds it (a $disconnect API Gateway never delivered)', async () => {
    const ghost = { connectionId: 'GhostConn0000A=', tenantId: 'local', sub: 'ghost', connectedAt: new Date().toISOString() };
    await connections.putConnection(ghost);
    await connections.subscribe(ghost, 's-haunted');
    const live = await connect('local');
    await live.subscribe('s-haunted');
    expect((await connections.subscribersOf('local', 's-haunted')).sort()).toContain(ghost.connectionId);

    await publishTo('local', 's-haunted', 'boo');
    await live.waitFor((m) => m.detail?.response === 'boo', 'the event on the live connection');
    await eventually('the gone connection to be removed', async () => ((await connections.getConnection(ghost.connectionId)) === undefined ? true : undefined));
    expect(await connections.subscriptionsOf(ghost.connectionId)).toEqual([]);
    expect(await connections.subscribersOf('local', 's-haunted')).not.toContain(ghost.connectionId);
  });

  // Last: it leaves BC's breaker open for a while, which the other tests must not meet.
  it('pushes the retry notices of a BC outage, the task\'s failure and agent:error, in order', async () => {
    const fault = await fetch(`${cloud.sandbox.url}/_admin/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entitySet: 'vendors', status: 503 }),
    });
    expect(fault.status).toBe(201);
    try {
      const chat = await Chat.open(cloud, 'local');
      const watcher = await connect('local');
      await watcher.subscribe(chat.sessionId);
      const { body } = await chat.send('count vendors');
      await watcher.waitFor((m) => m.planId === body.planId && m.detailType === 'agent:error', 'agent:error', 0, 90_000);
      const pushed = watcher.events(body.planId);
      expect(pushed.map((m) => m.detailType)).toEqual([
        'task:created', 'task:updated', 'task:updated', 'task:updated', 'task:updated', 'task:completed', 'agent:error',
      ]);
      const updates = pushed.filter((m) => m.detailType === 'task:updated').map((m) => m.detail!);
      expect(updates.map((d) => [d.previousStatus, d.status])).toEqual([['dispatched', 'running'], ['running', 'running'], ['running', 'running'], ['running', 'failed']]);
      expect(updates[1]!.reason).toMatch(/retrying in \d+ s \(attempt 1 of 3\)\.$/);
      expect(updates[2]!.reason).toMatch(/retrying in \d+ s \(attempt 2 of 3\)\.$/);
      expect(updates[3]!.reason).toMatch(/^Gave up after 3 attempts/);
      expect(pushed.at(-2)!.detail).toMatchObject({ status: 'failed', error: { code: 'RetriesExhausted' } });
      expect((await chat.plan(body.planId)).status).toBe('failed');
    } finally {
      await fetch(`${cloud.sandbox.url}/_admin/faults`, { method: 'DELETE' });
    }
  });
});
