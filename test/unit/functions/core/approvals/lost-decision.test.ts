// A decision is recorded first and announced second. When the announcement fails in between (the bus or Step
// Functions is down), the sweep must announce it later: otherwise the waiting write or saga never hears it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAGA_TOOL } from '../../../../../functions/core/plan/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { approver, harness, writeRequest } from '../../../../support/approvals.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  // The sweep sees every tenant: a table of its own.
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

describe('a decision whose announcement failed', () => {
  it('is announced by the next sweep, once, for a grant and for an expiry', async () => {
    const h = harness(dynamo);
    const granted = await h.service.request(writeRequest('t-lost-grant'));
    const order = { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5 }] };
    await h.service.request(
      writeRequest('t-lost-expiry', { operation: { tool: SAGA_TOOL, arguments: order }, summary: 'a purchase order', taskToken: 'token-1', approvalId: 'po-lost' }),
    );

    const publish = h.bus.publish.bind(h.bus);
    h.bus.publish = async () => Promise.reject(new Error('bus down'));
    await expect(h.service.decide(approver('t-lost-grant'), granted.approvalId, 'grant')).rejects.toThrow(/bus down/);
    h.clock.advanceMinutes(20);
    await expect(h.service.expireOverdue()).rejects.toThrow();
    expect((await h.store.get('t-lost-grant', granted.approvalId))?.status).toBe('granted');
    expect((await h.store.get('t-lost-expiry', 'po-lost'))?.status).toBe('expired');

    h.bus.publish = publish;
    h.bus.clear();
    // The next sweeps, a few minutes later.
    h.clock.advanceMinutes(2);
    h.saga.calls.splice(0);
    await h.service.expireOverdue();
    expect(h.bus.names().sort()).toEqual(['approval:expired', 'approval:granted']);
    expect(h.saga.calls).toMatchObject([{ kind: 'fail', token: 'token-1' }]);

    // Told once: a later sweep has nothing left to say.
    h.bus.clear();
    await h.service.expireOverdue();
    expect(h.bus.names()).toEqual([]);
  });

  it('is not re-announced by a sweep while its decider may still be announcing it', async () => {
    const h = harness(dynamo);
    const ok = await h.service.request(writeRequest('t-told'));
    await h.service.decide(approver('t-told'), ok.approvalId, 'deny');
    h.bus.clear();
    await h.service.expireOverdue();
    expect(h.bus.events.filter((e) => e.detail.tenantId === 't-told')).toEqual([]);
  });
});
