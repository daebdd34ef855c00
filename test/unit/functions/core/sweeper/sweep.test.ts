// The plan sweeper against the real store on dynalite, with plan progress's real code and an injected clock:
// plans left the way a crash leaves them end in the state plan progress would have given them, announced once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handlePlanEvent } from '../../../../../functions/core/progress/index.js';
import type { StateStore, StoredPlan } from '../../../../../functions/core/store/index.js';
import { DEFAULT_SWEEPER_SETTINGS as S, STUCK_PLANS_METRIC, sweeperMetrics, sweepPlans, type PlanSweeperDeps } from '../../../../../functions/core/sweeper/index.js';
import { type SagaExecutionStatus as SagaExecutionState } from '../../../../../functions/core/tasks/index.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { withTestStore, completed, recordingPublisher, silentLogger, storePlan, TENANT, type RecordingPublisher } from '../../../../support/execution.js';

let dynamo: TestDynamo;
let store: StateStore;
withTestStore((fixture) => ({ dynamo, store } = fixture));
afterEach(() => {
  vi.restoreAllMocks();
});

/** A sweeper whose clock reads `offsetSeconds` from now; it shares plan progress's Once (as the Lambda does). */
function sweeper(offsetSeconds: number, sagas?: Record<string, SagaExecutionState>): PlanSweeperDeps & { publisher: RecordingPublisher } {
  return {
    store,
    publisher: recordingPublisher(),
    logger: silentLogger(),
    settings: S,
    now: () => new Date(Date.now() + offsetSeconds * 1000),
    ...(sagas ? { sagas: async (_planId: string, taskId: string) => sagas[taskId] ?? { status: 'MISSING' } } : {}),
  };
}

const forPlan = (publisher: RecordingPublisher, plan: StoredPlan) => publisher.events.filter((e) => e.detail.planId === plan.planId);
const statuses = async (plan: StoredPlan) => (await store.plans.getPlan(TENANT, plan.planId))!;

const twoQueries = {
  summary: 'list customers top 1; list vendors top 1',
  tasks: [
    { id: 't1', type: 'query', description: 'List customers', tool: 'bc_query_entity', arguments: { entity: 'customers', top: 1 } },
    { id: 't2', type: 'query', description: 'List vendors', tool: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } },
  ],
} as const;
const createCustomer = {
  summary: 'create customer',
  tasks: [{ id: 'w1', type: 'write', description: 'Create customer Fabrikam', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } }],
} as const;
const purchaseOrder = {
  summary: 'create purchase order',
  tasks: [{ id: 'po', type: 'write', description: 'Purchase order for vendor 20000', tool: 'saga_purchase_order', arguments: { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5 }] } }],
} as const;

