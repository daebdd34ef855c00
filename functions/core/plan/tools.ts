// The tools a plan task may name, the task type each belongs to, their argument schemas, and the checks of
// entity-set and field names against the BC catalogue. Whatever a planner (or a model) produces is data:
// only these tools can run, and only with arguments that pass these schemas and checks.
import * as z from 'zod';
import { findEntitySet, entitySetNames, type EntitySetDefinition } from '../bc/index.js';
import { didYouMean } from './suggest.js';

/** The tool a plan names to run the purchase-order saga (the write worker hands it to Step Functions). */
export const SAGA_TOOL = 'saga_purchase_order';

export const TASK_TYPES = ['query', 'write', 'analysis', 'validation'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const COMPARISON_OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains', 'startswith', 'endswith'] as const;
export type FilterOperator = (typeof COMPARISON_OPERATORS)[number] | 'in';

export const refSchema = z.strictObject({ $ref: z.string().min(1).max(256) }).describe('A reference to a result of a task this task depends on, e.g. {"$ref":"t1.result.value[0].id"}');
/** A value that may also be given as a reference to an earlier task's result. */
const refOr = <T extends z.ZodType>(schema: T) => z.union([refSchema, schema]);

const scalar = z.union([z.string().max(2048), z.number(), z.boolean(), z.null()]);
const name = (what: string) => z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, `${what} must be a plain name`);
const entityArg = name('entity').describe('Entity set name, e.g. customers, vendors, items, purchaseOrders');
const company = z.string().min(1).max(64).optional().describe('Company id or name; the default company when absent');
const guidOrRef = refOr(z.guid().describe('The record id (GUID)'));

const literal = z.union([z.string().max(2048), z.number(), z.boolean(), z.null()]);
const comparisonSchema = z.strictObject({
  field: name('field'),
  op: z.enum(COMPARISON_OPERATORS),
  value: refOr(literal),
  caseInsensitive: z.boolean().optional().describe('Compare text case-insensitively'),
});
const inListSchema = z.strictObject({
  field: name('field'),
  op: z.literal('in'),
  values: z.array(refOr(z.union([z.string().max(2048), z.number()]))).min(1).max(100),
});
export type FilterCondition = z.infer<typeof comparisonSchema> | z.infer<typeof inListSchema>;
/** The MCP tool's structured filter (functions/core/bc/odata.ts ODataFilter), with `$ref`s allowed as values. */
export type Filter = FilterCondition | { and: Filter[] } | { or: Filter[] } | { not: Filter };
export const filterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    comparisonSchema,
    inListSchema,
    z.strictObject({ and: z.array(filterSchema).min(1).max(100) }),
    z.strictObject({ or: z.array(filterSchema).min(1).max(100) }),
    z.strictObject({ not: filterSchema }),
  ]),
);
/**
 * The same filter without recursion, for the strict tool schema Claude fills in (strict tool use accepts no
 * recursive schemas): a condition, an OR of conditions, or an AND of conditions and ORs of conditions.
 */
const conditionSchema = z.union([comparisonSchema, inListSchema]);
const orSchema = z.strictObject({ or: z.array(conditionSchema).min(1).max(100) });
export const flatFilterSchema = z
  .union([conditionSchema, orSchema, z.strictObject({ and: z.array(z.union([conditionSchema, orSchema])).min(1).max(100) })])
  .describe("A condition {field, op, value}, {field, op:'in', values:[…]}, {or:[conditions on one field]} or {and:[…]}");

const dataSchema = z.record(name('field'), z.union([refSchema, scalar])).describe('Field name → value');

