// The plan of ARCHITECTURE §6: what a planner produces and the orchestrator executes. Parsing applies the
// defaults; the per-tool argument schemas and the graph rules live in tools.ts and validate.ts.
import * as z from 'zod';
import { TASK_TYPES } from './tool-names.js';

export const TASK_ID_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
/** Upper bound whatever the configuration says; `maxTasks` (validatePlan option) is usually lower. */
export const ABSOLUTE_MAX_TASKS = 100;
export const DEFAULT_MAX_TASKS = 20;
export const MAX_DELAY_SECONDS = 86_400;

export const taskIdSchema = z
  .string()
  .regex(TASK_ID_PATTERN, 'task ids are lower-case, start with a letter, at most 32 characters of a-z 0-9 _ -');

export const planTaskSchema = z.strictObject({
  id: taskIdSchema,
  type: z.enum(TASK_TYPES),
  description: z.string().trim().min(1).max(500),
  tool: z.string().min(1).max(64),
  arguments: z.record(z.string(), z.unknown()).default({}),
  dependsOn: z.array(z.string().max(32)).max(ABSOLUTE_MAX_TASKS).default([]),
  critical: z.boolean().default(true),
  priority: z.enum(['high', 'normal']).default('normal'),
  delaySeconds: z.int().min(0).max(MAX_DELAY_SECONDS).default(0),
});

export const planSchema = z.strictObject({
  summary: z.string().trim().min(1).max(1000),
  tasks: z.array(planTaskSchema).min(1).max(ABSOLUTE_MAX_TASKS),
});

export type PlanTask = z.infer<typeof planTaskSchema>;
export type Plan = z.infer<typeof planSchema>;
/** What a planner may hand over: defaults not yet applied. */
export type PlanInput = z.input<typeof planSchema>;
