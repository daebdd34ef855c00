// A plan's audit events read as the console's timeline: retry notices, approval decisions with who and why,
// the plan's end, and an unknown event kept by name without invented text.
import { describe, expect, it } from 'vitest';
import type { PlanEvent } from '../../../../web/src/api.js';
import { clockTime, timelineLines } from '../../../../web/src/timeline.js';

const event = (name: string, detail: Record<string, unknown>, taskId?: string): PlanEvent => ({
  eventId: `${name}-${taskId ?? ''}`,
  name,
  source: 'bc-agent.test',
  occurredAt: '2026-12-03T10:00:00.123Z',
  ...(taskId ? { taskId } : {}),
  detail,
});

describe('timelineLines', () => {
  it('says what each event means, in order', () => {
    const lines = timelineLines([
      event('agent:started', { planner: 'offline', taskCount: 1, levelCount: 1, summary: 'create a customer' }),
      event('task:created', { task: { type: 'write', tool: 'bc_create_entity' } }, 't1'),
      event('task:updated', { status: 'pending', previousStatus: 'running', reason: 'Business Central is unavailable right now; retrying in 4 s (attempt 1 of 3).' }, 't1'),
      event('approval:requested', { requestedBy: 'carol', summary: 'Create customer Fabrikam', expiresAt: '2026-12-03T11:00:00Z' }, 't1'),
      event('approval:denied', { decidedBy: 'dave', reason: 'not this one' }, 't1'),
      event('approval:closed', { reason: 'plan cancelled by carol' }, 't1'),
      event('agent:completed', { status: 'cancelled', durationMs: 2500 }),
      event('something:new', { x: 1 }),
    ]);
    expect(lines.map((l) => [l.name, l.taskId, l.tone])).toEqual([
      ['agent:started', undefined, 'plan'],
      ['task:created', 't1', 'task'],
      ['task:updated', 't1', 'retry'],
      ['approval:requested', 't1', 'approval'],
      ['approval:denied', 't1', 'bad'],
      ['approval:closed', 't1', 'bad'],
      ['agent:completed', undefined, 'bad'],
      ['something:new', undefined, 'other'],
    ]);
    expect(lines[0]!.text).toBe('planned by offline · 1 task(s) on 1 level(s) · create a customer');
    expect(lines[2]!.text).toContain('running → pending · Business Central is unavailable right now; retrying in 4 s');
    expect(lines[3]!.text).toContain('approval requested by carol · Create customer Fabrikam');
    expect(lines[4]!.text).toBe('denied by dave · “not this one”');
    expect(lines[6]!.text).toBe('plan cancelled in 2.5 s');
    expect(lines[7]!.text).toBe('');
  });

  it('reads a task id from the detail when the audit item has none, and tolerates a detail of the wrong shape', () => {
    const [line] = timelineLines([event('task:completed', { taskId: 't2', status: 'failed', attempt: 2, error: { code: 'BcUnavailable', message: 'down' } })]);
    expect(line).toMatchObject({ taskId: 't2', tone: 'bad', text: 'failed · attempt 2 · BcUnavailable: down' });
    expect(timelineLines([event('approval:granted', { decidedBy: 42 })])[0]!.text).toBe('granted by ?');
  });

  it('shows times to the millisecond, and an unreadable time as given', () => {
    expect(clockTime('2026-12-03T10:00:00.123Z')).toMatch(/^\d\d:\d\d:00\.123$/);
    expect(clockTime('yesterday')).toBe('yesterday');
  });
});
