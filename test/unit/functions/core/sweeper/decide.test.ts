// The plan sweeper's rules, decided from a stored plan and an injected time: no store, no waiting.
import { describe, expect, it } from 'vitest';
import type { StoredPlan, StoredTask } from '../../../../../functions/core/store/index.js';
import { DEFAULT_SWEEPER_SETTINGS as S, decideSweep, sagaTasksToDescribe } from '../../../../../functions/core/sweeper/index.js';
import { type SagaExecutionStatus as SagaExecutionState } from '../../../../../functions/core/tasks/index.js';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const iso = (secondsAfterT0: number) => new Date(T0 + secondsAfterT0 * 1000).toISOString();
const at = (secondsAfterT0: number) => new Date(T0 + secondsAfterT0 * 1000);

function task(id: string, fields: Partial<StoredTask> = {}): StoredTask {
  return {
    id, type: 'query', tool: 'bc_query_entity', arguments: {}, dependsOn: [], critical: true, priority: 'normal', delaySeconds: 0, level: 0,
    status: 'dispatched', attempt: 1, updatedAt: iso(0), ...fields,
  };
}

function plan(tasks: StoredTask[], fields: Partial<StoredPlan> = {}): StoredPlan {
  return {
    planId: 'p1', tenantId: 'contoso', sessionId: 's1', messageId: 'm1', correlationId: 'c1', createdBy: 'alice', status: 'running', planner: 'offline',
    levels: [tasks.map((t) => t.id)], tasks, createdAt: iso(0), updatedAt: iso(0), ...fields,
  };
}

describe('the plan sweeper decides', () => {
  it('leaves a dispatched task alone until its deadline (plus its own delay), and looks again then', () => {
    const p = plan([task('t1', { delaySeconds: 30 })]);
    const before = decideSweep(p, at(S.dispatchedSeconds + 29), S);
    expect(before.actions).toEqual([]);
    expect(before.nextCheckAt.toISOString()).toBe(iso(S.dispatchedSeconds + 30));
    expect(decideSweep(p, at(S.dispatchedSeconds + 30), S).actions).toEqual([{ kind: 'redispatch', taskId: 't1', reason: expect.stringContaining('never started') }]);
  });

  it('re-dispatches a task that never started a bounded number of times, then fails it saying why', () => {
    const tried = plan([task('t1', { redispatches: S.maxRedispatches })]);
    const { actions } = decideSweep(tried, at(S.dispatchedSeconds), S);
    expect(actions).toEqual([{ kind: 'fail', taskId: 't1', error: { code: 'TaskNeverStarted', message: expect.stringMatching(/dispatched 3 times and never started/) } }]);
  });

  it('re-runs a read whose worker died, but fails a write (it may have reached BC) with a readable reason', () => {
    const p = plan([
      task('q', { status: 'running', type: 'query' }),
      task('a', { status: 'running', type: 'analysis', tool: 'analyze' }),
      task('w', { status: 'running', type: 'write', tool: 'bc_create_entity' }),
    ]);
    expect(decideSweep(p, at(S.runningSeconds - 1), S).actions).toEqual([]);
    const { actions } = decideSweep(p, at(S.runningSeconds), S);
    expect(actions).toEqual([
      { kind: 'redispatch', taskId: 'q', reason: expect.stringContaining('worker stopped') },
      { kind: 'redispatch', taskId: 'a', reason: expect.stringContaining('worker stopped') },
      { kind: 'fail', taskId: 'w', error: { code: 'WorkerLost', message: expect.stringMatching(/not repeated because the write may have reached Business Central/) } },
    ]);
  });

  it('finishes a plan whose tasks all ended once plan progress had its chance (settle time)', () => {
    const p = plan([task('t1', { status: 'succeeded', completedAt: iso(10), updatedAt: iso(10) })], { updatedAt: iso(10) });
    const early = decideSweep(p, at(10 + S.settleSeconds - 1), S);
    expect(early.actions).toEqual([]);
    expect(early.nextCheckAt.toISOString()).toBe(iso(10 + S.settleSeconds));
    expect(decideSweep(p, at(10 + S.settleSeconds), S).actions).toEqual([{ kind: 'advance', reason: 'every task has ended but the plan has not' }]);
  });

  it('dispatches a level that was never dispatched (a pending task, nothing in flight)', () => {
    const p = plan([task('t1', { status: 'succeeded', completedAt: iso(0) }), task('t2', { status: 'pending', dependsOn: ['t1'], level: 1 })], { levels: [['t1'], ['t2']] });
    expect(decideSweep(p, at(S.settleSeconds), S).actions).toEqual([{ kind: 'advance', reason: 'a level was never dispatched' }]);
  });

  it('does not advance while a task is in flight', () => {
    const p = plan([task('t1', { status: 'succeeded' }), task('t2', { status: 'running' })]);
    expect(decideSweep(p, at(S.settleSeconds * 2), S).actions).toEqual([]);
  });

  it('ends a saga task as its execution ended, waits on a running one, and re-dispatches one never started', () => {
    const saga = (id: string, status: StoredTask['status'] = 'running') => task(id, { type: 'write', tool: 'saga_purchase_order', status });
    const p = plan([saga('ok'), saga('bad', 'awaiting_approval'), saga('busy'), saga('none')]);
    const now = at(S.runningSeconds);
    expect(sagaTasksToDescribe(p, at(S.settleSeconds - 1), S)).toEqual([]);
    expect(sagaTasksToDescribe(p, now, S).map((t) => t.id)).toEqual(['ok', 'bad', 'busy', 'none']);
    const executions = new Map<string, SagaExecutionState>([
      ['ok', { status: 'SUCCEEDED', output: '{}' }],
      ['bad', { status: 'FAILED', error: 'PurchaseOrderSagaFailed', cause: 'compensated' }],
      ['busy', { status: 'RUNNING' }],
      ['none', { status: 'MISSING' }],
    ]);
    const decision = decideSweep(p, now, S, executions);
    expect(decision.actions).toEqual([
      { kind: 'saga-ended', taskId: 'ok', execution: { status: 'SUCCEEDED', output: '{}' } },
      { kind: 'saga-ended', taskId: 'bad', execution: { status: 'FAILED', error: 'PurchaseOrderSagaFailed', cause: 'compensated' } },
      { kind: 'redispatch', taskId: 'none', reason: expect.stringContaining('no saga execution') },
    ]);
  });

  it('fails a single write left awaiting approval past the approval window', () => {
    const p = plan([task('w', { type: 'write', tool: 'bc_create_entity', status: 'awaiting_approval' })]);
    expect(decideSweep(p, at(S.approvalSeconds - 1), S).actions).toEqual([]);
    expect(decideSweep(p, at(S.approvalSeconds), S).actions).toEqual([{ kind: 'fail', taskId: 'w', error: { code: 'ApprovalExpired', message: expect.any(String) } }]);
  });
});
