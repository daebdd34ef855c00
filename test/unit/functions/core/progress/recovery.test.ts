// Plan progress when a handling fails half-way (a publish refused after the state changed): the redelivered
// event must finish the job, or the plan waits forever.
import { describe, expect, it } from 'vitest';
import { createEvent, EventPublishError, type DomainEvent, type EventName } from '../../../../../functions/core/events/index.js';
import { handlePlanEvent, type PlanProgressDeps } from '../../../../../functions/core/progress/index.js';
import type { StateStore } from '../../../../../functions/core/store/index.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { withTestStore, completed, recordingPublisher, silentLogger, storePlan, TENANT, type RecordingPublisher } from '../../../../support/execution.js';

let dynamo: TestDynamo;
let store: StateStore;
withTestStore((fixture) => ({ dynamo, store } = fixture));

/** A publisher that refuses the first batch containing `failOn`, as EventBridge does when it throttles. */
function flakyPublisher(failOn: EventName): RecordingPublisher {
  const inner = recordingPublisher();
  let failed = false;
  return Object.assign(Object.create(inner) as RecordingPublisher, {
    events: inner.events,
    named: inner.named,
    async publish(batch: DomainEvent[]) {
      if (!failed && batch.some((e) => e.name === failOn)) {
        failed = true;
        throw new EventPublishError(batch.map((event) => ({ event, errorCode: 'ThrottlingException', errorMessage: 'slow down' })));
      }
      return inner.publish(batch);
    },
  });
}

function progress(failOn: EventName): PlanProgressDeps & { publisher: RecordingPublisher } {
  return { store, publisher: flakyPublisher(failOn), logger: silentLogger() };
}


const twoLevels = {
  summary: 'get vendor then analyze',
  tasks: [
    { id: 't1', type: 'query', description: 'Get vendor', tool: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } },
    { id: 't2', type: 'analysis', description: 'Analyze vendors', tool: 'analyze', dependsOn: ['t1'], arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' } },
  ],
} as const;
/** A write (which asks for approval) and an independent query. */
const writeAndQuery = {
  summary: 'create and list',
  tasks: [
    { id: 't1', type: 'write', description: 'Create customer', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } },
    { id: 't2', type: 'query', description: 'List vendors', tool: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } },
  ],
};

const vendors = { value: [{ number: '10000', balance: 5 }] };

