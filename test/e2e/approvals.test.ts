// The approval scenarios of issue 6 on the local cloud, through the HTTP API. `create customer
// displayName='…'` waits at awaiting_approval with nothing in BC; an approver of the tenant grants it and the
// customer exists exactly once (approval:granted resumes it through the write queue). A purchase-order saga
// waits in its .waitForTaskToken step until an approver decides; a grant runs it (the order exists once). A
// denial or an expiry ends either with nothing written; the requester cannot approve their own write (403);
// another tenant's approver gets 404; a second, contrary decision is refused and changes nothing.
import { describe, expect, it } from 'vitest';
import { Chat, sandboxGet, withAgentCloud } from '../support/chat.js';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { approvalKey } from '../../functions/core/approvals/index.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';
import { bcWrites, call, documentClient, tableName } from '../support/security.js';
import type { Approval } from '../../web/src/api.js';

let cloud: TestCloud;
let alice: Chat;
let tokens: { carol: string; aliceApprover: string; mallory: string };

withAgentCloud(async (started) => {
  cloud = started;
  alice = await Chat.open(cloud, 'local', 'alice');
  tokens = {
    carol: await cloud.token({ sub: 'carol', tenant: 'local', roles: ['approver'] }),
    // The requester, even holding the approver role, may not approve her own write.
    aliceApprover: await cloud.token({ sub: 'alice', tenant: 'local', roles: ['approver'] }),
    mallory: await cloud.token({ sub: 'mallory', tenant: 'elsewhere', roles: ['approver'] }),
  };
});

/** An approval as GET /v1/approvals lists it (docs/openapi.json `Approval`). */
type ListedApproval = Approval;

/** The pending approval of a plan, as an approver of the tenant sees it. */
function approvalOf(planId: string): Promise<ListedApproval> {
  return eventually(`the approval of plan ${planId}`, async () => {
    const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: tokens.carol });
    expect(listed.status).toBe(200);
    return (listed.body.approvals as ListedApproval[]).find((a) => a.planId === planId);
  });
}

const decide = (approvalId: string, token: string, decision: 'grant' | 'deny', reason?: string) =>
  call(cloud, 'POST', `/v1/approvals/${approvalId}`, { token, body: JSON.stringify({ decision, ...(reason ? { reason } : {}) }) });

/** Customers named exactly `name`, as BC has them. */
const customersNamed = async (name: string): Promise<number> =>
  (await sandboxGet(cloud, `customers?$filter=displayName eq '${name.replaceAll("'", "''")}'`)).value.length;

async function waitingWrite(name: string) {
  const plan = await alice.askForApproval(`create customer displayName='${name}'`);
  expect(plan.tasks[0]).toMatchObject({ tool: 'bc_create_entity', status: 'awaiting_approval' });
  expect(await customersNamed(name)).toBe(0);
  return { plan, approval: await approvalOf(plan.planId) };
}

const purchaseOrders = (): Promise<number> => sandboxGet(cloud, 'purchaseOrders/$count');

/** Moves an approval's deadline into the past, as if its 15 minutes had gone by. */
async function letExpire(approvalId: string): Promise<void> {
  await documentClient(cloud).send(
    new UpdateCommand({
      TableName: tableName(cloud, 'TablesApprovals'),
      Key: approvalKey('local', approvalId),
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    }),
  );
}