export const queryArgsSchema = z.strictObject({
  entity: entityArg,
  filter: filterSchema.optional(),
  select: z.array(name('select field')).max(100).optional(),
  expand: z.array(name('navigation property')).max(10).optional(),
  orderby: z
    .array(z.strictObject({ field: name('orderby field'), direction: z.enum(['asc', 'desc']).default('asc') }))
    .max(10)
    .optional(),
  top: z.int().min(1).max(1000).optional(),
  skip: z.int().min(0).max(1_000_000).optional(),
  count: z.boolean().optional().describe('Also return the total number of matching records'),
  parentId: guidOrRef.optional().describe('For lines (salesOrderLines, purchaseOrderLines): the document id'),
  company,
});
export const createArgsSchema = z.strictObject({ entity: entityArg, data: dataSchema, company });
export const updateArgsSchema = z.strictObject({
  entity: entityArg,
  id: guidOrRef,
  data: dataSchema,
  etag: refOr(z.string().max(200)).optional(),
  company,
});
export const deleteArgsSchema = z.strictObject({
  entity: entityArg,
  id: guidOrRef,
  etag: refOr(z.string().max(200)).optional(),
  company,
});
export const batchArgsSchema = z.strictObject({
  operations: z
    .array(
      z.strictObject({
        method: z.enum(['GET', 'POST', 'PATCH', 'DELETE']),
        entity: entityArg,
        id: guidOrRef.optional(),
        data: dataSchema.optional(),
        etag: refOr(z.string().max(512)).optional(),
      }),
    )
    .min(1)
    .max(100),
  atomic: z.boolean().optional(),
  company,
});
export const purchaseOrderSagaArgsSchema = z.strictObject({
  vendorNumber: refOr(z.string().min(1).max(20)),
  lines: z
    .array(
      z.strictObject({
        itemNumber: refOr(z.string().min(1).max(20)),
        quantity: refOr(z.number().positive().max(1_000_000)),
        locationCode: refOr(z.string().min(1).max(10)).optional(),
      }),
    )
    .min(1)
    .max(100),
  company,
});
export const analyzeArgsSchema = z.strictObject({
  source: refSchema.describe('The result to analyse, e.g. {"$ref":"t1.result"}'),
  entity: entityArg.describe('The entity set the source records belong to'),
  by: name('by').describe('The field to analyse: numbers are summarised, other fields grouped and counted'),
  question: z.string().max(1000).optional().describe('What the person wants to know, in their words'),
});
export const validateArgsSchema = z.strictObject({ entity: entityArg, data: dataSchema, company });

export interface ToolCheckProblem {
  code: 'unknown_entity' | 'unknown_field' | 'invalid';
  message: string;
}

export interface ToolDefinition {
  name: string;
  type: TaskType;
  description: string;
  args: z.ZodType;
  /** A strict-tool-use-compatible (non-recursive) subset of `args`, for the schema Claude fills in. */
  modelArgs: z.ZodType;
  /** Names checked against the catalogue; runs on arguments that passed `args`. */
  check: (args: never) => ToolCheckProblem[];
}

// ---- catalogue checks, shared by the tools ----

class Checker {
  readonly problems: ToolCheckProblem[] = [];

  entity(entity: string, operation?: string): EntitySetDefinition | undefined {
    const definition = findEntitySet(entity);
    if (!definition) {
      this.problems.push({
        code: 'unknown_entity',
        message: `unknown entity set '${entity}'.${didYouMean(entity, entitySetNames)} Known: ${entitySetNames.join(', ')}`,
      });
      return undefined;
    }
    if (operation && !definition.operations.includes(operation)) {
      this.problems.push({
        code: 'invalid',
        message: `'${entity}' does not support ${operation} (supported: ${definition.operations.join(', ')})`,
      });
    }
    return definition;
  }

  field(definition: EntitySetDefinition | undefined, field: string, usage: string, writable = false): void {
    if (!definition) return;
    const property = definition.properties.find((p) => p.name === field);
    const names = definition.properties.map((p) => p.name);
    if (!property) {
      this.problems.push({
        code: 'unknown_field',
        message: `unknown field '${field}' in ${usage} of '${definition.entitySet}'.${didYouMean(field, names)}`,
      });
    } else if (writable && property.readOnly) {
      this.problems.push({ code: 'invalid', message: `field '${field}' of '${definition.entitySet}' is read-only` });
    }
  }

  data(definition: EntitySetDefinition | undefined, data: Record<string, unknown>, writable: boolean): void {
    for (const field of Object.keys(data)) this.field(definition, field, 'data', writable);
  }

  filter(definition: EntitySetDefinition | undefined, filter: Filter | undefined, depth = 0): void {
    if (!filter) return;
    if (depth > 8) {
      this.problems.push({ code: 'invalid', message: 'the filter is nested more than 8 levels deep' });
      return;
    }
    if ('and' in filter) return filter.and.forEach((f) => this.filter(definition, f, depth + 1));
    if ('not' in filter) return this.filter(definition, filter.not, depth + 1);
    if ('or' in filter) {
      const leaves = conditionsOf(filter);
      const fields = [...new Set(leaves.map((c) => c?.field))];
      if (leaves.includes(undefined) || fields.length > 1) {
        this.problems.push({
          code: 'invalid',
          message: `Business Central allows 'or' only between conditions on one field (got ${leaves.includes(undefined) ? "an 'and' or 'not' inside an 'or'" : fields.join(', ')})`,
        });
      }
      return filter.or.forEach((f) => this.filter(definition, f, depth + 1));
    }
    this.field(definition, filter.field, 'filter');
  }
}

/** The conditions under an `or` (through nested ors); undefined marks an `and`/`not` found there. */
function conditionsOf(filter: Filter): (FilterCondition | undefined)[] {
  if ('or' in filter) return filter.or.flatMap(conditionsOf);
  if ('and' in filter || 'not' in filter) return [undefined];
  return [filter];
}

