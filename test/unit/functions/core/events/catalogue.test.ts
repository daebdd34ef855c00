import { describe, expect, it } from 'vitest';
import { causedBy, createEvent, EVENT_NAMES, EventValidationError, inlineOrStored, MAX_INLINE_RESULT_BYTES, parseEventDetail, type EventContext } from '../../../../../functions/core/events/index.js';

const context: EventContext = {
  tenantId: 'contoso',
  sessionId: 's-1',
  planId: 'p-1',
  correlationId: 'corr-12345678',
  causationId: 'msg-1',
};

const task = {
  id: 't1',
  type: 'query' as const,
  tool: 'bc_query_entity',
  arguments: { entity: 'customers', top: 5 },
  priority: 'normal' as const,
  delaySeconds: 0,
  critical: true,
  attempt: 1,
};

describe('event catalogue', () => {
  it('covers every event of the design', () => {
    expect(EVENT_NAMES.sort()).toEqual(
      [
        'agent:started', 'agent:completed', 'agent:error',
        'task:created', 'task:updated', 'task:completed',
        'approval:requested', 'approval:granted', 'approval:denied', 'approval:expired',
        'approval:closed', 'plan:feedback',
        'bc:operation:start', 'bc:operation:success', 'bc:operation:error',
        'checkpoint:created', 'rollback:initiated', 'rollback:compensation-failed', 'rollback:completed', 'breaker:state-changed',
      ].sort(),
    );
  });

  it('createEvent fills the envelope', () => {
    const now = new Date('2026-01-02T03:04:05.000Z');
    const event = createEvent('task:created', { task }, { ...context, taskId: 't1' }, { now });
    expect(event.name).toBe('task:created');
    expect(event.detail).toMatchObject({
      tenantId: 'contoso',
      sessionId: 's-1',
      planId: 'p-1',
      taskId: 't1',
      correlationId: 'corr-12345678',
      causationId: 'msg-1',
      schemaVersion: 1,
      occurredAt: '2026-01-02T03:04:05.000Z',
      task: { ...task, dependsOn: [] },
    });
    expect(event.detail.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('causedBy chains causation to the handled event', () => {
    const started = createEvent('agent:started', { messageId: 'm1', planner: 'offline', taskCount: 1, levelCount: 1 }, context);
    const next = causedBy(started.detail, { taskId: 't1' });
    expect(next).toEqual({ ...context, taskId: 't1', causationId: started.detail.eventId });
  });

  it('rejects an event missing its own fields, naming the field', () => {
    expect(() => createEvent('task:created', {} as never, { ...context, taskId: 't1' })).toThrow(/task/);
    expect(() => createEvent('task:created', { task }, { ...context, taskId: 't1', tenantId: 'a#b' })).toThrow(EventValidationError);
  });

  it('task:completed: failed needs an error, result and resultRef are exclusive', () => {
    const base = { taskType: 'query' as const, attempt: 1, durationMs: 12 };
    const ctx = { ...context, taskId: 't1' };
    expect(() => createEvent('task:completed', { ...base, status: 'failed' }, ctx)).toThrow(/error/);
    expect(() => createEvent('task:completed', { ...base, status: 'succeeded', result: 1, resultRef: 'r' }, ctx)).toThrow(/exclusive/);
    const ok = createEvent('task:completed', { ...base, status: 'failed', error: { code: 'BcError', message: 'boom' } }, ctx);
    expect(ok.detail.error).toEqual({ code: 'BcError', message: 'boom' });
  });

  it('parseEventDetail rejects a wrong schemaVersion and a non-uuid eventId', () => {
    const good = createEvent('agent:error', { error: { code: 'X', message: 'y' } }, context).detail;
    expect(parseEventDetail('agent:error', good)).toEqual(good);
    expect(() => parseEventDetail('agent:error', { ...good, schemaVersion: 2 })).toThrow(/schemaVersion/);
    expect(() => parseEventDetail('agent:error', { ...good, eventId: 'nope' })).toThrow(/eventId/);
  });

  it('inlineOrStored keeps small results inline and stores large ones', async () => {
    const stored: unknown[] = [];
    const store = async (value: unknown) => {
      stored.push(value);
      return 'ref-1';
    };
    expect(await inlineOrStored({ value: [1, 2] }, store)).toEqual({ result: { value: [1, 2] } });
    const big = { value: 'x'.repeat(MAX_INLINE_RESULT_BYTES) };
    expect(await inlineOrStored(big, store)).toEqual({ resultRef: 'ref-1' });
    expect(stored).toEqual([big]);
  });
});