describe('plan progress after a failed publish', () => {
  it('a level whose task:created could not be published is announced when the event comes again', async () => {
    const deps = progress('task:created');
    const plan = await storePlan(store, twoLevels);
    const event = completed(plan, 't1', { result: vendors });
    await expect(handlePlanEvent(deps, 'task:completed', event)).rejects.toThrow(EventPublishError);

    // EventBridge retries the event.
    expect((await handlePlanEvent(deps, 'task:completed', event)).dispatched).toBe(1);
    expect(deps.publisher.named('task:created').map((e) => e.detail.task.id)).toEqual(['t2']);
    // Once announced, a further duplicate dispatches nothing.
    expect((await handlePlanEvent(deps, 'task:completed', event)).dispatched).toBe(0);
    expect(deps.publisher.named('task:created')).toHaveLength(1);
  });

  it('a plan whose agent:completed could not be published announces it when the event comes again, once', async () => {
    const deps = progress('agent:completed');
    const plan = await storePlan(store, twoLevels);
    await handlePlanEvent(deps, 'task:completed', completed(plan, 't1', { result: vendors }));
    const last = completed(plan, 't2', { result: { entity: 'vendors', by: 'balance', text: 'vendors by balance: total 5.' } });
    await expect(handlePlanEvent(deps, 'task:completed', last)).rejects.toThrow(EventPublishError);
    expect((await store.plans.getPlan(TENANT, plan.planId))!.status).toBe('succeeded');

    await handlePlanEvent(deps, 'task:completed', last);
    await handlePlanEvent(deps, 'task:completed', last);
    expect(deps.publisher.named('agent:completed').map((e) => e.detail.response)).toEqual(['vendors by balance: total 5.']);
  });

  it('a plan whose agent:error could not be published still cancels what has not started and says so on the retry', async () => {
    const deps = progress('agent:error');
    const plan = await storePlan(store, twoLevels);
    const failed = completed(plan, 't1', { status: 'failed', error: { code: 'BadRequest_NotFound', message: 'no such vendor' } });
    await expect(handlePlanEvent(deps, 'task:completed', failed)).rejects.toThrow(EventPublishError);

    await handlePlanEvent(deps, 'task:completed', failed);
    await handlePlanEvent(deps, 'task:completed', failed);
    const stored = (await store.plans.getPlan(TENANT, plan.planId))!;
    expect(stored.status).toBe('failed');
    expect(stored.tasks.map((t) => t.status)).toEqual(['failed', 'cancelled']);
    expect(deps.publisher.named('agent:error').map((e) => e.detail.failedTaskId)).toEqual(['t1']);
    expect(deps.publisher.named('task:updated').map((e) => [e.detail.taskId, e.detail.status])).toEqual([['t2', 'cancelled']]);
    const answers = (await store.sessions.listMessages(TENANT, plan.sessionId)).filter((m) => m.role === 'assistant' && m.planId === plan.planId);
    expect(answers).toHaveLength(1);
  });

  it('a late task:updated(awaiting_approval) for a task already past its approval leaves the plan running', async () => {
    const deps = progress('agent:error');
    const plan = await storePlan(store, writeAndQuery);
    // The approval was granted and the write resumed before this update reached plan progress.
    await store.plans.transitionTask(TENANT, plan.planId, 't1', 'running');
    await store.plans.transitionTask(TENANT, plan.planId, 't2', 'running');
    const late = createEvent('task:updated', { status: 'awaiting_approval', previousStatus: 'running', reason: 'Waiting for approval' }, {
      tenantId: TENANT, sessionId: plan.sessionId, planId: plan.planId, taskId: 't1', correlationId: plan.correlationId, causationId: plan.messageId,
    });
    await handlePlanEvent(deps, 'task:updated', late.detail);
    expect((await store.plans.getPlan(TENANT, plan.planId))!.status).toBe('running');
  });

  it('a critical failure also cancels a write still waiting for its approval (it has not started)', async () => {
    const deps = progress('agent:completed');
    const plan = await storePlan(store, writeAndQuery);
    await store.plans.transitionTask(TENANT, plan.planId, 't1', 'awaiting_approval');
    await store.plans.transitionPlan(TENANT, plan.planId, 'awaiting_approval');
    await handlePlanEvent(deps, 'task:completed', completed(plan, 't2', { status: 'failed', error: { code: 'BadRequest', message: 'no' } }));
    const stored = (await store.plans.getPlan(TENANT, plan.planId))!;
    expect(stored.status).toBe('failed');
    expect(stored.tasks.map((t) => t.status)).toEqual(['cancelled', 'failed']);
    expect(deps.publisher.named('task:updated').map((e) => [e.detail.taskId, e.detail.previousStatus, e.detail.status])).toEqual([['t1', 'awaiting_approval', 'cancelled']]);
  });

  it('a first-level completion does not announce again a sibling the orchestrator dispatched', async () => {
    const deps = progress('agent:error');
    const plan = await storePlan(store, {
      summary: 'two lists',
      tasks: [
        { id: 't1', type: 'query', description: 'List vendors', tool: 'bc_query_entity', arguments: { entity: 'vendors', top: 1 } },
        { id: 't2', type: 'query', description: 'List items', tool: 'bc_query_entity', arguments: { entity: 'items', top: 1 } },
      ],
    });
    expect((await handlePlanEvent(deps, 'task:completed', completed(plan, 't1', { result: vendors }))).dispatched).toBe(0);
    expect(deps.publisher.named('task:created')).toHaveLength(0);
  });
});
