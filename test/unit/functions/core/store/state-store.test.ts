// The state store against dynalite: tenant scoping, plan+task writes, conditional transitions, stored results.
import { describe, expect, it } from 'vitest';
import { PlanConflictError, PlanItemTooLargeError, type NewPlan, type StateStore } from '../../../../../functions/core/store/index.js';
import { RESULT_CHUNK_BYTES } from '../../../../../functions/core/store/results.js';
import { withTestStore } from '../../../../support/execution.js';

let store: StateStore;

withTestStore((fixture) => ({ store } = fixture));

let seq = 0;
function newPlan(overrides: Partial<NewPlan> = {}): NewPlan {
  seq++;
  return {
    planId: `plan-${seq}`,
    sessionId: 'session-1',
    messageId: `msg-${seq}`,
    correlationId: `corr-${seq}`,
    createdBy: 'alice',
    status: 'running',
    planner: 'offline',
    summary: 'two queries then an analysis',
    levels: [['t1', 't2'], ['t3']],
    tasks: [
      { id: 't1', type: 'query', tool: 'bc_query_entity', arguments: { entity: 'customers' }, dependsOn: [], critical: true, priority: 'normal', delaySeconds: 0, level: 0 },
      { id: 't2', type: 'query', tool: 'bc_query_entity', arguments: { entity: 'vendors' }, dependsOn: [], critical: false, priority: 'high', delaySeconds: 0, level: 0 },
      { id: 't3', type: 'analysis', tool: 'analyze', arguments: { data: { $ref: 't1.result.value' } }, dependsOn: ['t1'], critical: true, priority: 'normal', delaySeconds: 0, level: 1 },
    ],
    ...overrides,
  };
}

describe('plans', () => {
  it('writes a plan with its tasks and reads it back only for its tenant', async () => {
    const plan = newPlan({ initialTaskStatus: { t1: 'dispatched', t2: 'dispatched' } });
    await store.plans.createPlan('contoso', plan);
    const read = await store.plans.getPlan('contoso', plan.planId);
    expect(read?.tasks.map((t) => [t.id, t.status, t.attempt])).toEqual([
      ['t1', 'dispatched', 1],
      ['t2', 'dispatched', 1],
      ['t3', 'pending', 1],
    ]);
    expect(read).toMatchObject({ tenantId: 'contoso', status: 'running', levels: [['t1', 't2'], ['t3']], summary: plan.summary });
    expect(read?.tasks[2]?.arguments).toEqual({ data: { $ref: 't1.result.value' } });
    expect(await store.plans.getPlan('fabrikam', plan.planId)).toBeUndefined();
  });

  it('refuses to overwrite an existing plan', async () => {
    const plan = newPlan();
    await store.plans.createPlan('contoso', plan);
    await expect(store.plans.createPlan('contoso', plan)).rejects.toBeInstanceOf(PlanConflictError);
  });

  it('lets exactly one of several concurrent callers make a transition', async () => {
    const plan = newPlan();
    await store.plans.createPlan('contoso', plan);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => store.plans.transitionTask('contoso', plan.planId, 't3', 'dispatched')),
    );
    expect(outcomes.filter((o) => o.transitioned)).toHaveLength(1);
    expect(outcomes.find((o) => o.transitioned)?.record?.tasks[2]?.status).toBe('dispatched');
  });

  it('only moves a task from an allowed previous status and records the outcome', async () => {
    const plan = newPlan({ initialTaskStatus: { t1: 'dispatched' } });
    await store.plans.createPlan('contoso', plan);
    // pending → succeeded is not allowed: the task never ran.
    expect((await store.plans.transitionTask('contoso', plan.planId, 't3', 'succeeded')).transitioned).toBe(false);
    expect((await store.plans.transitionTask('contoso', plan.planId, 't1', 'running', { attempt: 2 })).transitioned).toBe(true);
    const failed = await store.plans.transitionTask('contoso', plan.planId, 't1', 'failed', {
      error: { code: 'BcError', message: 'BC answered 400' },
    });
    expect(failed.transitioned).toBe(true);
    const t1 = failed.record?.tasks[0];
    expect(t1).toMatchObject({ status: 'failed', attempt: 2, error: { code: 'BcError', message: 'BC answered 400' } });
    expect(t1?.startedAt).toBeDefined();
    expect(t1?.completedAt).toBeDefined();
    // A duplicate completion is not a transition.
    expect((await store.plans.transitionTask('contoso', plan.planId, 't1', 'failed')).transitioned).toBe(false);
    // An explicit `from` narrows what is accepted.
    expect((await store.plans.transitionTask('contoso', plan.planId, 't2', 'cancelled', { from: ['dispatched'] })).transitioned).toBe(false);
    expect((await store.plans.transitionTask('contoso', plan.planId, 't2', 'cancelled')).transitioned).toBe(true);
  });

  it('does not transition an unknown task, an unknown plan or another tenant’s plan', async () => {
    const plan = newPlan();
    await store.plans.createPlan('contoso', plan);
    expect((await store.plans.transitionTask('contoso', plan.planId, 'nope', 'dispatched')).transitioned).toBe(false);
    expect((await store.plans.transitionTask('contoso', 'no-such-plan', 't1', 'dispatched')).transitioned).toBe(false);
    expect((await store.plans.transitionTask('fabrikam', plan.planId, 't1', 'dispatched')).transitioned).toBe(false);
    expect((await store.plans.transitionPlan('fabrikam', plan.planId, 'cancelled')).transitioned).toBe(false);
    expect((await store.plans.getPlan('contoso', plan.planId))?.tasks[0]?.status).toBe('pending');
  });

  it('moves a plan through its statuses once', async () => {
    const plan = newPlan();
    await store.plans.createPlan('contoso', plan);
    const done = await store.plans.transitionPlan('contoso', plan.planId, 'succeeded', { response: 'All done.' });
    expect(done.record).toMatchObject({ status: 'succeeded', response: 'All done.' });
    expect((await store.plans.transitionPlan('contoso', plan.planId, 'failed')).transitioned).toBe(false);
  });
});

