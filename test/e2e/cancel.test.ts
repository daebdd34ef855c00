// Cancel on the local cloud, through the HTTP API (issue 11, "Must show"): a purchase-order saga waiting for its
// approval and a single write waiting for its approval are cancelled; their approvals are closed (a later grant
// is refused), the saga ends without writing, and the BC sandbox is as before (no write request reached it).
// The plan's story (GET /v1/plans/{id}/events) and a query's record links are read from the same cloud.
import { describe, expect, it } from 'vitest';
import { Chat, sandboxGet, withAgentCloud } from '../support/chat.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';
import { bcWrites, call } from '../support/security.js';

let cloud: TestCloud;
let alice: Chat;
let tokens: { alice: string; carol: string; dave: string };

withAgentCloud(async (started) => {
  cloud = started;
  alice = await Chat.open(cloud, 'local', 'alice');
  tokens = {
    alice: await cloud.token({ sub: 'alice', tenant: 'local' }),
    carol: await cloud.token({ sub: 'carol', tenant: 'local', roles: ['approver'] }),
    dave: await cloud.token({ sub: 'dave', tenant: 'local' }),
  };
});

interface StoryEvent {
  name: string;
  taskId?: string;
  detail: Record<string, unknown>;
}

const story = async (planId: string): Promise<StoryEvent[]> => {
  const answer = await call(cloud, 'GET', `/v1/plans/${planId}/events?limit=500`, { token: tokens.alice });
  expect(answer.status).toBe(200);
  return answer.body.events as StoryEvent[];
};

describe('DELETE /v1/plans/{planId} on the local cloud', () => {
  it('cancels a saga and a single write waiting for approval: approvals closed, nothing written to BC', async () => {
    const ordersBefore = await sandboxGet(cloud, 'purchaseOrders/$count');
    const writesBefore = bcWrites(cloud);

    const order = await alice.askForApproval('create purchase order for vendor 20000: 5 x 1896-S at EAST');
    const write = await alice.askForApproval("create customer displayName='Cancelled Co'");

    // The requester sees what they wait for: in the plan view and in their own approvals.
    const view = await call(cloud, 'GET', `/v1/plans/${order.planId}`, { token: tokens.alice });
    const reason = view.body.tasks[0].statusReason;
    expect(reason).toMatchObject({ kind: 'awaiting_approval', approval: { status: 'pending', requestedBy: 'alice' } });
    const sagaApproval: string = reason.approval.approvalId;
    const mine = await call(cloud, 'GET', '/v1/approvals?mine=true', { token: tokens.alice });
    expect(mine.body.approvals.map((a: { approvalId: string }) => a.approvalId)).toContain(sagaApproval);

    // Another user of the tenant may not cancel; the requester may, once.
    expect((await call(cloud, 'DELETE', `/v1/plans/${order.planId}`, { token: tokens.dave })).status).toBe(403);
    const cancelled = await call(cloud, 'DELETE', `/v1/plans/${order.planId}`, { token: tokens.alice });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.cancellation.closedApprovals).toEqual([{ approvalId: sagaApproval, taskId: order.tasks[0]!.id }]);
    expect((await call(cloud, 'DELETE', `/v1/plans/${order.planId}`, { token: tokens.alice })).status).toBe(409);

    const writeView = await call(cloud, 'GET', `/v1/plans/${write.planId}`, { token: tokens.alice });
    const writeApproval: string = writeView.body.tasks[0].statusReason.approval.approvalId;
    // An approver of the tenant may cancel too.
    expect((await call(cloud, 'DELETE', `/v1/plans/${write.planId}`, { token: tokens.carol })).status).toBe(200);

    // A grant after the cancel cannot write.
    for (const approvalId of [sagaApproval, writeApproval]) {
      const grant = await call(cloud, 'POST', `/v1/approvals/${approvalId}`, { token: tokens.carol, body: JSON.stringify({ decision: 'grant' }) });
      expect(grant.status).toBe(409);
      expect(grant.body.error.code).toBe('ApprovalWaiterGone');
    }

    // The saga, failed on its token, ends without writing: its failure is in the plan's story (the audit
    // consumer records events as they arrive, so the story is read until both ends are in it).
    const events = await eventually('the saga to report its end', async () => {
      const recorded = await story(order.planId);
      return recorded.some((e) => e.name === 'task:completed') && recorded.some((e) => e.name === 'agent:completed') ? recorded : undefined;
    }, 45_000);
    expect(events.find((e) => e.name === 'task:completed')!.detail).toMatchObject({ status: 'failed' });
    expect(events.map((e) => e.name)).toEqual(expect.arrayContaining(['agent:started', 'approval:requested', 'task:updated', 'approval:closed', 'agent:completed']));
    expect(events.find((e) => e.name === 'agent:completed')!.detail).toMatchObject({ status: 'cancelled' });

    // The plans stay cancelled, and BC is as before: no write request reached the sandbox.
    expect((await alice.plan(order.planId)).status).toBe('cancelled');
    expect((await alice.plan(write.planId)).status).toBe('cancelled');
    expect(await sandboxGet(cloud, 'purchaseOrders/$count')).toBe(ordersBefore);
    expect((await sandboxGet(cloud, "customers?$filter=displayName eq 'Cancelled Co'")).value).toEqual([]);
    expect(bcWrites(cloud)).toEqual(writesBefore);

    // Another tenant cannot read the story.
    const mallory = await cloud.token({ sub: 'mallory', tenant: 'elsewhere' });
    expect((await call(cloud, 'GET', `/v1/plans/${order.planId}/events`, { token: mallory })).status).toBe(404);
  });

  it("links a query's records to the stage's BC web client (locally the sandbox)", async () => {
    const plan = await alice.ask('list customers top 2', ['succeeded', 'failed'], 45_000);
    expect(plan.status).toBe('succeeded');
    const view = await call(cloud, 'GET', `/v1/plans/${plan.planId}`, { token: tokens.alice });
    const links = view.body.tasks[0].links as { id: string; url: string }[];
    expect(links).toHaveLength(2);
    for (const link of links) {
      const url = new URL(link.url);
      expect(`${url.origin}`).toBe(new URL(cloud.sandbox.url).origin);
      expect(url.pathname).toBe(`/${cloud.sandbox.tenant}/${cloud.sandbox.environment}/`);
      expect(url.searchParams.get('page')).toBe('21');
      expect(url.searchParams.get('filter')).toBe(`'SystemId' IS '${link.id}'`);
    }
    expect(view.body.links).toEqual(links);
  });
});
