// Per-user BC access (issue 10 item 2) on the local cloud with BC_ACCESS=delegated, as people use it through the
// HTTP API. alice may read but not write customers in BC: her read runs as ALICE in BC, and her approved create
// fails with BC's own permission error in the plan. carol may write: her approved create is recorded in BC's change
// log with CAROL as the author, and the approver (bob) is recorded with the BC calls in the plan's story. A grant
// revoked while a write waits for approval ends that write with a clear "sign in again" error and nothing written;
// sending the message again works. No token ever appears in the functions' logs or in the plan's events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chat, sandboxGet, startAgentCloud } from '../support/chat.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';
import { call } from '../support/security.js';

let cloud: TestCloud;
let bobApprover: string;
const apiTokens: string[] = [];

beforeAll(async () => {
  cloud = await startAgentCloud({ env: { BC_ACCESS: 'delegated' } });
  bobApprover = await cloud.token({ sub: 'bob', tenant: 'local', roles: ['approver'] });
  apiTokens.push(bobApprover);
});
afterAll(async () => {
  await cloud?.stop();
});

async function chatAs(sub: string): Promise<{ chat: Chat; token: string }> {
  const token = await cloud.token({ sub, tenant: 'local' });
  apiTokens.push(token);
  return { chat: new Chat(cloud, token), token };
}

const customersNamed = async (name: string): Promise<number> =>
  (await sandboxGet(cloud, `customers?$filter=displayName eq '${name.replaceAll("'", "''")}'`)).value.length;

/** Asks for a customer to be created and has bob grant the approval; returns the settled plan. */
async function createApprovedByBob(chat: Chat, name: string, beforeGrant?: () => Promise<void>) {
  const waiting = await chat.ask(`create customer displayName='${name}'`, ['awaiting_approval', 'failed', 'succeeded'], 45_000);
  expect(waiting.status, JSON.stringify(waiting)).toBe('awaiting_approval');
  const approval = await eventually(`the approval of plan ${waiting.planId}`, async () => {
    const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: bobApprover });
    return (listed.body.approvals as { approvalId: string; planId: string }[]).find((a) => a.planId === waiting.planId);
  });
  await beforeGrant?.();
  const granted = await call(cloud, 'POST', `/v1/approvals/${approval.approvalId}`, { token: bobApprover, body: JSON.stringify({ decision: 'grant' }) });
  expect(granted.status, JSON.stringify(granted.body)).toBe(200);
  return chat.until(waiting.planId, ['succeeded', 'failed'], 45_000);
}

/** The plan's story from the audit log (GET /v1/plans/{id}/events), every page. */
async function storyOf(planId: string, token: string): Promise<{ name: string; detail: Record<string, unknown> }[]> {
  return eventually(`the BC calls of plan ${planId} in the audit log`, async () => {
    const answer = await call(cloud, 'GET', `/v1/plans/${planId}/events?limit=100`, { token });
    expect(answer.status).toBe(200);
    const events = answer.body.events as { name: string; detail: Record<string, unknown> }[];
    return events.some((e) => e.name.startsWith('bc:operation:') && e.name !== 'bc:operation:start') ? events : undefined;
  });
}

