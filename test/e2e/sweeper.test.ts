// The plan sweeper on the local cloud (issue 9): plans left the way a crash leaves them — a task:created that
// never went out, every task ended but the plan not, a write whose worker died, a write whose approval
// outlived its task, a saga whose execution stopped — are driven to the correct final state by the deployed
// sweeper Lambda (invoked as its schedule does), with answers compared to the BC sandbox and the end announced
// exactly once (the audit log). An approval whose waiter is gone answers 409 through the HTTP API.
import { randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../functions/core/plan/index.js';
import { planCommands } from '../../functions/core/planner/offline.js';
import { createStateStore, type NewTask, type StateStore, type StoredPlan } from '../../functions/core/store/index.js';
import { Chat, logicalId, resourceName, sandboxGet, withAgentCloud } from '../support/chat.js';
import { call, documentClient } from '../support/security.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';

const TENANT = 'local';
/** Long enough ago for every deadline of the sweeper's default settings (the approval window is 20 minutes). */
const CRASH_AGO_MS = 30 * 60 * 1000;

let cloud: TestCloud;
let alice: Chat;
let carol: string;
let store: StateStore;

withAgentCloud(async (started) => {
  cloud = started;
  alice = await Chat.open(cloud, TENANT, 'alice');
  carol = await cloud.token({ sub: 'carol', tenant: TENANT, roles: ['approver'] });
  store = createStateStore({ tableName: resourceName(cloud, 'AWS::DynamoDB::Table', 'TablesState'), db: documentClient(cloud) });
});

/** One run of the deployed sweeper, invoked as its EventBridge schedule invokes it. */
const sweep = () => cloud.invoke(logicalId(cloud, 'AWS::Lambda::Function', 'PlanSweeper'), { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }) as Promise<{ examined: number; stuck: number }>;

/** A plan the orchestrator stored for `text` `CRASH_AGO_MS` ago (level 0 dispatched) and then died before announcing. */
async function crashedPlan(text: string): Promise<StoredPlan> {
  const outcome = planCommands(text, 20);
  if (outcome.kind !== 'plan') throw new Error(`not a plan: ${text}`);
  const validation = validatePlan(outcome.plan);
  if (!validation.ok) throw new Error('invalid plan');
  const levelOf = new Map(validation.levels.flatMap((ids, level) => ids.map((id) => [id, level] as const)));
  const tasks: NewTask[] = validation.plan.tasks.map((t) => ({ ...t, level: levelOf.get(t.id) ?? 0 }));
  return store.plans.createPlan(
    TENANT,
    {
      planId: randomUUID(), sessionId: alice.sessionId, messageId: randomUUID(), correlationId: `corr-${randomUUID()}`, createdBy: 'alice', status: 'running',
      planner: 'offline', summary: validation.plan.summary, levels: validation.levels, tasks,
      initialTaskStatus: Object.fromEntries((validation.levels[0] ?? []).map((id) => [id, 'dispatched'])),
    },
    new Date(Date.now() - CRASH_AGO_MS),
  );
}

/** Moves a live plan's clocks back, as if it had stalled `CRASH_AGO_MS` ago. */
async function stalledSince(planId: string, taskId: string): Promise<void> {
  const past = new Date(Date.now() - CRASH_AGO_MS).toISOString();
  await documentClient(cloud).send(
    new UpdateCommand({
      TableName: resourceName(cloud, 'AWS::DynamoDB::Table', 'TablesState'),
      Key: { pk: `TENANT#${TENANT}#PLAN#${planId}`, sk: 'PLAN' },
      UpdateExpression: 'SET tasks.#t.updatedAt = :past, updatedAt = :past, sweepAt = :past',
      ExpressionAttributeNames: { '#t': taskId },
      ExpressionAttributeValues: { ':past': past },
    }),
  );
}

/** Names of the events of a plan in the audit log (every event on the bus lands there, once per eventId). */
async function audited(planId: string): Promise<string[]> {
  const { Items = [] } = await documentClient(cloud).send(
    new QueryCommand({
      TableName: resourceName(cloud, 'AWS::DynamoDB::Table', 'TablesAudit'),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${TENANT}#PLAN#${planId}` },
      ConsistentRead: true,
    }),
  );
  return Items.map((i) => i.name as string);
}

/** The end events of a plan once the audit log has it, after everything else in flight has settled. */
async function endsAnnounced(planId: string, name: 'agent:completed' | 'agent:error'): Promise<string[]> {
  await eventually(`${name} of ${planId} in the audit log`, async () => ((await audited(planId)).includes(name) ? true : undefined), 30_000);
  // A second sweep and any late duplicate have had their chance: the end is still announced once.
  await sweep();
  return (await audited(planId)).filter((n) => n === 'agent:completed' || n === 'agent:error');
}

describe('the plan sweeper on the local cloud', () => {
  it('re-dispatches the tasks of a plan whose task:created never went out; the answer matches BC', async () => {
    const plan = await crashedPlan('count customers; count vendors');
    const report = await sweep();
    expect(report.stuck).toBeGreaterThanOrEqual(1);
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 45_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const [customers, vendors] = [await sandboxGet(cloud, 'customers/$count'), await sandboxGet(cloud, 'vendors/$count')];
    expect(done.tasks.map((t) => t.result?.count)).toEqual([customers, vendors]);
    expect(done.response).toContain(String(customers));
    expect(done.response).toContain(String(vendors));
    expect(await endsAnnounced(plan.planId, 'agent:completed')).toEqual(['agent:completed']);
  });

  it('finishes a plan whose tasks all succeeded while the plan stayed running, with the answer from their results', async () => {
    const plan = await crashedPlan('list vendors top 2');
    const vendors = await sandboxGet(cloud, 'vendors?$top=2');
    // The query worker stored its result and ended the task; plan progress never ran.
    const ref = await store.results.put(TENANT, plan.planId, plan.tasks[0]!.id, { value: vendors.value });
    await store.plans.transitionTask(TENANT, plan.planId, plan.tasks[0]!.id, 'succeeded', { resultRef: ref, now: new Date(Date.now() - CRASH_AGO_MS) });
    await stalledSince(plan.planId, plan.tasks[0]!.id);
    await sweep();
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 30_000);
    expect(done.status).toBe('succeeded');
    for (const vendor of vendors.value as { displayName: string }[]) expect(done.response).toContain(vendor.displayName);
    expect(await endsAnnounced(plan.planId, 'agent:completed')).toEqual(['agent:completed']);
  });

  it('fails a write whose worker died mid-run (it may have reached BC) without writing, and says why', async () => {
    const name = `Ghost ${randomUUID().slice(0, 8)}`;
    const plan = await crashedPlan(`create customer displayName='${name}'`);
    await store.plans.transitionTask(TENANT, plan.planId, plan.tasks[0]!.id, 'running', { now: new Date(Date.now() - CRASH_AGO_MS) });
    await sweep();
    const done = await alice.until(plan.planId, ['succeeded', 'failed'], 30_000);
    expect(done.status).toBe('failed');
    expect(done.tasks[0]!.error).toMatchObject({ code: 'WorkerLost', message: expect.stringMatching(/may have reached Business Central/) });
    expect((await sandboxGet(cloud, `customers?$filter=displayName eq '${name}'`)).value).toHaveLength(0);
    expect(await endsAnnounced(plan.planId, 'agent:error')).toEqual(['agent:error']);
  });
});

