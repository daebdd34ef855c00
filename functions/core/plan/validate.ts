// Validation of an untrusted plan (from a model or a parser): shape, tools per task type, tool arguments and
// names against the BC catalogue, the dependency graph (unknown ids, cycles) and `$ref`s, then the
// topological levels the orchestrator dispatches one after another.
import type * as z from 'zod';
import { planSchema, DEFAULT_MAX_TASKS, type Plan, type PlanTask } from './schema.js';
import { findTool, TOOLS, TOOLS_BY_TYPE } from './tools.js';
import { collectRefs, looksLikeRef, parseRefPath, RefSyntaxError } from './refs.js';
import { didYouMean } from './suggest.js';

export type PlanProblemCode =
  | 'cycle'
  | 'unknown_dependency'
  | 'unknown_tool'
  | 'tool_not_allowed_for_type'
  | 'illegal_ref'
  | 'duplicate_id'
  | 'unknown_entity'
  | 'unknown_field'
  | 'too_many_tasks'
  | 'invalid';

export interface PlanProblem {
  code: PlanProblemCode;
  message: string;
  taskId?: string;
}

export type PlanValidation =
  | { ok: true; plan: Plan; levels: string[][] }
  | { ok: false; problems: PlanProblem[] };

export interface ValidatePlanOptions {
  maxTasks?: number;
}

export function validatePlan(input: unknown, options: ValidatePlanOptions = {}): PlanValidation {
  const maxTasks = options.maxTasks ?? DEFAULT_MAX_TASKS;
  const parsed = planSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: shapeProblems(input, parsed.error) };
  const plan = parsed.data;
  const problems: PlanProblem[] = [];

  if (plan.tasks.length > maxTasks) {
    problems.push({ code: 'too_many_tasks', message: `a plan may have at most ${maxTasks} tasks, this one has ${plan.tasks.length}` });
  }

  const byId = new Map<string, PlanTask>();
  for (const task of plan.tasks) {
    if (byId.has(task.id)) problems.push({ code: 'duplicate_id', message: `task id '${task.id}' is used more than once`, taskId: task.id });
    else byId.set(task.id, task);
  }

  // Arguments that failed their schema are not looked into further (their shape is unknown, maybe hostile).
  const checked = plan.tasks.map((task) => ({ task, args: checkTool(task, problems) }));
  const tasks = checked.map(({ task, args }) => ({ ...task, arguments: args ?? {} }));

  for (const task of tasks) {
    for (const dependency of task.dependsOn) {
      if (dependency === task.id) {
        problems.push({ code: 'cycle', message: `task '${task.id}' depends on itself`, taskId: task.id });
      } else if (!byId.has(dependency)) {
        problems.push({
          code: 'unknown_dependency',
          message: `task '${task.id}' depends on '${dependency}', which is not in the plan.${didYouMean(dependency, [...byId.keys()])}`,
          taskId: task.id,
        });
      }
    }
  }

  const graph = new Map(tasks.map((t) => [t.id, [...new Set(t.dependsOn.filter((d) => d !== t.id && byId.has(d)))]]));
  for (const cycle of findCycles(graph)) {
    problems.push({ code: 'cycle', message: `the tasks depend on each other in a cycle: ${[...cycle, cycle[0]].join(' → ')}`, taskId: cycle[0] });
  }

  const acyclic = !problems.some((p) => p.code === 'cycle');
  const ancestors = acyclic ? transitiveDependencies(graph) : undefined;
  for (const { task, args } of checked) if (args) checkRefs({ ...task, arguments: args }, byId, ancestors?.get(task.id), problems);

  if (problems.length > 0) return { ok: false, problems };
  const validPlan: Plan = { summary: plan.summary, tasks };
  return { ok: true, plan: validPlan, levels: topologicalLevels(graph, tasks.map((t) => t.id)) };
}

/** Deeper than any valid arguments go; checked before parsing so hostile nesting cannot exhaust the stack. */
const MAX_ARGUMENT_DEPTH = 32;

function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

export type ToolArgumentsValidation = { ok: true; arguments: Record<string, unknown> } | { ok: false; problems: PlanProblem[] };

/**
 * A tool's arguments against its schema and the catalogue. validatePlan uses it for every task; a worker can
 * use it again after resolveRefs, when the referenced values are in place.
 */
