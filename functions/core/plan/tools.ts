// The tools a plan task may name, the task type each belongs to, their argument schemas, and the checks of
// entity-set and field names against the BC catalogue. Whatever a planner (or a model) produces is data:
// only these tools can run, and only with arguments that pass these schemas and checks.
import { z } from 'zod';
import { findEntitySet, entitySetNames, type EntitySetDefinition } from '../bc/entities.js';
import { didYouMean } from './suggest.js';
import { isRef } from './refs.js';

export const TASK_TYPES = ['query', 'write', 'analysis', 'validation'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains', 'startswith', 'endswith', 'in'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export const refSchema = z.strictObject({ $ref: z.string().min(1).max(256) }).describe('A reference to a result of a task this task depends on, e.g. {"$ref":"t1.result.value[0].id"}');
/** A value that may also be given as a reference to an earlier task's result. */
const refOr = <T extends z.ZodType>(schema: T) => z.union([refSchema, schema]);

const scalar = z.union([z.string().max(2048), z.number(), z.boolean(), z.null()]);
const name = (what: string) => z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, `${what} must be a plain name`);
const entityArg = name('entity').describe('Entity set name, e.g. customers, vendors, items, purchaseOrders');
const company = z.string().max(100).optional().describe('Company id or name; the default company when absent');
const guidOrRef = refOr(z.guid().describe('The record id (GUID)'));

export const filterConditionSchema = z.strictObject({
  field: name('field'),
  op: z.enum(FILTER_OPERATORS),
  value: refOr(z.union([scalar, z.array(scalar).min(1).max(100)])).describe('A literal; a list for op "in"'),
});
export type FilterCondition = z.infer<typeof filterConditionSchema>;
/** Conditions ORed together; Business Central allows `or` only between conditions on one field. */
export const filterAnySchema = z.strictObject({ any: z.array(filterConditionSchema).min(2).max(20) });
export const filterSchema = z
  .array(z.union([filterConditionSchema, filterAnySchema]))
  .max(20)
  .describe('Clauses ANDed together; a clause is a condition or {"any":[conditions on one field]}');
export type Filter = z.infer<typeof filterSchema>;

const dataSchema = z.record(name('field'), z.union([refSchema, scalar])).describe('Field name → value');

export const queryArgsSchema = z.strictObject({
  entity: entityArg,
  filter: filterSchema.optional(),
  select: z.array(name('select field')).max(50).optional(),
  expand: z.array(name('navigation property')).max(10).optional(),
  orderby: z
    .array(z.strictObject({ field: name('orderby field'), direction: z.enum(['asc', 'desc']).default('asc') }))
    .max(5)
    .optional(),
  top: z.int().min(0).max(10_000).optional().describe('0 with count=true returns only the count'),
  skip: z.int().min(0).max(1_000_000).optional(),
  count: z.boolean().optional().describe('Ask for the total number of matching records (@odata.count)'),
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
        method: z.enum(['POST', 'PATCH', 'DELETE']),
        entity: entityArg,
        id: guidOrRef.optional(),
        data: dataSchema.optional(),
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

  filter(definition: EntitySetDefinition | undefined, filter: Filter | undefined): void {
    for (const clause of filter ?? []) {
      const conditions = 'any' in clause ? clause.any : [clause];
      if ('any' in clause && new Set(clause.any.map((c) => c.field)).size > 1) {
        this.problems.push({
          code: 'invalid',
          message: `Business Central allows 'or' only between conditions on one field (got ${[...new Set(clause.any.map((c) => c.field))].join(', ')})`,
        });
      }
      for (const condition of conditions) {
        this.field(definition, condition.field, 'filter');
        const list = Array.isArray(condition.value);
        if (condition.op === 'in' && !list && !isRef(condition.value)) {
          this.problems.push({ code: 'invalid', message: `filter on '${condition.field}': 'in' needs a list of values` });
        }
        if (condition.op !== 'in' && list) {
          this.problems.push({ code: 'invalid', message: `filter on '${condition.field}': only 'in' takes a list of values` });
        }
      }
    }
  }
}

function define<S extends z.ZodType>(
  name: string,
  type: TaskType,
  description: string,
  args: S,
  check: (args: z.infer<S>, c: Checker) => void,
): ToolDefinition {
  return {
    name,
    type,
    description,
    args,
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
  }),
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
    const operationOf = { POST: 'POST', PATCH: 'PATCH', DELETE: 'DELETE' } as const;
    a.operations.forEach((op, i) => {
      const definition = c.entity(op.entity, operationOf[op.method]);
      if (op.data) c.data(definition, op.data, true);
      if (op.method !== 'POST' && op.id === undefined) {
        c.problems.push({ code: 'invalid', message: `operations[${i}]: ${op.method} needs an id` });
      }
      if (op.method !== 'DELETE' && op.data === undefined) {
        c.problems.push({ code: 'invalid', message: `operations[${i}]: ${op.method} needs data` });
      }
    });
  }),
  define(
    'saga_purchase_order',
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