describe('results', () => {
  it('stores a result larger than an item and reads it back by reference, for its tenant only', async () => {
    const big = { value: Array.from({ length: 3000 }, (_, i) => ({ no: i, name: `Customer ${i} ${'é'.repeat(200)}` })) };
    expect(JSON.stringify(big).length).toBeGreaterThan(RESULT_CHUNK_BYTES);
    const ref = await store.results.put('contoso', 'plan-r', 't1', big);
    expect(await store.results.get('contoso', ref)).toEqual(big);
    await expect(store.results.get('fabrikam', ref)).rejects.toThrow(/no stored result/);
    await expect(store.results.get('contoso', '../etc')).rejects.toThrow(/malformed/);
  });

  it('loads results into the plan view', async () => {
    const plan = newPlan({ initialTaskStatus: { t1: 'dispatched' } });
    await store.plans.createPlan('contoso', plan);
    const ref = await store.results.put('contoso', plan.planId, 't1', { value: [{ no: '10000' }] });
    await store.plans.transitionTask('contoso', plan.planId, 't1', 'succeeded', { resultRef: ref });
    const view = await store.readPlanWithResults('contoso', plan.planId);
    expect(view?.tasks[0]).toMatchObject({ status: 'succeeded', resultRef: ref, result: { value: [{ no: '10000' }] } });
    expect(view?.tasks[1]).not.toHaveProperty('result');
  });
});

describe('sessions', () => {
  it('creates a session once, appends messages in order and lists plan statuses', async () => {
    const first = await store.sessions.ensureSession('contoso', 'chat-1', 'alice');
    const again = await store.sessions.ensureSession('contoso', 'chat-1', 'bob');
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, session: first.session });

    const plan = newPlan({ sessionId: 'chat-1' });
    await store.plans.createPlan('contoso', plan);
    await store.sessions.appendMessage('contoso', 'chat-1', { messageId: 'm1', role: 'user', text: 'count customers', createdAt: '2026-01-01T00:00:00.000Z', planId: plan.planId });
    await store.sessions.appendMessage('contoso', 'chat-1', { messageId: 'm2', role: 'user', text: 'hello', createdAt: '2026-01-01T00:00:01.000Z' });
    // A retried append is a no-op.
    await store.sessions.appendMessage('contoso', 'chat-1', { messageId: 'm2', role: 'user', text: 'hello', createdAt: '2026-01-01T00:00:01.000Z' });

    const view = await store.readSession('contoso', 'chat-1');
    expect(view?.messages.map((m) => m.messageId)).toEqual(['m1', 'm2']);
    expect(view?.plans).toEqual([{ planId: plan.planId, status: 'running', summary: plan.summary, createdAt: expect.any(String) }]);
    expect(await store.readSession('fabrikam', 'chat-1')).toBeUndefined();
  });

  it('reads only the newest messages when asked, oldest of them first', async () => {
    await store.sessions.ensureSession('contoso', 'chat-long', 'alice');
    for (let i = 0; i < 30; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      await store.sessions.appendMessage('contoso', 'chat-long', { messageId: `m${i}`, role: i % 2 ? 'assistant' : 'user', text: `turn ${i}`, createdAt: at });
    }
    const newest = await store.sessions.listMessages('contoso', 'chat-long', { newest: 5 });
    expect(newest.map((m) => m.messageId)).toEqual(['m25', 'm26', 'm27', 'm28', 'm29']);
    expect(await store.sessions.listMessages('contoso', 'chat-long')).toHaveLength(30);

    // One Query gives the session and its newest messages; a session that does not exist has neither.
    const opened = await store.sessions.openSession('contoso', 'chat-long', 5);
    expect(opened.session).toMatchObject({ sessionId: 'chat-long', createdBy: 'alice' });
    expect(opened.messages.map((m) => m.messageId)).toEqual(['m25', 'm26', 'm27', 'm28', 'm29']);
    expect(await store.sessions.openSession('contoso', 'chat-none', 5)).toEqual({ messages: [] });
    expect(await store.sessions.openSession('fabrikam', 'chat-long', 5)).toEqual({ messages: [] });
  });
});

