// The purchase-order saga end to end on the local cloud, as a chat front-end drives it, with the offline
// planner: `create purchase order for vendor <no>: <qty> x <item>, <qty> x <item>` (lines without a location:
// the local cloud gives the saga steps SAGA_DEFAULT_LOCATION_CODE=MAIN, as the sandbox's demo company has
// several locations, exactly as `npm start` does) waits
// at awaiting_approval with a readable summary and nothing in BC; an approver of the tenant grants it through
// POST /v1/approvals/{id}; the saga runs, and BC, read straight from the sandbox, has exactly one new order
// with those lines; the plan ends succeeded with an answer. The dev stage runs the saga as a standard tenant
// allows (saga.reservations off, the sandbox without the itemReservations extension, which it never calls);
// the shape with reservations is test/saga/saga-shapes.test.ts.
//
// test/e2e/approvals.test.ts covers the approval rules around a saga (four eyes, other tenants, deny, expiry,
// a contrary decision) with one line at an explicit location and counts orders only; this file checks what
// the order in BC holds, with several lines and the default location.
import { describe, expect, it } from 'vitest';
import { Chat, sandboxGet, withAgentCloud } from '../support/chat.js';
import { call } from '../support/security.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';

const DEFAULT_LOCATION = 'MAIN';

let cloud: TestCloud;
let alice: Chat;
let approverToken: string;

withAgentCloud(async (started) => {
  cloud = started;
  alice = await Chat.open(cloud, 'local', 'alice');
  approverToken = await cloud.token({ sub: 'carol', tenant: 'local', roles: ['approver'] });
});


describe('a purchase order through the chat', () => {
  it('waits for an approver, then the saga makes exactly one order with its lines', async () => {
    const locations = (await sandboxGet(cloud, 'locations?$select=id,code')).value as { id: string; code: string }[];
    expect(locations.length, 'the demo company has several locations').toBeGreaterThan(1);
    const location = locations.find((l) => l.code === DEFAULT_LOCATION)!;
    expect(location).toBeDefined();
    const vendor = (await sandboxGet(cloud, `vendors?$filter=${encodeURIComponent("blocked ne 'All'")}&$top=1`)).value[0] as { id: string; number: string; displayName: string };
    const stocked = (await sandboxGet(cloud, `items?$filter=${encodeURIComponent("type eq 'Inventory' and blocked eq false and inventory gt 10")}&$orderby=number&$top=2`)).value as { id: string; number: string }[];
    expect(stocked).toHaveLength(2);
    const wanted = [
      { item: stocked[0]!, quantity: 3 },
      { item: stocked[1]!, quantity: 2 },
    ];
    const ordersBefore = (await sandboxGet(cloud, `purchaseOrders?$select=id`)).value as { id: string }[];
    cloud.sandbox.resetStats();

    const text = `create purchase order for vendor ${vendor.number}: ${wanted.map((w) => `${w.quantity} x ${w.item.number}`).join(', ')}`;
    const waiting = await alice.askForApproval(text);
    expect(waiting.tasks).toHaveLength(1);
    expect(waiting.tasks[0]).toMatchObject({ tool: 'saga_purchase_order', status: 'awaiting_approval' });
    // Nothing reached BC but reads.
    expect(Object.keys(cloud.sandbox.stats().byRoute).filter((route) => !route.startsWith('GET '))).toEqual([]);
    expect((await sandboxGet(cloud, 'purchaseOrders/$count'))).toBe(ordersBefore.length);

    // The approver sees what they are asked to approve, in words.
    const approval = await eventually(`the approval of plan ${waiting.planId}`, async () => {
      const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: approverToken });
      expect(listed.status).toBe(200);
      return (listed.body.approvals as { approvalId: string; planId: string; summary: string }[]).find((a) => a.planId === waiting.planId);
    });
    expect(approval.summary).toBe(
      `Purchase order for vendor ${vendor.number} (${vendor.displayName}): ` +
        wanted.map((w) => `${w.quantity} × ${w.item.number} at ${DEFAULT_LOCATION}`).join(', '),
    );

    const granted = await call(cloud, 'POST', `/v1/approvals/${approval.approvalId}`, { token: approverToken, body: JSON.stringify({ decision: 'grant' }) });
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(granted.body).toMatchObject({ status: 'granted', decidedBy: 'carol' });

    const done = await alice.until(waiting.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.tasks[0]!.status).toBe('succeeded');

    // Exactly one new order in BC, for that vendor, with those lines at the default location.
    const ordersAfter = (await sandboxGet(cloud, `purchaseOrders?$select=id,number,vendorNumber`)).value as { id: string; number: string; vendorNumber: string }[];
    const known = new Set(ordersBefore.map((o) => o.id));
    const created = ordersAfter.filter((o) => !known.has(o.id));
    expect(created).toHaveLength(1);
    const order = created[0]!;
    expect(order.vendorNumber).toBe(vendor.number);
    expect(done.response).toBe(`Created purchase order ${order.number} for vendor ${vendor.number} with 2 lines.`);

    const lines = (await sandboxGet(cloud, `purchaseOrders(${order.id})/purchaseOrderLines`)).value as Record<string, any>[];
    expect(lines.map((l) => ({ itemId: l.itemId, quantity: l.quantity, locationId: l.locationId })).sort((a, b) => a.itemId.localeCompare(b.itemId))).toEqual(
      wanted.map((w) => ({ itemId: w.item.id, quantity: w.quantity, locationId: location.id })).sort((a, b) => a.itemId.localeCompare(b.itemId)),
    );

    // A standard tenant: the extension's API is not there, and the saga never asked for it.
    expect(cloud.sandbox.itemReservationsApi()).toBe(false);
    expect(Object.keys(cloud.sandbox.stats().byRoute).filter((route) => route.includes('itemReservations'))).toEqual([]);
  });
});