describe('the plan sweeper', () => {
  it('finds a plan only once its check is due, through the index', async () => {
    const plan = await storePlan(store, twoQueries);
    const early = await sweepPlans(sweeper(0));
    expect(early.plans.map((p) => p.planId)).not.toContain(plan.planId);
    const due = await sweepPlans(sweeper(120));
    expect(due.plans.find((p) => p.planId === plan.planId)).toMatchObject({ actions: [] });
  });

  it('completes a plan whose tasks all succeeded exactly as plan progress would, announcing it once', async () => {
    const plan = await storePlan(store, twoQueries);
    // Both results recorded, the plan never finished (plan progress died between).
    for (const id of ['t1', 't2']) {
      const ref = await store.results.put(TENANT, plan.planId, id, { value: [{ number: id === 't1' ? '10000' : '20000', displayName: `Name ${id}` }] });
      await store.plans.transitionTask(TENANT, plan.planId, id, 'succeeded', { resultRef: ref });
    }
    const deps = sweeper(S.settleSeconds + 5);
    const report = await sweepPlans(deps);
    expect(report.plans.find((p) => p.planId === plan.planId)).toMatchObject({ actions: [{ kind: 'advance' }] });
    const ended = await statuses(plan);
    expect(ended.status).toBe('succeeded');
    expect(ended.response).toMatch(/Name t1/);
    const agentCompleted = forPlan(deps.publisher, plan).filter((e) => e.name === 'agent:completed');
    expect(agentCompleted).toHaveLength(1);

    // A late duplicate through plan progress, and another sweep: nothing announced again; the plan left the index.
    const progress = { store, publisher: recordingPublisher(), logger: silentLogger() };
    await handlePlanEvent(progress, 'task:completed', completed(plan, 't2', { result: { value: [] } }));
    const again = sweeper(S.settleSeconds * 10);
    const later = await sweepPlans(again);
    expect(later.plans.map((p) => p.planId)).not.toContain(plan.planId);
    expect([...progress.publisher.events, ...again.publisher.events].filter((e) => e.name === 'agent:completed' && e.detail.planId === plan.planId)).toEqual([]);
    const messages = await store.sessions.listMessages(TENANT, plan.sessionId);
    expect(messages.filter((m) => m.planId === plan.planId && m.role === 'assistant')).toHaveLength(1);
  });

  it('re-dispatches a task whose task:created was lost, a bounded number of times, then fails it and the plan', async () => {
    const plan = await storePlan(store, twoQueries);
    let offset = S.dispatchedSeconds + 1;
    for (let round = 1; round <= S.maxRedispatches; round++) {
      const deps = sweeper(offset);
      await sweepPlans(deps);
      const created = forPlan(deps.publisher, plan).filter((e) => e.name === 'task:created');
      expect(created.map((e) => (e.detail as { task: { id: string } }).task.id).sort()).toEqual(['t1', 't2']);
      const stored = await statuses(plan);
      expect(stored.tasks.map((t) => [t.status, t.redispatches])).toEqual([['dispatched', round], ['dispatched', round]]);
      offset += S.dispatchedSeconds + 1;
    }
    const last = sweeper(offset);
    await sweepPlans(last);
    const ended = await statuses(plan);
    expect(ended.status).toBe('failed');
    expect(ended.tasks[0]!.error).toMatchObject({ code: 'TaskNeverStarted', message: expect.stringMatching(/never started/) });
    expect(ended.response).toMatch(/I could not finish this/);
    const events = forPlan(last.publisher, plan);
    expect(events.filter((e) => e.name === 'task:created')).toEqual([]);
    expect(events.filter((e) => e.name === 'agent:error')).toHaveLength(1);
    expect(events.filter((e) => e.name === 'task:completed').map((e) => (e.detail as { status: string }).status)).toContain('failed');
  });

  it('concurrent sweeps re-dispatch a lost task once', async () => {
    const plan = await storePlan(store, { summary: 'one', tasks: [twoQueries.tasks[0]] });
    const sweeps = [sweeper(S.dispatchedSeconds + 1), sweeper(S.dispatchedSeconds + 1), sweeper(S.dispatchedSeconds + 1)];
    await Promise.all(sweeps.map((deps) => sweepPlans(deps)));
    const created = sweeps.flatMap((deps) => forPlan(deps.publisher, plan).filter((e) => e.name === 'task:created'));
    expect(created).toHaveLength(1);
    expect((await statuses(plan)).tasks[0]!.redispatches).toBe(1);
  });

  it('re-runs a read whose worker died, and fails a write whose worker died, saying why', async () => {
    const read = await storePlan(store, { summary: 'one', tasks: [twoQueries.tasks[0]] });
    const write = await storePlan(store, createCustomer);
    await store.plans.transitionTask(TENANT, read.planId, 't1', 'running');
    await store.plans.transitionTask(TENANT, write.planId, 'w1', 'running');
    const deps = sweeper(S.runningSeconds + 1);
    await sweepPlans(deps);

    const reread = await statuses(read);
    expect(reread.status).toBe('running');
    expect(reread.tasks[0]).toMatchObject({ status: 'dispatched', redispatches: 1 });
    expect(forPlan(deps.publisher, read).filter((e) => e.name === 'task:created')).toHaveLength(1);

    const written = await statuses(write);
    expect(written.status).toBe('failed');
    expect(written.tasks[0]!.error).toMatchObject({ code: 'WorkerLost', message: expect.stringMatching(/may have reached Business Central/) });
    expect(forPlan(deps.publisher, write).filter((e) => e.name === 'agent:error')).toHaveLength(1);
    expect(forPlan(deps.publisher, write).filter((e) => e.name === 'task:created')).toEqual([]);
  });

  it('does not fail a task that made progress since the sweeper read it', async () => {
    const plan = await storePlan(store, createCustomer);
    const running = await store.plans.transitionTask(TENANT, plan.planId, 'w1', 'running');
    const seen = running.record!.tasks[0]!;
    await store.plans.transitionTask(TENANT, plan.planId, 'w1', 'running', { from: ['running'], attempt: 2, now: new Date(Date.now() + 1000) });
    const lost = await store.plans.transitionTask(TENANT, plan.planId, 'w1', 'failed', { from: ['running'], unchangedSince: seen.updatedAt });
    expect(lost.transitioned).toBe(false);
  });

  it('ends a saga task as its execution ended (succeeded with its output, failed with its cause)', async () => {
    const ok = await storePlan(store, purchaseOrder);
    const bad = await storePlan(store, purchaseOrder);
    for (const p of [ok, bad]) await store.plans.transitionTask(TENANT, p.planId, 'po', 'running');
    const output = JSON.stringify({ results: { createOrder: { orderId: 'o-1', orderNumber: '106001', lines: [{}, {}] }, reserveInventory: { reservations: [{}] } } });
    const executions = new Map<string, SagaExecutionState>([
      [ok.planId, { status: 'SUCCEEDED', output }],
      [bad.planId, { status: 'FAILED', error: 'PurchaseOrderSagaFailed', cause: 'A forward step failed; the steps it had completed were compensated' }],
    ]);
    const deps: PlanSweeperDeps & { publisher: RecordingPublisher } = { ...sweeper(S.settleSeconds + 1), sagas: async (planId) => executions.get(planId) ?? { status: 'RUNNING' } };
    await sweepPlans(deps);

    const succeeded = (await store.readPlanWithResults(TENANT, ok.planId))!;
    expect(succeeded.status).toBe('succeeded');
    expect(succeeded.tasks[0]!.result).toEqual({ orderId: 'o-1', orderNumber: '106001', lines: 2, reservations: 1 });
    const failed = await statuses(bad);
    expect(failed.status).toBe('failed');
    expect(failed.tasks[0]!.error).toEqual({ code: 'PurchaseOrderSagaFailed', message: 'A forward step failed; the steps it had completed were compensated' });
    expect(forPlan(deps.publisher, ok).filter((e) => e.name === 'agent:completed')).toHaveLength(1);
    expect(forPlan(deps.publisher, bad).filter((e) => e.name === 'agent:error')).toHaveLength(1);
  });

  it('leaves a saga whose execution still runs, and looks again later', async () => {
    const plan = await storePlan(store, purchaseOrder);
    await store.plans.transitionTask(TENANT, plan.planId, 'po', 'awaiting_approval', { from: ['dispatched'] });
    const deps: PlanSweeperDeps & { publisher: RecordingPublisher } = { ...sweeper(S.runningSeconds * 2), sagas: async () => ({ status: 'RUNNING' }) };
    const report = await sweepPlans(deps);
    expect(report.plans.find((p) => p.planId === plan.planId)).toMatchObject({ actions: [] });
    expect((await statuses(plan)).tasks[0]!.status).toBe('awaiting_approval');
    expect(forPlan(deps.publisher, plan)).toEqual([]);
  });

  it('emits StuckPlansFound every run, 0 included, with the service dimension plan-sweeper', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = sweeperMetrics();
    // Nothing is due a minute in the past: a quiet run.
    const quiet = await sweepPlans({ ...sweeper(-3600), metrics });
    const plan = await storePlan(store, { summary: 'one', tasks: [twoQueries.tasks[0]] });
    const busy = await sweepPlans({ ...sweeper(S.dispatchedSeconds + 1), metrics });
    vi.restoreAllMocks();
    expect(quiet.stuck).toBe(0);
    expect(busy.stuck).toBeGreaterThanOrEqual(1);
    expect(busy.plans.find((p) => p.planId === plan.planId)?.actions).toHaveLength(1);
    const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes(STUCK_PLANS_METRIC)).map((l) => JSON.parse(l));
    expect(emf.map((e) => e[STUCK_PLANS_METRIC])).toEqual([0, busy.stuck]);
    for (const e of emf) {
      expect(e.service).toBe('plan-sweeper');
      expect(e._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'BcAgent', Metrics: [{ Name: STUCK_PLANS_METRIC, Unit: 'Count' }] });
      expect(e._aws.CloudWatchMetrics[0].Dimensions[0]).toContain('service');
    }
  });
});
