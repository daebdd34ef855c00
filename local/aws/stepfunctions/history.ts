/**
 * Execution history in Step Functions' shape, merged from two ordered streams: the state events the
 * aws-local-stepfunctions log delivers asynchronously, and the task events recorded synchronously while a
 * task state runs. A state's task events are placed just before the event that closes that state.
 */

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export interface HistoryEntry {
  timestamp: number;
  type: string;
  details: Record<string, unknown>;
  /** The state an event belongs to; used for ordering only, not part of the history. */
  stateName?: string;
}

const closesState = (type: string): boolean => type.endsWith('StateExited') || type.endsWith('StateFailed');
const endsAttempt = (type: string): boolean => type === 'TaskSucceeded' || type === 'TaskFailed';

export class HistoryRecorder {
  private readonly states: HistoryEntry[] = [];
  private readonly tasks: HistoryEntry[] = [];

  addStateEvent(entry: HistoryEntry): void {
    this.states.push(entry);
  }

  addTaskEvent(entry: HistoryEntry): void {
    this.tasks.push(entry);
  }

  merged(): HistoryEntry[] {
    const pending = new Map<string, HistoryEntry[]>();
    for (const task of this.tasks) {
      const queue = pending.get(task.stateName ?? '') ?? [];
      queue.push(task);
      pending.set(task.stateName ?? '', queue);
    }
    const result: HistoryEntry[] = [];
    for (const state of this.states) {
      if (closesState(state.type) && state.stateName !== undefined) {
        const queue = pending.get(state.stateName) ?? [];
        let last = -1;
        queue.forEach((entry, index) => {
          if (endsAttempt(entry.type)) last = index;
        });
        result.push(...queue.splice(0, last + 1));
      }
      result.push(state);
    }
    // Tasks of states still running (waiting for a token, or cut off by StopExecution) come last.
    const rest = [...pending.values()].flat().sort((a, b) => a.timestamp - b.timestamp);
    return [...result, ...rest];
  }
}

export function numbered(entries: HistoryEntry[]): HistoryEvent[] {
  return entries.map((entry, index) => ({ id: index + 1, previousEventId: index, timestamp: entry.timestamp, type: entry.type, ...entry.details }));
}

export function toEntry(event: HistoryEvent): HistoryEntry {
  const { id: _id, previousEventId: _previous, timestamp, type, ...details } = event;
  return { timestamp, type, details };
}
