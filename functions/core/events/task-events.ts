// The task as it travels in task:created, built from a stored task: shared by whoever dispatches a level
// (the orchestrator for the first, plan progress for the next ones).
import type { DispatchedTask, EventFields } from './catalogue.js';

/** The stored task fields a dispatch needs (structural, so the store need not be imported here). */
export interface DispatchableTask {
  id: string;
  type: DispatchedTask['type'];
  description?: string;
  tool: string;
  dependsOn: string[];
  priority: DispatchedTask['priority'];
  delaySeconds: number;
  critical: boolean;
  attempt: number;
  level?: number;
}

/** The fields of a task:created event; `resolvedArguments` must hold no `$ref` any more. */
export function taskCreatedFields(task: DispatchableTask, resolvedArguments: Record<string, unknown>): EventFields<'task:created'> {
  return {
    task: {
      id: task.id,
      type: task.type,
      ...(task.description ? { description: task.description } : {}),
      tool: task.tool,
      arguments: resolvedArguments,
      dependsOn: task.dependsOn,
      priority: task.priority,
      delaySeconds: task.delaySeconds,
      critical: task.critical,
      attempt: task.attempt,
      ...(task.level !== undefined ? { level: task.level } : {}),
    },
  };
}
