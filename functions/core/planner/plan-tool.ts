// The `create_plan` tool Claude fills in: the JSON schema of the plan (from the same zod schemas as the plan
// model), shaped for strict tool use, and the way back from the tool input to a plan.
//
// Strict tool use accepts only objects with `additionalProperties: false`, so free-form records (the `data`
// of a write, field → value) are offered to the model as lists of `{ field, value }` pairs; the paths where
// that happened are remembered and the pairs are turned back into records before validation.
import * as z from 'zod';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import { planSchema, taskIdSchema, TOOLS, type ToolDefinition } from '../plan/index.js';

type JsonSchema = Record<string, unknown>;
/** A path into tool arguments: property names, with '[]' for "every element". */
type RecordPath = string[];

export const CREATE_PLAN_TOOL = 'create_plan';
export const REPLY_TOOL = 'reply';

/** Records become `[{ field, value }]` in the schema; returns where. */
function pairsForRecords(schema: JsonSchema, path: RecordPath, found: RecordPath[]): JsonSchema {
  const additional = schema.additionalProperties;
  if (schema.type === 'object' && additional && typeof additional === 'object' && !schema.properties) {
    found.push(path);
    return {
      type: 'array',
      description: `${schema.description ? `${String(schema.description)}: ` : ''}a list of { field, value } pairs`,
      items: {
        type: 'object',
        properties: { field: (schema.propertyNames as JsonSchema | undefined) ?? { type: 'string' }, value: additional },
        required: ['field', 'value'],
        additionalProperties: false,
      },
    };
  }
  const out: JsonSchema = { ...schema };
  if (schema.properties && typeof schema.properties === 'object') {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties as Record<string, JsonSchema>).map(([key, child]) => [key, pairsForRecords(child, [...path, key], found)]),
    );
  }
  if (schema.items && typeof schema.items === 'object') out.items = pairsForRecords(schema.items as JsonSchema, [...path, '[]'], found);
  return out;
}

interface ToolVariant {
  tool: ToolDefinition;
  schema: JsonSchema;
  recordPaths: RecordPath[];
}

function variantFor(tool: ToolDefinition): ToolVariant {
  const recordPaths: RecordPath[] = [];
  const args = pairsForRecords(z.toJSONSchema(tool.modelArgs, { io: 'input' }) as JsonSchema, [], recordPaths);
  const common = z.toJSONSchema(planSchema.shape.tasks.element, { io: 'input' }) as JsonSchema & { properties: Record<string, JsonSchema> };
  const schema: JsonSchema = {
    type: 'object',
    description: `A ${tool.type} task using ${tool.name}: ${tool.description}`,
    properties: {
      ...common.properties,
      id: z.toJSONSchema(taskIdSchema) as JsonSchema,
      type: { type: 'string', const: tool.type },
      tool: { type: 'string', const: tool.name },
      arguments: args,
    },
    // Every task field required: explicit choices from the model, and no optional parameters to budget for.
    required: ['id', 'type', 'description', 'tool', 'arguments', 'dependsOn', 'critical', 'priority', 'delaySeconds'],
    additionalProperties: false,
  };
  delete (schema.properties as Record<string, unknown>).$schema;
  return { tool, schema, recordPaths };
}

const variants = TOOLS.map(variantFor);
const recordPathsByTool = new Map(variants.map((v) => [v.tool.name, v.recordPaths]));

/** The input schema of `create_plan`, valid for strict tool use. */
export function planToolInputSchema(): JsonSchema {
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      summary: { type: 'string', description: 'One sentence: what the plan does, in the words of the request' },
      tasks: { type: 'array', minItems: 1, items: { anyOf: variants.map((v) => v.schema) } },
    },
    required: ['summary', 'tasks'],
    additionalProperties: false,
  };
  return transformJSONSchema(schema);
}

/** The input schema of `reply`, for messages that ask for no Business Central operation. */
export function replyToolInputSchema(): JsonSchema {
  return transformJSONSchema(z.toJSONSchema(z.strictObject({ text: z.string().describe('The answer to show the person') })) as JsonSchema);
}

function recordsFromPairs(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0) {
    if (!Array.isArray(value)) return value;
    const entries = value.map((pair) => (pair && typeof pair === 'object' && !Array.isArray(pair) ? [(pair as { field?: unknown }).field, (pair as { value?: unknown }).value] : [undefined, undefined]));
    // A malformed pair stays as it is, so validation reports it instead of it vanishing.
    if (entries.some(([field]) => typeof field !== 'string')) return value;
    return Object.fromEntries(entries);
  }
  const [head, ...rest] = path;
  if (head === '[]') return Array.isArray(value) ? value.map((v) => recordsFromPairs(v, rest)) : value;
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, head!)) {
    return { ...(value as Record<string, unknown>), [head!]: recordsFromPairs((value as Record<string, unknown>)[head!], rest) };
  }
  return value;
}

/** The `create_plan` input with records restored, ready for validatePlan (which treats it as untrusted). */
export function planFromToolInput(input: unknown): unknown {
  if (!input || typeof input !== 'object' || !Array.isArray((input as { tasks?: unknown }).tasks)) return input;
  const plan = input as { tasks: unknown[] };
  return {
    ...plan,
    tasks: plan.tasks.map((task) => {
      if (!task || typeof task !== 'object') return task;
      const { tool, arguments: args } = task as { tool?: unknown; arguments?: unknown };
      const paths = typeof tool === 'string' ? recordPathsByTool.get(tool) : undefined;
      if (!paths) return task;
      return { ...task, arguments: paths.reduce((acc, p) => recordsFromPairs(acc, p), args) };
    }),
  };
}

function pairsFromRecords(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0) {
    return value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).map(([field, v]) => ({ field, value: v })) : value;
  }
  const [head, ...rest] = path;
  if (head === '[]') return Array.isArray(value) ? value.map((v) => pairsFromRecords(v, rest)) : value;
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, head!)) {
    return { ...(value as Record<string, unknown>), [head!]: pairsFromRecords((value as Record<string, unknown>)[head!], rest) };
  }
  return value;
}

/**
 * A plan as Claude writes it into `create_plan` (records as `{ field, value }` pairs), for examples and test
 * doubles. Anything that is not plan-shaped, and data already given as pairs, is passed through unchanged.
 */
export function toolInputFromPlan(plan: unknown): unknown {
  if (!plan || typeof plan !== 'object' || !Array.isArray((plan as { tasks?: unknown }).tasks)) return plan;
  return {
    ...plan,
    tasks: (plan as { tasks: unknown[] }).tasks.map((task) => {
      const tool = (task as { tool?: unknown } | null)?.tool;
      const paths = typeof tool === 'string' ? recordPathsByTool.get(tool) : undefined;
      if (!paths) return task;
      const args = (task as { arguments?: unknown }).arguments;
      return { ...(task as object), arguments: paths.reduce<unknown>((acc, p) => pairsFromRecords(acc, p), args) };
    }),
  };
}
