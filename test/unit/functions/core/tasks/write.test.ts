// The write worker's record handling (functions/core/execution) with the real approval gate over the
// approvals table, on dynalite, with a fake MCP client that counts calls: a write reaches BC only after an
// approver granted exactly that operation, once however often its messages are delivered, and never after a
// denial or when the arguments it would run are not the ones approved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '../../../../../functions/core/events/index.js';
import { createTaskRecordHandler } from '../../../../../functions/core/task-runtime/index.js';
import { summarizeWrite } from '../../../../../functions/core/tasks/index.js';
import { writeExecutor } from '../../../../../functions/core/tasks/index.js';
import { ApprovalService, ApprovalStore, approvalGate, approvalIdForTask, DEFAULT_APPROVAL_SETTINGS } from '../../../../../functions/core/approvals/index.js';
import { createSqsBatchHandler } from '../../../../../functions/core/queue/index.js';
import type { StateStore, StoredPlan } from '../../../../../functions/core/store/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { recordingPublisher, silentLogger, storePlan, TENANT, taskCreated, testOnce, testStore } from '../../../../support/execution.js';
import { fakeMcp, recordingSqs, sqsRecord, type FakeMcp } from '../../../../support/workers.js';
import { recordingBus, recordingSaga } from '../../../../support/approvals.js';

let dynamo: TestDynamo;
let store: StateStore;
let approvals: ApprovalService;
let approvalStore: ApprovalStore;
const bus = recordingBus();

beforeAll(async () => {
  dynamo = await startDynamo();
  store = testStore(dynamo);
  approvalStore = new ApprovalStore(dynamo.doc, dynamo.tables.APPROVALS_TABLE);
  approvals = new ApprovalService({ store: approvalStore, publisher: bus, settings: DEFAULT_APPROVAL_SETTINGS, saga: recordingSaga() });
});
afterAll(async () => {
  await dynamo?.stop();
});

const CREATED = { id: '7b1e6a52-0000-4000-8000-000000000001', number: 'C0042', displayName: 'Fabrikam' };
const carol = { sub: 'carol', tenantId: TENANT, roles: ['approver'] };

/** The write worker over the real gate; `completed()` is what it reported (plan progress records it on the task). */
function writeWorker(mcp: FakeMcp) {
  const published = recordingPublisher();
  const handle = createSqsBatchHandler(
    createTaskRecordHandler(
      { store, publisher: published, logger: silentLogger(), once: testOnce(dynamo, 'task'), mcp, executors: { write: writeExecutor({ gate: approvalGate(approvals) }) }, maxReceiveCount: 3, random: () => 1 },
      { resumeOnApproval: true },
    ),
    { sqs: recordingSqs().client, logger: silentLogger() },
  );
  return {
    deliver: (...records: SQSEvent['Records']) => handle({ Records: records }),
    completed: () => published.named('task:completed').map((e) => e.detail),
  };
}

const createCustomer = (displayName: string) => ({
  summary: `create customer ${displayName}`,
  tasks: [{ id: 't1', type: 'write', description: 'Create customer', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName } } }],
});

const taskOf = async (plan: StoredPlan) => (await store.plans.getPlan(TENANT, plan.planId))!.tasks[0]!;
const approvalIdOf = (plan: StoredPlan) => approvalIdForTask({ tenantId: TENANT, planId: plan.planId, taskId: 't1' });
const lastEvent = <N extends DomainEvent['name']>(name: N) => bus.events.filter((e) => e.name === name).at(-1) as DomainEvent<N>;

describe('a single write behind the approval gate', () => {
  it('waits for a person, then writes exactly the approved operation, once', async () => {
    const mcp = fakeMcp(() => CREATED);
    const { deliver, completed } = writeWorker(mcp);
    const plan = await storePlan(store, createCustomer('Fabrikam'));
    const created = sqsRecord(taskCreated(plan, 't1'));

    await deliver(created);
    await deliver({ ...created, attributes: { ...created.attributes, ApproximateReceiveCount: '2' } });
    expect(mcp.calls).toEqual([]);
    expect((await taskOf(plan)).status).toBe('awaiting_approval');
    const record = await approvalStore.get(TENANT, approvalIdOf(plan));
    expect(record).toMatchObject({
      status: 'pending',
      requestedBy: 'alice',
      summary: summarizeWrite('bc_create_entity', { entity: 'customers', data: { displayName: 'Fabrikam' } }),
      operation: { tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } },
    });
    // Redelivered, the task still has the one approval.
    expect((await approvalStore.listByStatus(TENANT, 'pending', 100)).filter((a) => a.planId === plan.planId)).toHaveLength(1);

    await approvals.decide(carol, approvalIdOf(plan), 'grant');
    const granted = sqsRecord(lastEvent('approval:granted'));
    await deliver(granted);
    await deliver({ ...granted, attributes: { ...granted.attributes, ApproximateReceiveCount: '2' } });
    expect(mcp.calls).toEqual([{ tool: 'bc_create_entity', args: { entity: 'customers', data: { displayName: 'Fabrikam' } } }]);
    // The redelivery reports the first write's result again (plan progress records one completion).
    expect(completed().length).toBeGreaterThan(0);
    for (const completion of completed()) expect(completion).toMatchObject({ taskId: 't1', status: 'succeeded', result: CREATED });
  });

  it('never writes a denied operation', async () => {
    const mcp = fakeMcp(() => CREATED);
    const { deliver, completed } = writeWorker(mcp);
    const plan = await storePlan(store, createCustomer('Northwind'));
    await deliver(sqsRecord(taskCreated(plan, 't1')));
    await approvals.decide(carol, approvalIdOf(plan), 'deny', 'duplicate');
    // Even a stray approval:granted for the task (forged or replayed) finds the decision is a denial.
    await deliver(sqsRecord({ ...lastEvent('approval:denied'), name: 'approval:granted' } as DomainEvent<'approval:granted'>));
    expect(mcp.calls).toEqual([]);
    expect(completed()).toMatchObject([{ taskId: 't1', status: 'failed', error: { code: 'ApprovalDenied' } }]);
  });

  it('does not carry a grant over to arguments that changed after the approval', async () => {
    const mcp = fakeMcp(() => CREATED);
    const { deliver, completed } = writeWorker(mcp);
    const plan = await storePlan(store, createCustomer('Contoso'));
    await deliver(sqsRecord(taskCreated(plan, 't1')));
    await approvals.decide(carol, approvalIdOf(plan), 'grant');
    // The stored task is altered between the grant and the resumed write.
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: dynamo.tables.STATE_TABLE,
        Key: { pk: `TENANT#${TENANT}#PLAN#${plan.planId}`, sk: 'PLAN' },
        UpdateExpression: 'SET tasks.t1.arguments = :args',
        ExpressionAttributeValues: { ':args': { entity: 'customers', data: { displayName: 'Evil Corp' } } },
      }),
    );
    await deliver(sqsRecord(lastEvent('approval:granted')));
    expect(mcp.calls).toEqual([]);
    expect(completed()).toMatchObject([{ taskId: 't1', status: 'failed', error: { code: 'ApprovalDenied', message: expect.stringContaining('different operation') } }]);
  });
});