describe('an approval whose waiter is gone, through the HTTP API', () => {
  const pendingApproval = (planId: string) =>
    eventually(`the approval of ${planId}`, async () => {
      const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: carol });
      return (listed.body.approvals as { approvalId: string; planId: string }[]).find((a) => a.planId === planId);
    });
  const grant = (approvalId: string) => call(cloud, 'POST', `/v1/approvals/${approvalId}`, { token: carol, body: JSON.stringify({ decision: 'grant' }) });

  it('answers 409 ApprovalWaiterGone once the sweeper ended the waiting write, and writes nothing', async () => {
    const name = `Late ${randomUUID().slice(0, 8)}`;
    const waiting = await alice.ask(`create customer displayName='${name}'`, ['awaiting_approval', 'failed', 'succeeded'], 45_000);
    expect(waiting.status).toBe('awaiting_approval');
    const approval = await pendingApproval(waiting.planId);
    // The approval's announcements were lost and nobody decided: the sweeper ends the write after its window.
    await stalledSince(waiting.planId, waiting.tasks[0]!.id);
    await sweep();
    const ended = await alice.until(waiting.planId, ['failed'], 30_000);
    expect(ended.tasks[0]!.error?.code).toBe('ApprovalExpired');

    const answer = await grant(approval.approvalId);
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ error: { code: 'ApprovalWaiterGone', message: expect.stringMatching(/has ended \(failed: Not written/) } });
    expect((await grant(approval.approvalId)).status).toBe(409);
    const listed = await call(cloud, 'GET', '/v1/approvals?status=expired', { token: carol });
    expect((listed.body.approvals as { approvalId: string; closedReason?: string }[]).find((a) => a.approvalId === approval.approvalId)).toMatchObject({ closedReason: expect.stringMatching(/has ended/) });
    expect((await sandboxGet(cloud, `customers?$filter=displayName eq '${name}'`)).value).toHaveLength(0);
  });

  it('answers 409 when the saga execution no longer waits on its token; the sweeper ends the plan as the execution did', async () => {
    const sfn = new SFNClient(cloud.clientConfig);
    const before = await sandboxGet(cloud, 'purchaseOrders/$count');
    const waiting = await alice.askForApproval('create purchase order for vendor 20000: 3 x 1896-S at EAST');
    const approval = await pendingApproval(waiting.planId);
    const stateMachineArn = String(cloud.stack.ref(logicalId(cloud, 'AWS::StepFunctions::StateMachine', 'PurchaseOrderSaga')));
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    const execution = executions.find((e) => e.name?.startsWith(waiting.planId))!;
    expect(execution).toBeDefined();
    // The execution dies while it waits (as a crash leaves it).
    await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn, error: 'Crashed', cause: 'the local cloud was killed' }));
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }))).status).toBe('ABORTED');

    const answer = await grant(approval.approvalId);
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ error: { code: 'ApprovalWaiterGone', message: expect.stringMatching(/saga no longer waits/) } });

    await stalledSince(waiting.planId, waiting.tasks[0]!.id);
    await sweep();
    const ended = await alice.until(waiting.planId, ['failed', 'succeeded'], 30_000);
    expect(ended.status).toBe('failed');
    expect(ended.tasks[0]!.error).toMatchObject({ code: 'Crashed', message: 'the local cloud was killed' });
    expect(await sandboxGet(cloud, 'purchaseOrders/$count')).toBe(before);
    expect(await endsAnnounced(waiting.planId, 'agent:error')).toEqual(['agent:error']);
  });
});
