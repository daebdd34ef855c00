// A plan's audit events (GET /v1/plans/{id}/events) read as a story: one line per event saying what it
// means for a person (a retry notice, who decided an approval and why), and what kind of line it is.
import type { PlanEvent } from './api.js';

export type TimelineTone = 'plan' | 'task' | 'retry' | 'approval' | 'decision' | 'bc' | 'bad' | 'other';

export interface TimelineLine {
  eventId: string;
  time: string;
  name: string;
  taskId?: string;
  text: string;
  tone: TimelineTone;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const errorText = (value: unknown): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message } = value as { code?: unknown; message?: unknown };
  return [str(code), str(message)].filter(Boolean).join(': ') || undefined;
};
const duration = (ms: number | undefined): string => (ms === undefined ? '' : ms < 1000 ? ` in ${Math.round(ms)} ms` : ` in ${(ms / 1000).toFixed(1)} s`);
const join = (...parts: Array<string | undefined | false>): string => parts.filter(Boolean).join(' · ');

/** What an event says, in a line; unknown events keep their name and show nothing invented. */
export function describeEvent(event: PlanEvent): Omit<TimelineLine, 'eventId' | 'time' | 'name' | 'taskId'> {
  // The detail is each event's own shape (functions/core/events/catalogue.ts); read field by field, checked.
  const d = (event.detail ?? {}) as Record<string, unknown>;
  switch (event.name) {
    case 'agent:started':
      return { tone: 'plan', text: join(`planned by ${str(d.planner) ?? 'the planner'}`, num(d.taskCount) !== undefined && `${num(d.taskCount)} task(s) on ${num(d.levelCount) ?? '?'} level(s)`, str(d.summary)) };
    case 'agent:completed':
      return { tone: d.status === 'cancelled' ? 'bad' : 'plan', text: `plan ${str(d.status) ?? 'completed'}${duration(num(d.durationMs))}` };
    case 'agent:error':
      return { tone: 'bad', text: join(`plan failed${duration(num(d.durationMs))}`, errorText(d.error), str(d.failedTaskId) && `at ${str(d.failedTaskId)}`) };
    case 'task:created': {
      const task = (d.task ?? {}) as { type?: unknown; tool?: unknown; description?: unknown };
      return { tone: 'task', text: join(`${str(task.type) ?? 'task'} created`, str(task.tool), str(task.description)) };
    }
    case 'task:updated': {
      const reason = str(d.reason);
      const retrying = /retry/i.test(reason ?? '');
      return { tone: retrying ? 'retry' : d.status === 'cancelled' ? 'bad' : 'task', text: join(`${str(d.previousStatus) ? `${str(d.previousStatus)} → ` : ''}${str(d.status) ?? 'updated'}`, reason) };
    }
    case 'task:completed':
      return {
        tone: d.status === 'failed' ? 'bad' : 'task',
        text: join(`${str(d.status) ?? 'completed'}${duration(num(d.durationMs))}`, (num(d.attempt) ?? 1) > 1 && `attempt ${num(d.attempt)}`, errorText(d.error)),
      };
    case 'approval:requested':
      return { tone: 'approval', text: join(`approval requested by ${str(d.requestedBy) ?? '?'}`, str(d.summary), str(d.expiresAt) && `expires ${new Date(str(d.expiresAt)!).toLocaleTimeString()}`) };
    case 'approval:granted':
    case 'approval:denied':
      return { tone: event.name === 'approval:denied' ? 'bad' : 'decision', text: join(`${event.name === 'approval:granted' ? 'granted' : 'denied'} by ${str(d.decidedBy) ?? '?'}`, str(d.reason) && `“${str(d.reason)}”`) };
    case 'approval:expired':
      return { tone: 'bad', text: 'approval expired undecided' };
    case 'approval:closed':
      return { tone: 'bad', text: join('approval closed', str(d.reason)) };
    case 'bc:operation:error':
      return { tone: d.retryable ? 'retry' : 'bad', text: join(`BC ${str(d.operation) ?? 'call'} failed${duration(num(d.durationMs))}`, errorText(d.error), d.retryable === true && 'will be retried') };
    case 'bc:operation:success':
      return { tone: 'bc', text: join(`BC ${str(d.operation) ?? 'call'}${num(d.httpStatus) ? ` ${num(d.httpStatus)}` : ''}${duration(num(d.durationMs))}`, str(d.entitySet)) };
    case 'bc:operation:start':
      return { tone: 'bc', text: join(`BC ${str(d.operation) ?? 'call'} started`, str(d.entitySet)) };
    case 'plan:feedback':
      return { tone: 'other', text: join(`feedback ${d.rating === 'up' ? '👍' : d.rating === 'down' ? '👎' : ''} by ${str(d.givenBy) ?? '?'}`, str(d.comment)) };
    case 'rollback:initiated':
      return { tone: 'bad', text: join(`rollback after ${str(d.failedStep) ?? 'a failed step'}`, errorText(d.error)) };
    case 'rollback:completed':
      return { tone: 'bad', text: `rollback ${str(d.status) ?? 'completed'}` };
    case 'rollback:compensation-failed':
      return { tone: 'bad', text: join(`compensation of ${str(d.step) ?? 'a step'} failed`, errorText(d.error)) };
    default:
      return { tone: 'other', text: '' };
  }
}

export function timelineLines(events: readonly PlanEvent[]): TimelineLine[] {
  return events.map((event) => {
    const taskId = event.taskId ?? str((event.detail as { taskId?: unknown } | undefined)?.taskId);
    return { eventId: event.eventId, time: event.occurredAt, name: event.name, ...(taskId ? { taskId } : {}), ...describeEvent(event) };
  });
}

/** HH:MM:SS.mmm in the viewer's time zone: the timeline's events are often milliseconds apart. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