function define<S extends z.ZodType>(
  name: string,
  type: TaskType,
  description: string,
  args: S,
  check: (args: z.infer<S>, c: Checker) => void,
  modelArgs: z.ZodType = args,
): ToolDefinition {
  return {
    name,
    type,
    description,
    args,
    modelArgs,
    check: ((parsed: z.infer<S>) => {
      const checker = new Checker();
      check(parsed, checker);
      return checker.problems;
    }) as (args: never) => ToolCheckProblem[],
  };
}

export const TOOLS: readonly ToolDefinition[] = [
  define('bc_query_entity', 'query', 'Read records of an entity set (OData-like filter, select, expand, orderby, top, skip, count).', queryArgsSchema, (a, c) => {
    const definition = c.entity(a.entity, 'GET list');
    c.filter(definition, a.filter);
    for (const f of a.select ?? []) c.field(definition, f, 'select');
    for (const o of a.orderby ?? []) c.field(definition, o.field, 'orderby');
    for (const e of a.expand ?? []) {
      if (definition && !definition.navigationProperties.some((n) => n.name === e)) {
        c.problems.push({
          code: 'unknown_field',
          message: `unknown navigation property '${e}' in expand of '${a.entity}'.${didYouMean(e, definition.navigationProperties.map((n) => n.name))}`,
        });
      }
    }
  }, queryArgsSchema.extend({ filter: flatFilterSchema.optional() })),
  define('bc_create_entity', 'write', 'Create one record.', createArgsSchema, (a, c) => {
    c.data(c.entity(a.entity, 'POST'), a.data, true);
  }),
  define('bc_update_entity', 'write', 'Change fields of one record, by id.', updateArgsSchema, (a, c) => {
    c.data(c.entity(a.entity, 'PATCH'), a.data, true);
  }),
  define('bc_delete_entity', 'write', 'Delete one record, by id.', deleteArgsSchema, (a, c) => {
    c.entity(a.entity, 'DELETE');
  }),
  define('bc_batch_operation', 'write', 'Several writes in one $batch (atomic=true: all or nothing).', batchArgsSchema, (a, c) => {
    const operationOf = { GET: 'GET by id', POST: 'POST', PATCH: 'PATCH', DELETE: 'DELETE' } as const;
    a.operations.forEach((op, i) => {
      const definition = c.entity(op.entity, operationOf[op.method]);
      if (op.data) c.data(definition, op.data, true);
      if (op.method !== 'POST' && op.id === undefined) {
        c.problems.push({ code: 'invalid', message: `operations[${i}]: ${op.method} needs an id` });
      }
      if ((op.method === 'POST' || op.method === 'PATCH') && op.data === undefined) {
        c.problems.push({ code: 'invalid', message: `operations[${i}]: ${op.method} needs data` });
      }
    });
  }),
  define(
    SAGA_TOOL,
    'write',
    'Create a purchase order for a vendor with lines and reserve the inventory, as one saga that undoes itself on failure.',
    purchaseOrderSagaArgsSchema,
    () => undefined,
  ),
  define('analyze', 'analysis', 'Summarise the records of an earlier query by one field.', analyzeArgsSchema, (a, c) => {
    c.field(c.entity(a.entity), a.by, 'analyze by');
  }),
  define('validate_entity', 'validation', "Check data against an entity set's schema and business rules, without writing.", validateArgsSchema, (a, c) => {
    c.data(c.entity(a.entity), a.data, false);
  }),
];

const toolsByName = new Map(TOOLS.map((t) => [t.name, t]));

export function findTool(name: string): ToolDefinition | undefined {
  return toolsByName.get(name);
}

/** The tools allowed for each task type. */
export const TOOLS_BY_TYPE: Readonly<Record<TaskType, readonly string[]>> = Object.fromEntries(
  TASK_TYPES.map((type) => [type, TOOLS.filter((t) => t.type === type).map((t) => t.name)]),
) as unknown as Record<TaskType, readonly string[]>;

export type QueryArgs = z.infer<typeof queryArgsSchema>;
export type CreateArgs = z.infer<typeof createArgsSchema>;
export type UpdateArgs = z.infer<typeof updateArgsSchema>;
export type DeleteArgs = z.infer<typeof deleteArgsSchema>;
export type BatchArgs = z.infer<typeof batchArgsSchema>;
export type PurchaseOrderSagaArgs = z.infer<typeof purchaseOrderSagaArgsSchema>;
export type AnalyzeArgs = z.infer<typeof analyzeArgsSchema>;
export type ValidateArgs = z.infer<typeof validateArgsSchema>;
