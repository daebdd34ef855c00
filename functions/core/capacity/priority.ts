// The priority of the BC work in progress, so the governor can serve interactive (high-lane) work first.
// Like the BC deadline, it is stated once by the handler around its work instead of being threaded through
// every call: a high-lane worker, or the MCP server for a request that says it is high priority.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Priority } from './state.js';

const current = new AsyncLocalStorage<Priority>();

/** The header a caller of the MCP server uses to say its BC work is interactive. */
export const BC_PRIORITY_HEADER = 'x-bc-priority';

export function isPriority(value: unknown): value is Priority {
  return value === 'high' || value === 'normal';
}

/** Runs `work` with its BC requests at `priority` (an unknown value keeps the surrounding one). */
export function withBcPriority<T>(priority: string | undefined, work: () => Promise<T>): Promise<T> {
  return isPriority(priority) ? current.run(priority, work) : work();
}

/** The priority of the work in progress; normal unless stated. */
export function currentBcPriority(): Priority {
  return current.getStore() ?? 'normal';
}