describe('a purchase-order saga waits for a person', () => {
  it('runs once an approver of the tenant grants it; the requester and other tenants cannot decide', async () => {
    const before = await purchaseOrders();
    const waiting = await alice.askForApproval('create purchase order for vendor 20000: 5 x 1896-S at EAST');
    expect(waiting.tasks[0]).toMatchObject({ tool: 'saga_purchase_order', status: 'awaiting_approval' });

    const approval = await approvalOf(waiting.planId);
    expect(approval).toMatchObject({
      taskId: waiting.tasks[0]!.id,
      requestedBy: 'alice',
      status: 'pending',
      operation: { tool: 'saga_purchase_order', arguments: { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5, locationCode: 'EAST' }] } },
    });
    expect(approval.summary).toMatch(/purchase order/i);
    expect(await purchaseOrders()).toBe(before);

    expect((await decide(approval.approvalId, tokens.aliceApprover, 'grant')).status).toBe(403);
    expect((await decide(approval.approvalId, tokens.mallory, 'grant')).status).toBe(404);
    const granted = await decide(approval.approvalId, tokens.carol, 'grant', 'vendor confirmed');
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(granted.body).toMatchObject({ approvalId: approval.approvalId, status: 'granted', decidedBy: 'carol' });

    const done = await alice.until(waiting.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(await purchaseOrders()).toBe(before + 1);

    // A second, contrary decision is refused and changes nothing; the same one again is answered alike.
    expect((await decide(approval.approvalId, tokens.carol, 'deny')).status).toBe(409);
    expect((await decide(approval.approvalId, tokens.carol, 'grant')).body).toMatchObject({ status: 'granted', decidedBy: 'carol' });
    expect(await purchaseOrders()).toBe(before + 1);
  });

  it('ends with nothing written when the approver denies it', async () => {
    const before = await purchaseOrders();
    cloud.sandbox.resetStats();
    const waiting = await alice.askForApproval('create purchase order for vendor 20000: 2 x 1900-S at EAST');
    const approval = await approvalOf(waiting.planId);
    const denied = await decide(approval.approvalId, tokens.carol, 'deny', 'not this quarter');
    expect(denied.body).toMatchObject({ status: 'denied', reason: 'not this quarter' });

    const done = await alice.until(waiting.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status).toBe('failed');
    expect(done.tasks[0]!.status).toBe('failed');
    expect(await purchaseOrders()).toBe(before);
    expect(bcWrites(cloud)).toEqual({});
    expect((await decide(approval.approvalId, tokens.carol, 'grant')).status).toBe(409);
  });

  it('ends with nothing written when nobody decides in time', async () => {
    const before = await purchaseOrders();
    cloud.sandbox.resetStats();
    const waiting = await alice.askForApproval('create purchase order for vendor 20000: 1 x 1896-S at EAST');
    const approval = await approvalOf(waiting.planId);
    await letExpire(approval.approvalId);

    // Looking at the list records the expiry (as the scheduled sweep does), and the saga hears it.
    const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: tokens.carol });
    expect(JSON.stringify(listed.body)).not.toContain(approval.approvalId);
    const late = await decide(approval.approvalId, tokens.carol, 'grant');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/expired/);

    const done = await alice.until(waiting.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status).toBe('failed');
    expect(await purchaseOrders()).toBe(before);
    expect(bcWrites(cloud)).toEqual({});
  });
});

describe('a single write waits for a person', () => {
  it('is written exactly once after an approver of the tenant grants it', async () => {
    const name = 'Approval Grant Co';
    const { plan, approval } = await waitingWrite(name);
    expect(approval).toMatchObject({
      requestedBy: 'alice',
      status: 'pending',
      operation: { tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: name } } },
    });
    expect(approval.summary).toContain(name);

    expect((await decide(approval.approvalId, tokens.aliceApprover, 'grant')).status).toBe(403);
    expect((await decide(approval.approvalId, tokens.mallory, 'grant')).status).toBe(404);
    expect((await decide(approval.approvalId, tokens.carol, 'grant')).status).toBe(200);

    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(await customersNamed(name)).toBe(1);
    expect((await decide(approval.approvalId, tokens.carol, 'deny')).status).toBe(409);
    expect((await decide(approval.approvalId, tokens.carol, 'grant')).status).toBe(200);
    expect(await customersNamed(name)).toBe(1);
  });

  it('writes nothing when denied', async () => {
    const name = 'Approval Deny Co';
    const { plan, approval } = await waitingWrite(name);
    expect((await decide(approval.approvalId, tokens.carol, 'deny')).status).toBe(200);
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status).toBe('failed');
    expect(done.tasks[0]!.error?.code).toBe('ApprovalDenied');
    expect((await decide(approval.approvalId, tokens.carol, 'grant')).status).toBe(409);
    expect(await customersNamed(name)).toBe(0);
  });

  it('writes nothing when nobody decides in time', async () => {
    const name = 'Approval Expiry Co';
    const { plan, approval } = await waitingWrite(name);
    await letExpire(approval.approvalId);
    expect((await decide(approval.approvalId, tokens.carol, 'grant')).status).toBe(409);
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status).toBe('failed');
    expect(done.tasks[0]!.error?.code).toBe('ApprovalExpired');
    expect(await customersNamed(name)).toBe(0);
  });
});