describe('the plan item as the place of every exactly-once decision', () => {
  it('starts a task once while its lease holds, and again after it lapses or is given back', async () => {
    const plan = newPlan({ initialTaskStatus: { t1: 'dispatched', t2: 'dispatched' } });
    await store.plans.createPlan('contoso', plan);
    const t0 = new Date('2026-02-01T00:00:00.000Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const start = (s: number) => store.plans.startTask('contoso', plan.planId, 't1', ['dispatched', 'running'], 1, at(s + 60), at(s));

    const first = await start(0);
    expect(first.transitioned).toBe(true);
    // The plan as it was: the previous status.
    expect(first.record!.tasks.find((t) => t.id === 't1')!.status).toBe('dispatched');
    expect((await start(30)).transitioned).toBe(false);
    expect((await start(61)).transitioned).toBe(true);
    // A retry notice gives the lease back at once.
    expect(await store.plans.noteRetry('contoso', plan.planId, 't1', { reason: 'BC is down', attempt: 1, nextAttemptAt: at(70).toISOString() })).toBe(true);
    expect((await start(62)).transitioned).toBe(true);
    // Not an unknown task, nor one of an ended plan.
    expect((await store.plans.startTask('contoso', plan.planId, 'nope', ['dispatched'], 1, at(200), at(100))).transitioned).toBe(false);
    await store.plans.transitionPlan('contoso', plan.planId, 'cancelled');
    expect((await store.plans.startTask('contoso', plan.planId, 't2', ['dispatched'], 1, at(200), at(100))).transitioned).toBe(false);
  });

  it('keeps a small result on its task, and refuses one that would pass the item limit', async () => {
    const plan = newPlan({ initialTaskStatus: { t1: 'dispatched', t2: 'dispatched' } });
    await store.plans.createPlan('contoso', plan);
    const done = await store.plans.transitionTask('contoso', plan.planId, 't1', 'succeeded', { result: { value: [{ id: 1 }], count: 1 } });
    expect(done.record!.tasks.find((t) => t.id === 't1')!.result).toEqual({ value: [{ id: 1 }], count: 1 });
    expect((await store.readPlanWithResults('contoso', plan.planId))!.tasks.find((t) => t.id === 't1')!.result).toEqual({ value: [{ id: 1 }], count: 1 });
    await expect(
      store.plans.transitionTask('contoso', plan.planId, 't2', 'succeeded', { result: 'x'.repeat(420 * 1024) }),
    ).rejects.toBeInstanceOf(PlanItemTooLargeError);
    expect((await store.plans.getPlan('contoso', plan.planId))!.tasks.find((t) => t.id === 't2')!.status).toBe('dispatched');
  });

  it('grants the announcement of an ended plan to one claimant at a time, and none once it left the sweep index', async () => {
    const plan = newPlan();
    await store.plans.createPlan('contoso', plan);
    const now = new Date();
    const until = new Date(now.getTime() + 30_000);
    // Live plans are not announced.
    expect(await store.plans.claimAnnouncement('contoso', plan.planId, until, now)).toBe(false);
    const ended = await store.plans.transitionPlan('contoso', plan.planId, 'succeeded', { announceBy: until });
    expect(ended.transitioned).toBe(true);
    // The ending write holds the claim; another claimant waits until it lapses or is given back.
    expect(await store.plans.claimAnnouncement('contoso', plan.planId, until, now)).toBe(false);
    await store.plans.releaseAnnouncement('contoso', plan.planId, until);
    expect(await store.plans.claimAnnouncement('contoso', plan.planId, until, now)).toBe(true);
    expect(await store.plans.claimAnnouncement('contoso', plan.planId, new Date(now.getTime() + 90_000), new Date(now.getTime() + 31_000))).toBe(true);
    await store.plans.leaveSweep('contoso', plan.planId);
    expect(await store.plans.claimAnnouncement('contoso', plan.planId, new Date(now.getTime() + 999_000), new Date(now.getTime() + 500_000))).toBe(false);
  });
});
