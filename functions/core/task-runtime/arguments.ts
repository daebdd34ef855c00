// A task's arguments on their way to a worker: every `$ref` resolved from the stored results of the tasks it
// depends on, and — when the resolved arguments are too large to travel in task:created (EventBridge and SQS
// cap a message at 256 KB) — stored beside the plan and sent as a reference the worker loads.
import { jsonByteLength, MAX_INLINE_RESULT_BYTES } from '../events/index.js';
import { collectRefs, parseRefPath, resolveRefs } from '../plan/index.js';
import type { StateStore, StoredPlan, StoredTask } from '../store/index.js';

/** The only key of arguments that travel by reference: `{ "$argumentsRef": "<stored result ref>" }`. */
export const ARGUMENTS_REF_KEY = '$argumentsRef';

/** Every task `task` depends on, directly or through others (validation lets a `$ref` name any of them). */
function ancestorsOf(plan: StoredPlan, task: StoredTask): Set<string> {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const seen = new Set<string>();
  const stack = [...task.dependsOn];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return seen;
}

/** The task ids `args` reference (malformed references are left to resolveRefs to report). */
function referencedTaskIds(args: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  for (const { ref } of collectRefs(args)) {
    try {
      ids.add(parseRefPath(ref).taskId);
    } catch {
      // resolveRefs names the malformed reference.
    }
  }
  return ids;
}

/** task id → result, for the tasks `task` references and depends on (directly or not) that have a result. */
export async function dependencyResults(store: StateStore, plan: StoredPlan, task: StoredTask): Promise<Record<string, unknown>> {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const ancestors = ancestorsOf(plan, task);
  const entries = await Promise.all(
    [...referencedTaskIds(task.arguments)].map(async (id) => {
      const dependency = byId.get(id);
      if (!ancestors.has(id) || !dependency) return undefined;
      // A small result is on the task itself; a large one is read from beside the plan.
      if (dependency.result !== undefined) return [id, dependency.result] as const;
      if (!dependency.resultRef) return undefined;
      return [id, await store.results.get(plan.tenantId, dependency.resultRef)] as const;
    }),
  );
  return Object.fromEntries(entries.filter((e): e is readonly [string, unknown] => e !== undefined));
}

/** The task's arguments with every `$ref` replaced (throws RefResolutionError naming the missing part). */
export async function resolveTaskArguments(store: StateStore, plan: StoredPlan, task: StoredTask): Promise<Record<string, unknown>> {
  if (task.dependsOn.length === 0) return task.arguments;
  return resolveRefs(task.arguments, await dependencyResults(store, plan, task));
}

/** Arguments as they go into task:created: inline when small, else stored and referenced. */
export async function argumentsForTransport(
  store: StateStore,
  plan: StoredPlan,
  taskId: string,
  args: Record<string, unknown>,
  maxInlineBytes = MAX_INLINE_RESULT_BYTES,
): Promise<Record<string, unknown>> {
  if (jsonByteLength(args) <= maxInlineBytes) return args;
  return { [ARGUMENTS_REF_KEY]: await store.results.put(plan.tenantId, plan.planId, taskId, args) };
}

/** The worker's side: the arguments as sent, loading them when they came by reference. */
export async function argumentsFromTransport(store: StateStore, tenantId: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const keys = Object.keys(args);
  if (keys.length !== 1 || keys[0] !== ARGUMENTS_REF_KEY || typeof args[ARGUMENTS_REF_KEY] !== 'string') return args;
  return (await store.results.get(tenantId, args[ARGUMENTS_REF_KEY])) as Record<string, unknown>;
}
