// An approval whose waiter is gone is never "granted" for nothing: a decision for a plan or task that has
// ended, or for a saga whose token is no longer heard, answers ApprovalWaiterGone and closes the approval.
import { describe, expect, it } from 'vitest';
import { ApprovalError, ApprovalService, ApprovalStore, DEFAULT_APPROVAL_SETTINGS, planWaiterCheck, type SagaWaiter } from '../../../../../functions/core/approvals/index.js';
import { storePlan, TENANT, withTestStore } from '../../../../support/execution.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { approver, recordingBus, testClock } from '../../../../support/approvals.js';
import { type StateStore, type StoredPlan } from '../../../../../functions/core/store/index.js';

let dynamo: TestDynamo;
let state: StateStore;

withTestStore((fixture) => ({ dynamo, store: state } = fixture));

function service(saga: SagaWaiter) {
  const bus = recordingBus();
  const store = new ApprovalStore(dynamo.doc, dynamo.tables.APPROVALS_TABLE);
  // The real clock: the plans are stored at real time.
  const clock = testClock(Date.now());
  const approvals = new ApprovalService({ store, publisher: bus, settings: DEFAULT_APPROVAL_SETTINGS, saga, waiting: planWaiterCheck(state.plans), now: clock.now });
  return { approvals, store, bus };
}

const heard: SagaWaiter = { succeed: async () => true, fail: async () => true };
const notHeard: SagaWaiter = { succeed: async () => false, fail: async () => false };

const write = { summary: 'create customer', tasks: [{ id: 'w1', type: 'write', description: 'Create customer Fabrikam', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } }] } as const;

async function waitingWrite(): Promise<StoredPlan> {
  const plan = await storePlan(state, write);
  await state.plans.transitionTask(TENANT, plan.planId, 'w1', 'awaiting_approval', { from: ['dispatched'] });
  return plan;
}

const requestFor = (plan: StoredPlan, taskToken?: string) => ({
  tenantId: TENANT, sessionId: plan.sessionId, planId: plan.planId, taskId: 'w1', correlationId: plan.correlationId, requestedBy: 'alice',
  operation: { tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } }, summary: 'Create a customer',
  ...(taskToken ? { taskToken } : {}),
});

async function refusal(promise: Promise<unknown>): Promise<ApprovalError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApprovalError);
  return error as ApprovalError;
}

describe('an approval whose waiter is gone', () => {
  it('is granted while its task still waits', async () => {
    const { approvals, bus } = service(heard);
    const plan = await waitingWrite();
    const { approvalId } = await approvals.request(requestFor(plan));
    expect((await approvals.decide(approver(TENANT), approvalId, 'grant')).status).toBe('granted');
    expect(bus.names()).toContain('approval:granted');
  });

  it('is refused and closed when its task has ended (failed by the plan sweeper), for a grant and again after', async () => {
    const { approvals, bus } = service(heard);
    const plan = await waitingWrite();
    const { approvalId } = await approvals.request(requestFor(plan));
    await state.plans.transitionTask(TENANT, plan.planId, 'w1', 'failed', { error: { code: 'ApprovalExpired', message: 'Not written: the approval was not given in time.' } });
    bus.clear();
    const error = await refusal(approvals.decide(approver(TENANT), approvalId, 'grant'));
    expect(error.kind).toBe('waiter_gone');
    expect(error.message).toMatch(/task w1 has ended \(failed: Not written/);
    const closed = await approvals.current(TENANT, approvalId);
    expect(closed).toMatchObject({ status: 'expired', closedReason: expect.stringMatching(/has ended/), toldAt: expect.any(String) });
    expect(bus.names()).toEqual([]);
    // Asked again (or denied): the same answer, still nothing announced; the approval no longer lists as pending.
    expect((await refusal(approvals.decide(approver(TENANT), approvalId, 'grant'))).kind).toBe('waiter_gone');
    expect((await refusal(approvals.decide(approver(TENANT), approvalId, 'deny'))).kind).toBe('waiter_gone');
    expect((await approvals.list(approver(TENANT), 'pending')).map((a) => a.approvalId)).not.toContain(approvalId);
    expect(bus.names()).toEqual([]);
  });

  it('is refused and closed when its plan was cancelled', async () => {
    const { approvals } = service(heard);
    const plan = await waitingWrite();
    const { approvalId } = await approvals.request(requestFor(plan));
    await state.plans.transitionPlan(TENANT, plan.planId, 'cancelled');
    const error = await refusal(approvals.decide(approver(TENANT), approvalId, 'grant'));
    expect(error.message).toMatch(/plan .* has ended \(cancelled\)/);
  });

  it('is refused and closed when the saga no longer hears its token, and announces no grant', async () => {
    const { approvals, bus } = service(notHeard);
    const plan = await waitingWrite();
    const { approvalId } = await approvals.request(requestFor(plan, 'token-of-a-dead-execution'));
    bus.clear();
    const error = await refusal(approvals.decide(approver(TENANT), approvalId, 'grant'));
    expect(error.kind).toBe('waiter_gone');
    expect(error.message).toMatch(/saga no longer waits/);
    expect(await approvals.current(TENANT, approvalId)).toMatchObject({ status: 'expired', closedReason: expect.stringMatching(/saga no longer waits/) });
    expect(bus.names()).toEqual([]);
    // The expiry sweep has nothing to re-announce for it.
    await approvals.expireOverdue();
    expect(bus.names()).toEqual([]);
  });
});
