// Plan progress against the real store on dynalite: results recorded once, the next level dispatched exactly
// once under duplicated and concurrent task:completed events (counted), the answer composed, critical
// failures ending the plan and cancelling what has not started.
import { describe, expect, it } from 'vitest';
import { createEvent } from '../../../../../functions/core/events/index.js';
import { handlePlanEvent, type PlanProgressDeps } from '../../../../../functions/core/progress/index.js';
import type { StateStore } from '../../../../../functions/core/store/index.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { withTestStore, completed, recordingPublisher, silentLogger, storePlan, TENANT, type RecordingPublisher } from '../../../../support/execution.js';

let dynamo: TestDynamo;
let store: StateStore;
withTestStore((fixture) => ({ dynamo, store } = fixture));

function progress(): PlanProgressDeps & { publisher: RecordingPublisher } {
  return { store, publisher: recordingPublisher(), logger: silentLogger() };
}


const getVendorThenAnalyze = {
  summary: 'get vendor 10000 then analyze vendors by balance',
  tasks: [
    { id: 't1', type: 'query', description: 'Get vendor 10000', tool: 'bc_query_entity', arguments: { entity: 'vendors', filter: { field: 'number', op: 'eq', value: '10000' }, top: 1 } },
    { id: 't2', type: 'analysis', description: 'Analyze vendors by balance', tool: 'analyze', dependsOn: ['t1'], arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' } },
  ],
} as const;

const vendorResult = { value: [{ number: '10000', displayName: 'Fabrikam', balance: 1250.5 }] };

describe('plan progress', () => {
  it('dispatches the next level exactly once under duplicated and concurrent completions, with the $ref resolved', async () => {
    const deps = progress();
    const plan = await storePlan(store, getVendorThenAnalyze);
    const event = completed(plan, 't1', { result: vendorResult });
    const results = await Promise.all([1, 2, 3].map(() => handlePlanEvent(deps, 'task:completed', event)));
    results.push(await handlePlanEvent(deps, 'task:completed', event));
    results.push(await handlePlanEvent(deps, 'task:completed', completed(plan, 't1', { result: vendorResult })));
    expect(results.map((r) => r.dispatched).sort()).toEqual([0, 0, 0, 0, 1]);

    const dispatched = deps.publisher.named('task:created');
    expect(dispatched).toHaveLength(1);
    expect(dispatched[0]!.detail.task).toMatchObject({ id: 't2', type: 'analysis', arguments: { source: vendorResult, entity: 'vendors', by: 'balance' } });
    const stored = (await store.readPlanWithResults(TENANT, plan.planId))!;
    expect(stored.tasks.map((t) => t.status)).toEqual(['succeeded', 'dispatched']);
    expect(stored.tasks[0]!.result).toEqual(vendorResult);
  });

  it('keeps a result over the inline size beside the plan and still resolves the next level from it', async () => {
    const deps = progress();
    const plan = await storePlan(store, getVendorThenAnalyze);
    // 20 KB: travels inline in the event (≤ 64 KB) but is too large to keep on the task in the plan item.
    const large = { value: Array.from({ length: 100 }, (_, i) => ({ number: String(10000 + i), displayName: 'x'.repeat(180), balance: i })) };
    const event = completed(plan, 't1', { result: large });
    await handlePlanEvent(deps, 'task:completed', event);
    await handlePlanEvent(deps, 'task:completed', event);
    const stored = (await store.plans.getPlan(TENANT, plan.planId))!;
    expect(stored.tasks[0]!.result).toBeUndefined();
    expect(stored.tasks[0]!.resultRef).toMatch(new RegExp(`^${plan.planId}/t1/`));
    expect((await store.readPlanWithResults(TENANT, plan.planId))!.tasks[0]!.result).toEqual(large);
    expect(deps.publisher.named('task:created').map((e) => e.detail.task.arguments.source)).toEqual([large]);
  });

  it('finishes once: the answer is composed and agent:completed published a single time', async () => {
    const deps = progress();
    const plan = await storePlan(store, getVendorThenAnalyze);
    await handlePlanEvent(deps, 'task:completed', completed(plan, 't1', { result: vendorResult }));
    const analysis = { entity: 'vendors', by: 'balance', text: 'vendors by balance: 1 values, total 1,250.5.' };
    const done = completed(plan, 't2', { result: analysis });
    await Promise.all([handlePlanEvent(deps, 'task:completed', done), handlePlanEvent(deps, 'task:completed', done)]);

    expect(deps.publisher.named('agent:completed')).toHaveLength(1);
    const stored = (await store.plans.getPlan(TENANT, plan.planId))!;
    expect(stored.status).toBe('succeeded');
    expect(stored.response).toBe(analysis.text);
    const messages = await store.sessions.listMessages(TENANT, plan.sessionId);
    expect(messages.filter((m) => m.role === 'assistant' && m.planId === plan.planId).map((m) => m.text)).toEqual([analysis.text]);
  });

  it('answers a count with the number and a list with a table of the rows', async () => {
    const deps = progress();
    const count = await storePlan(store, {
      summary: 'count customers',
      tasks: [{ id: 't1', type: 'query', description: 'Count customers', tool: 'bc_query_entity', arguments: { entity: 'customers', count: true, top: 1, select: ['id'] } }],
    });
    await handlePlanEvent(deps, 'task:completed', completed(count, 't1', { result: { value: [{ id: 'x' }], count: 32 } }));
    expect((await store.plans.getPlan(TENANT, count.planId))!.response).toBe('There are 32 customers.');

    const list = await storePlan(store, {
      summary: 'list vendors top 2; list customers top 1',
      tasks: [
        { id: 't1', type: 'query', description: 'List vendors', tool: 'bc_query_entity', arguments: { entity: 'vendors', top: 2 } },
        { id: 't2', type: 'query', description: 'List customers', tool: 'bc_query_entity', arguments: { entity: 'customers', top: 1, select: ['number', 'displayName'] } },
      ],
    });
    await handlePlanEvent(deps, 'task:completed', completed(list, 't1', { result: { value: [{ id: 'a', number: 'V1', displayName: 'Ann | Co', city: 'Oslo' }, { id: 'b', number: 'V2', displayName: 'Bob', city: 'Rome' }] } }));
    expect((await store.plans.getPlan(TENANT, list.planId))!.status).toBe('running');
    await handlePlanEvent(deps, 'task:completed', completed(list, 't2', { result: { value: [{ number: 'C1', displayName: 'Cy', city: 'Nice' }] } }));
    expect((await store.plans.getPlan(TENANT, list.planId))!.response).toBe(
      'Found 2 vendors:\n\n| number | displayName | city |\n| --- | --- | --- |\n| V1 | Ann \\| Co | Oslo |\n| V2 | Bob | Rome |\n\n' +
        'Found 1 customer:\n\n| number | displayName |\n| --- | --- |\n| C1 | Cy |',
    );
  });

  it('fails the plan on a critical failure and cancels what has not started, once', async () => {
    const deps = progress();
    const plan = await storePlan(store, {
      summary: 'three tasks',
      tasks: [
        { id: 't1', type: 'query', description: 'Get vendor', tool: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } },
        { id: 't2', type: 'query', description: 'List items', tool: 'bc_query_entity', arguments: { entity: 'items', top: 1 } },
        { id: 't3', type: 'analysis', description: 'Analyze', tool: 'analyze', dependsOn: ['t1'], arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' } },
      ],
    });
    const failed = completed(plan, 't1', { status: 'failed', error: { code: 'BadRequest_NotFound', message: 'no such vendor' } });
    await Promise.all([handlePlanEvent(deps, 'task:completed', failed), handlePlanEvent(deps, 'task:completed', failed)]);

    const stored = (await store.plans.getPlan(TENANT, plan.planId))!;
    expect(stored.status).toBe('failed');
    expect(stored.tasks.map((t) => t.status)).toEqual(['failed', 'cancelled', 'cancelled']);
    expect(stored.response).toContain('no such vendor');
    expect(deps.publisher.named('agent:error')).toHaveLength(1);
    expect(deps.publisher.named('agent:error')[0]!.detail).toMatchObject({ failedTaskId: 't1', error: { code: 'BadRequest_NotFound' } });
    expect(deps.publisher.named('task:created')).toHaveLength(0);
    expect(deps.publisher.named('task:updated').map((e) => [e.detail.taskId, e.detail.status])).toEqual([['t2', 'cancelled'], ['t3', 'cancelled']]);
  });

  it('a non-critical failure skips its dependents and the plan still ends', async () => {
    const deps = progress();
    const plan = await storePlan(store, {
      summary: 'optional source',
      tasks: [
        { id: 't1', type: 'query', description: 'Get vendor', tool: 'bc_query_entity', critical: false, arguments: { entity: 'vendors', top: 1 } },
        { id: 't2', type: 'query', description: 'Count items', tool: 'bc_query_entity', arguments: { entity: 'items', count: true, top: 1 } },
        { id: 't3', type: 'analysis', description: 'Analyze vendors', tool: 'analyze', critical: false, dependsOn: ['t1'], arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' } },
      ],
    });
    await handlePlanEvent(deps, 'task:completed', completed(plan, 't2', { result: { value: [], count: 4 } }));
    await handlePlanEvent(deps, 'task:completed', completed(plan, 't1', { status: 'failed', error: { code: 'Internal_ServerError', message: 'boom' } }));
    const stored = (await store.plans.getPlan(TENANT, plan.planId))!;
    expect(stored.tasks.map((t) => t.status)).toEqual(['failed', 'succeeded', 'cancelled']);
    expect(stored.status).toBe('succeeded');
    expect(stored.response).toContain('There are 4 items.');
    expect(stored.response).toContain('Get vendor failed: boom');
  });

  it('shows awaiting_approval on the plan while a write waits', async () => {
    const deps = progress();
    const plan = await storePlan(store, {
      summary: 'create customer',
      tasks: [{ id: 't1', type: 'write', description: 'Create customer', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } }],
    });
    await store.plans.transitionTask(TENANT, plan.planId, 't1', 'awaiting_approval');
    const update = createEvent('task:updated', { status: 'awaiting_approval', previousStatus: 'running', reason: 'Waiting for approval' }, {
      tenantId: TENANT, sessionId: plan.sessionId, planId: plan.planId, taskId: 't1', correlationId: plan.correlationId, causationId: plan.messageId,
    });
    await handlePlanEvent(deps, 'task:updated', update.detail);
    expect((await store.plans.getPlan(TENANT, plan.planId))!.status).toBe('awaiting_approval');
  });
});