export function validateToolArguments(toolName: string, args: unknown, taskId?: string): ToolArgumentsValidation {
  const at = taskId ? `task '${taskId}': ` : '';
  const withTask = taskId ? { taskId } : {};
  const tool = findTool(toolName);
  if (!tool) {
    const names = TOOLS.map((t) => t.name);
    return {
      ok: false,
      problems: [{ code: 'unknown_tool', message: `${at}unknown tool '${toolName}'.${didYouMean(toolName, names)} Tools: ${names.join(', ')}`, ...withTask }],
    };
  }
  if (nestedDeeperThan(args, MAX_ARGUMENT_DEPTH)) {
    return { ok: false, problems: [{ code: 'invalid', message: `${at}arguments are nested more than ${MAX_ARGUMENT_DEPTH} levels deep`, ...withTask }] };
  }
  const parsed = tool.args.safeParse(args);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.slice(0, 20).map((issue): PlanProblem => {
        const refAt = refOnPath(args, issue.path);
        return refAt !== undefined
          ? { code: 'illegal_ref', message: `${at}a $ref is not allowed at arguments${refAt} (names and structure must be literal)`, ...withTask }
          : { code: 'invalid', message: `${at}arguments${formatPath(issue.path)}: ${issue.message}`, ...withTask };
      }),
    };
  }
  const problems = tool.check(parsed.data as never).map((p): PlanProblem => ({ code: p.code, message: `${at}${p.message}`, ...withTask }));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, arguments: parsed.data as Record<string, unknown> };
}

/** Tool allowed for the task type and arguments valid; the parsed arguments, or undefined when invalid. */
function checkTool(task: PlanTask, problems: PlanProblem[]): Record<string, unknown> | undefined {
  const tool = findTool(task.tool);
  if (tool && tool.type !== task.type) {
    problems.push({
      code: 'tool_not_allowed_for_type',
      message: `task '${task.id}' is a ${task.type} task but '${task.tool}' is a ${tool.type} tool (${task.type} tasks may use: ${TOOLS_BY_TYPE[task.type].join(', ')})`,
      taskId: task.id,
    });
  }
  const result = validateToolArguments(task.tool, task.arguments, task.id);
  if (!result.ok) {
    problems.push(...result.problems);
    return undefined;
  }
  return result.arguments;
}

function checkRefs(task: PlanTask, byId: Map<string, PlanTask>, ancestors: Set<string> | undefined, problems: PlanProblem[]): void {
  for (const { at, ref } of collectRefs(task.arguments)) {
    const where = `task '${task.id}' arguments.${at || '(root)'}`;
    let target: string;
    try {
      target = parseRefPath(ref).taskId;
    } catch (error) {
      if (!(error instanceof RefSyntaxError)) throw error;
      problems.push({ code: 'illegal_ref', message: `${where}: ${error.message}`, taskId: task.id });
      continue;
    }
    if (target === task.id) {
      problems.push({ code: 'illegal_ref', message: `${where}: a task cannot reference its own result`, taskId: task.id });
    } else if (!byId.has(target)) {
      problems.push({ code: 'illegal_ref', message: `${where}: '${ref}' references unknown task '${target}'`, taskId: task.id });
    } else if (ancestors && !ancestors.has(target)) {
      problems.push({
        code: 'illegal_ref',
        message: `${where}: '${ref}' references task '${target}', which '${task.id}' does not depend on (add it to dependsOn)`,
        taskId: task.id,
      });
    }
  }
}

/** Each elementary cycle reachable in the graph, once (as found by a depth-first search). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string) => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of graph.get(id) ?? []) {
      if (state.get(next) === 'visiting') cycles.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of graph.keys()) if (!state.has(id)) visit(id);
  return cycles;
}

function transitiveDependencies(graph: Map<string, string[]>): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const of = (id: string): Set<string> => {
    let set = memo.get(id);
    if (set) return set;
    set = new Set();
    for (const dependency of graph.get(id) ?? []) {
      set.add(dependency);
      for (const a of of(dependency)) set.add(a);
    }
    memo.set(id, set);
    return set;
  };
  for (const id of graph.keys()) of(id);
  return memo;
}

/** Level n holds the tasks whose longest dependency chain has n links; plan order within a level. */
function topologicalLevels(graph: Map<string, string[]>, order: string[]): string[][] {
  const depth = new Map<string, number>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const d = Math.max(-1, ...(graph.get(id) ?? []).map(depthOf)) + 1;
    depth.set(id, d);
    return d;
  };
  const levels: string[][] = [];
  for (const id of order) (levels[depthOf(id)] ??= []).push(id);
  return levels;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/** If a `$ref` object sits on (a prefix of) the path, where it is. */
function refOnPath(root: unknown, path: readonly PropertyKey[]): string | undefined {
  let current: unknown = root;
  for (let i = 0; i < path.length; i++) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[path[i]!];
    if (looksLikeRef(current)) return formatPath(path.slice(0, i + 1));
  }
  return undefined;
}

function shapeProblems(input: unknown, error: z.ZodError): PlanProblem[] {
  const tasks = (input as { tasks?: unknown } | null)?.tasks;
  return error.issues.slice(0, 20).map((issue) => {
    const [first, index] = issue.path;
    const raw = first === 'tasks' && typeof index === 'number' && Array.isArray(tasks) ? (tasks[index] as { id?: unknown }) : undefined;
    const taskId = typeof raw?.id === 'string' && raw.id.length <= 32 ? raw.id : undefined;
    return { code: 'invalid', message: `plan${formatPath(issue.path)}: ${issue.message}`, ...(taskId ? { taskId } : {}) };
  });
}
