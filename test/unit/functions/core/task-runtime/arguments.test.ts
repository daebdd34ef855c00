// $ref resolution at dispatch against stored results: a reference to any task the task depends on, directly
// or through another (validation allows both), resolves; results that are not referenced are not read.
import { describe, expect, it } from 'vitest';
import { resolveTaskArguments } from '../../../../../functions/core/task-runtime/index.js';
import type { StateStore, StoredPlan } from '../../../../../functions/core/store/index.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { withTestStore, storePlan, TENANT, } from '../../../../support/execution.js';

let dynamo: TestDynamo;
let store: StateStore;
withTestStore((fixture) => ({ dynamo, store } = fixture));

async function succeed(plan: StoredPlan, taskId: string, result: unknown): Promise<StoredPlan> {
  const resultRef = await store.results.put(TENANT, plan.planId, taskId, result);
  return (await store.plans.transitionTask(TENANT, plan.planId, taskId, 'succeeded', { from: ['dispatched', 'pending'], resultRef })).record!;
}

describe('resolving $refs', () => {
  it('reads a task the task depends on through another one', async () => {
    let plan = await storePlan(store, {
      summary: 'vendor, its count, then analyze the vendor',
      tasks: [
        { id: 't1', type: 'query', description: 'Get vendor', tool: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } },
        { id: 't2', type: 'query', description: 'Count items', tool: 'bc_query_entity', dependsOn: ['t1'], arguments: { entity: 'items', count: true, top: 1 } },
        { id: 't3', type: 'analysis', description: 'Analyze', tool: 'analyze', dependsOn: ['t2'], arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' } },
      ],
    });
    plan = await succeed(plan, 't1', { value: [{ number: 'V1', balance: 3 }] });
    plan = await succeed(plan, 't2', { value: [], count: 7 });
    const t3 = plan.tasks.find((t) => t.id === 't3')!;
    expect(await resolveTaskArguments(store, plan, t3)).toEqual({ source: { value: [{ number: 'V1', balance: 3 }] }, entity: 'vendors', by: 'balance' });
  });
});
