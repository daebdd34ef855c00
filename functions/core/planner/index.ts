// Choosing a planner: Claude when an API key is configured, the offline command language otherwise.
import { DEFAULT_MAX_TASKS, ABSOLUTE_MAX_TASKS } from '../plan/index.js';
import { anthropicConfigFromEnv, type AnthropicConfig } from '../claude/index.js';
import { createClaudePlanner, type EntitySchemaProvider } from './claude.js';
import { createOfflinePlanner } from './offline.js';
import type { Planner } from './types.js';

export type { Planner, PlanOutcome, PlanContext } from './types.js';
export type { EntitySchemaProvider } from './claude.js';
export { COMMAND_HELP } from './offline.js';

export interface PlannerConfig {
  anthropic?: AnthropicConfig;
  maxTasks: number;
  /** Entity schema text for Claude's prompt; defaults to the BC catalogue. */
  schemas?: EntitySchemaProvider;
  strictTools?: boolean;
}

export function createPlanner(config: PlannerConfig): Planner {
  if (config.anthropic?.apiKey) {
    return createClaudePlanner({ anthropic: config.anthropic, maxTasks: config.maxTasks, schemas: config.schemas, strictTools: config.strictTools });
  }
  return createOfflinePlanner({ maxTasks: config.maxTasks });
}

/**
 * ANTHROPIC_API_KEY (no key: offline planner), ANTHROPIC_BASE_URL, ANTHROPIC_MODEL, PLAN_MAX_TASKS (default 20)
 * and ANTHROPIC_STRICT_TOOLS (`false` turns strict tool use off, should an endpoint refuse the strict schema).
 * Blank values count as unset.
 */
export function plannerConfigFromEnv(env: Record<string, string | undefined> = process.env): PlannerConfig {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const maxTasksText = value('PLAN_MAX_TASKS');
  const maxTasks = maxTasksText === undefined ? DEFAULT_MAX_TASKS : Number(maxTasksText);
  if (!Number.isInteger(maxTasks) || maxTasks < 1 || maxTasks > ABSOLUTE_MAX_TASKS) {
    throw new Error(`PLAN_MAX_TASKS must be a whole number from 1 to ${ABSOLUTE_MAX_TASKS}`);
  }
  const apiKey = value('ANTHROPIC_API_KEY');
  if (!apiKey) return { maxTasks };
  const strictTools = value('ANTHROPIC_STRICT_TOOLS')?.toLowerCase() === 'false' ? { strictTools: false } : {};
  return { maxTasks, anthropic: anthropicConfigFromEnv(apiKey, env), ...strictTools };
}

export { createClaudePlanner, catalogueSchemas } from './claude.js';
export { createOfflinePlanner, planCommands } from './offline.js';
export { describeProblems } from './types.js';