describe('per-user BC access (BC_ACCESS=delegated)', () => {
  it("runs alice's read as alice in BC", async () => {
    const { chat: alice } = await chatAs('alice');
    cloud.sandbox.clearRequests();
    const plan = await alice.ask('list customers top 2', undefined, 45_000);
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(plan.tasks[0]!.result.value).toHaveLength(2);
    const reads = cloud.sandbox.requests().filter((r) => r.entitySet === 'customers');
    expect(reads.length).toBeGreaterThan(0);
    expect(new Set(reads.map((r) => r.userId))).toEqual(new Set(['ALICE']));
  });

  it("fails alice's approved create with BC's permission error, shown in the plan; nothing is written", async () => {
    const { chat: alice, token } = await chatAs('alice');
    const name = `Alice Co ${Date.now()}`;
    const plan = await createApprovedByBob(alice, name);
    expect(plan.status, JSON.stringify(plan)).toBe('failed');
    const task = plan.tasks[0]!;
    expect(task.status).toBe('failed');
    expect(task.error?.message).toMatch(/current permissions prevented the action\. \(TableData 18 Customer Insert/);
    expect(await customersNamed(name)).toBe(0);
    expect(cloud.sandbox.changes().filter((c) => c.entitySet === 'customers' && c.userId === 'ALICE')).toHaveLength(0);

    // The write ran with alice's rights; bob's approval is recorded with it.
    const story = await storyOf(plan.planId, token);
    const failedCall = story.find((e) => e.name === 'bc:operation:error');
    expect(failedCall?.detail.actingFor).toEqual({ userId: 'alice', access: 'delegated', approvedBy: 'bob' });
  });

  it('ends a write whose grant was revoked while it waited with a clear error; sent again, carol writes as carol', async () => {
    const { chat: carol } = await chatAs('carol');
    const name = `Carol Co ${Date.now()}`;
    // Carol's sign-in sessions are revoked (e.g. her password was reset) while the write waits for bob.
    const revoked = await createApprovedByBob(carol, name, async () => {
      const answer = await fetch(`${cloud.sandbox.url}/_admin/users/carol/revokeSignInSessions`, { method: 'POST' });
      expect(answer.status).toBe(200);
    });
    expect(revoked.status, JSON.stringify(revoked)).toBe('failed');
    expect(revoked.tasks[0]!.error).toMatchObject({ code: 'BcSignInRequired' });
    expect(revoked.tasks[0]!.error!.message).toMatch(/on behalf of carol could not be renewed: AADSTS50173: .*revoked.*send the message again/s);
    expect(await customersNamed(name)).toBe(0);

    // Nothing was lost: the same message again (a fresh sign-in) is approved and written, with carol as its author.
    const done = await createApprovedByBob(carol, name);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(await customersNamed(name)).toBe(1);
    const created = done.tasks[0]!.result as { id: string; number: string };
    const entry = cloud.sandbox.changes().find((c) => c.entitySet === 'customers' && c.recordId === created.id && c.typeOfChange === 'Insertion');
    expect(entry).toMatchObject({ userId: 'CAROL', principal: 'user' });
    // The same entry through the sandbox's admin route, as an operator reads it.
    const logged = (await (await fetch(`${cloud.sandbox.url}/_admin/changes`)).json()) as { value: { recordId: string; userId: string }[] };
    expect(logged.value.find((c) => c.recordId === created.id)?.userId).toBe('CAROL');
  });

  it("writes carol's purchase order, lines included, as carol; alice's is refused by BC and leaves nothing", async () => {
    const vendor = (await sandboxGet(cloud, `vendors?$filter=${encodeURIComponent("blocked ne 'All'")}&$top=1`)).value[0] as { number: string };
    const item = (await sandboxGet(cloud, `items?$filter=${encodeURIComponent("type eq 'Inventory' and blocked eq false")}&$orderby=number&$top=1`)).value[0] as { number: string };
    const orderBy = async (sub: string) => {
      const { chat } = await chatAs(sub);
      const waiting = await chat.ask(`create purchase order for vendor ${vendor.number}: 2 x ${item.number}`, ['awaiting_approval', 'failed', 'succeeded'], 45_000);
      expect(waiting.status, JSON.stringify(waiting)).toBe('awaiting_approval');
      const approval = await eventually(`the approval of plan ${waiting.planId}`, async () => {
        const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: bobApprover });
        return (listed.body.approvals as { approvalId: string; planId: string }[]).find((a) => a.planId === waiting.planId);
      });
      const granted = await call(cloud, 'POST', `/v1/approvals/${approval.approvalId}`, { token: bobApprover, body: JSON.stringify({ decision: 'grant' }) });
      expect(granted.status, JSON.stringify(granted.body)).toBe(200);
      return chat.until(waiting.planId, ['succeeded', 'failed'], 60_000);
    };

    const before = cloud.sandbox.changes().length;
    const carols = await orderBy('carol');
    expect(carols.status, JSON.stringify(carols)).toBe('succeeded');
    const written = cloud.sandbox.changes().slice(before).filter((c) => c.entitySet === 'purchaseOrders' || c.entitySet === 'purchaseOrderLines');
    expect(new Set(written.map((c) => c.entitySet))).toEqual(new Set(['purchaseOrders', 'purchaseOrderLines']));
    // Every write of the saga, the order and its line, has carol as its author: none was made as the app.
    expect(new Set(written.map((c) => c.userId))).toEqual(new Set(['CAROL']));

    const ordersBefore = (await sandboxGet(cloud, 'purchaseOrders?$count=true&$top=0'))['@odata.count'];
    const changesBefore = cloud.sandbox.changes().length;
    const alices = await orderBy('alice');
    expect(alices.status, JSON.stringify(alices)).toBe('failed');
    expect(JSON.stringify(alices)).toMatch(/current permissions prevented the action/);
    expect((await sandboxGet(cloud, 'purchaseOrders?$count=true&$top=0'))['@odata.count']).toBe(ordersBefore);
    expect(cloud.sandbox.changes().slice(changesBefore)).toEqual([]);
  });

  it('keeps every token out of the logs and the events', async () => {
    const { chat: bob, token } = await chatAs('bob');
    const plan = await bob.ask('count customers', undefined, 45_000);
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    const story = await storyOf(plan.planId, token);
    const text = `${cloud.logs.join('\n')}\n${JSON.stringify(story)}`;
    expect(text).not.toMatch(/bcsbx(-rt)?\./);
    for (const token of apiTokens) expect(text).not.toContain(token);
    expect(text).not.toContain(cloud.sandbox.clientSecret);
  });
});
