// GET /v1/approvals for an approver who also asks for many writes: their own requests (which four eyes
// forbids them to decide) must not crowd out the ones they may decide.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalIdForTask, MAX_LISTED } from '../../../../../functions/core/approvals/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { approver, harness, writeRequest } from '../../../../support/approvals.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

describe('the pending list of an approver', () => {
  it('shows what they may decide even behind more than a page of their own requests', async () => {
    const h = harness(dynamo);
    for (let i = 0; i <= MAX_LISTED; i++) await h.service.request(writeRequest('t-crowded', { requestedBy: 'carol' }));
    h.clock.advanceMinutes(1);
    const theirs = writeRequest('t-crowded');
    await h.service.request(theirs);
    const listed = await h.service.list(approver('t-crowded'), 'pending');
    expect(listed.map((a) => a.approvalId)).toEqual([approvalIdForTask(theirs)]);
  });
});
