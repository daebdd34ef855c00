// GET /v1/plans/{planId} of a plan whose stored results together exceed what a Lambda may answer (6 MB):
// the plan must still be readable, with the results that fit and the others marked as left out.
import { describe, expect, it } from 'vitest';
import { MAX_PLAN_RESULT_BYTES } from '../../../../../functions/orchestrator/routes/plans.js';
import type { StateStore } from '../../../../../functions/core/store/index.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { httpEvent, jsonBody } from '../../../../support/http-event.js';
import { withTestStore } from '../../../../support/execution.js';
import { testOrchestrator } from '../../../../support/orchestrator.js';

/** What a Lambda may return to API Gateway. */
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;

let dynamo: TestDynamo;
let store: StateStore;
withTestStore((fixture) => ({ dynamo, store } = fixture));

const rows = (count: number) => Array.from({ length: count }, (_, i) => ({ number: String(i), displayName: 'x'.repeat(200) }));

describe('GET /v1/plans/{planId} with large results', () => {
  it('stays within the Lambda response limit and says which results it left out', async () => {
    const handle = testOrchestrator(dynamo, { store });
    const task = (id: string) => ({ id, type: 'query' as const, description: id, tool: 'bc_query_entity', arguments: { entity: 'customers' }, dependsOn: [], critical: true, priority: 'normal' as const, delaySeconds: 0, level: 0 });
    const plan = await store.plans.createPlan('big', {
      planId: 'plan-big',
      sessionId: 's',
      messageId: 'm',
      correlationId: 'corr-00000001',
      createdBy: 'alice',
      planner: 'offline',
      status: 'running',
      levels: [['t1', 't2', 't3', 't4']],
      tasks: [task('t1'), task('t2'), task('t3'), task('t4')],
    });
    const big = rows(10_000); // about 2.4 MB each
    for (const id of ['t1', 't2', 't3']) {
      const ref = await store.results.put('big', plan.planId, id, big);
      await store.plans.transitionTask('big', plan.planId, id, 'succeeded', { from: ['pending'], resultRef: ref });
    }
    const ref = await store.results.put('big', plan.planId, 't4', { count: 42 });
    await store.plans.transitionTask('big', plan.planId, 't4', 'succeeded', { from: ['pending'], resultRef: ref });

    const response = await handle(httpEvent('GET', '/v1/plans/plan-big', { claims: { sub: 'alice', tenant: 'big' } }));
    expect(response.statusCode).toBe(200);
    expect(Buffer.byteLength(response.body ?? '', 'utf8')).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
    expect(Buffer.byteLength(response.body ?? '', 'utf8')).toBeLessThan(MAX_PLAN_RESULT_BYTES + 64 * 1024);
    const body = jsonBody(response) as { tasks: Array<{ id: string; result?: unknown; resultOmitted?: { bytes: number; reason: string } }> };
    const byId = Object.fromEntries(body.tasks.map((t) => [t.id, t]));
    expect(byId.t1!.result).toHaveLength(10_000);
    expect(byId.t4!.result).toEqual({ count: 42 });
    for (const id of ['t2', 't3']) {
      expect(byId[id]!.result).toBeUndefined();
      expect(byId[id]!.resultOmitted).toMatchObject({ reason: expect.stringMatching(/too large/) });
    }
  }, 30_000);
});
