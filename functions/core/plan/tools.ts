// The tool registry: every tool a plan task may name, as data — its name, task type, title, description, MCP
// annotations, and its input written once against a dialect. The plan schema and both planners read it with the
// plan dialect (values may be `$ref`s to earlier results), Claude's strict `create_plan` schema with the model
// dialect (the same, with a non-recursive filter), and the MCP server with the MCP dialect (literal values; the
// server adds its output schemas and handlers, functions/mcp-server/tools.ts). Whatever a planner (or a model)
// produces is data: only these tools can run, and only with arguments that pass these schemas and checks.
import * as z from 'zod';
import { findEntitySet, entitySetNames, type EntitySetDefinition } from '../bc/index.js';
import { defineOnFirstRead } from '../container/index.js';
import { didYouMean } from './suggest.js';
import { DOCUMENT_ACTIONS, findDocumentAction, POST_DOCUMENT_TOOL, POSTABLE_ENTITY_SETS, POSTING_ACTIONS } from './document-actions.js';
import { filterGrammar, orRuleProblem, type ConditionOf, type FilterLiteral, type FilterOf, type FilterOperator } from './filter.js';

import { BATCH_METHODS, MAX_TOOL_BATCH_OPERATIONS, MAX_TOP, SAGA_TOOL, TASK_TYPES, type TaskType } from './tool-names.js';

export { BATCH_METHODS, MAX_TOOL_BATCH_OPERATIONS, MAX_TOP, SAGA_TOOL, TASK_TYPES, type TaskType };
export type { FilterOperator };
/** Operations one plan task's batch may hold. */
const MAX_PLAN_BATCH_OPERATIONS = 100;

// The code BC answers for a URL naming an entity set it does not have; the MCP dialect carries it in the
// validation message because the SDK reports input-schema failures as plain-text tool errors.
const UNKNOWN_ENTITY_CODE = 'BadRequest_ResourceNotFound';

export const refSchema = z.strictObject({ $ref: z.string().min(1).max(256) }).describe('A reference to a result of a task this task depends on, e.g. {"$ref":"t1.result.value[0].id"}');
/** A value that may also be given as a reference to an earlier task's result. */
const refOr = <T extends z.ZodType>(schema: T) => z.union([refSchema, schema]);

const scalar = z.union([z.string().max(2048), z.number(), z.boolean(), z.null()]);
const name = (what: string) => z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, `${what} must be a plain name`);

export type Ref = z.infer<typeof refSchema>;

/** How a tool's input is spelled for one audience; R is what a value may be instead of a literal. */
export interface ArgumentDialect<R> {
  /** plan: task arguments; model: what Claude fills in (strict tool use); mcp: the MCP server's input schemas. */
  readonly audience: 'plan' | 'model' | 'mcp';
  /** A value that a plan may give as a `$ref` (identity on the MCP server). */
  ref<T extends z.ZodType>(schema: T): z.ZodType<z.output<T> | R>;
  entity: z.ZodType<string>;
  /** A field or navigation-property name. */
  field(what: string): z.ZodType<string>;
  id: z.ZodType<string | R>;
  etag: z.ZodType<string | R>;
  company: z.ZodType<string>;
  /** Field → value of a record to write. */
  data: z.ZodType<Record<string, unknown>>;
  filter: z.ZodType<FilterOf<FilterLiteral | R>>;
}

const planFilter = filterGrammar<Ref>({ field: name('field'), value: refOr });
const planEntity = name('entity').describe('Entity set name, e.g. customers, vendors, items, purchaseOrders');
const planDialect: ArgumentDialect<Ref> = {
  audience: 'plan',
  ref: refOr,
  entity: planEntity,
  field: name,
  id: refOr(z.guid().describe('The record id (GUID)')),
  etag: refOr(z.string().max(512)),
  company: z.string().min(1).max(64).describe('Company id or name; the default company when absent'),
  data: z.record(name('field'), z.union([refSchema, scalar])).describe('Field name → value'),
  filter: planFilter.filter,
};
const modelDialect: ArgumentDialect<Ref> = { ...planDialect, audience: 'model', filter: planFilter.flat };

let mcpDialectBuilt: ArgumentDialect<never> | undefined;
/**
 * The MCP server's dialect, built on first use: only the server lists the tools (and only the planner fills in
 * `modelArgs`), so a worker that checks a task's arguments does not build either at its cold start.
 */
export const mcpDialect = (): ArgumentDialect<never> => (mcpDialectBuilt ??= buildMcpDialect());

function buildMcpDialect(): ArgumentDialect<never> {
  const mcpField = z.string().min(1).max(128).describe('A property of the entity set (see bc://schemas/{entitySet})');
  return {
    audience: 'mcp',
    ref: <T extends z.ZodType>(schema: T) => schema as z.ZodType<z.output<T>>,
    entity: z
      .enum(entitySetNames as [string, ...string[]], {
        error: (issue) => `${UNKNOWN_ENTITY_CODE}: unknown entity set ${JSON.stringify(issue.input)}. Known: ${entitySetNames.join(', ')}`,
      })
      .describe('Entity set name, e.g. customers, vendors, items, salesOrders, purchaseOrders'),
    field: () => mcpField,
    id: z.string().min(1).max(64).describe('The record id (GUID)'),
    etag: z.string().min(1).max(512).describe("The record's @odata.etag; the last one read is used when omitted"),
    company: z.string().min(1).max(64).describe('Company id (GUID) or name; defaults to the company this server is configured for'),
    // Values are JSON (z.json): its JSON schema says so, where z.unknown() gives the untyped `{}` that strict
    // schema linters (MCP Inspector --strict) flag.
    data: z.record(z.string(), z.json()).describe('Property values; read-only properties are refused'),
    filter: filterGrammar({ field: mcpField, value: (literal) => literal }).filter,
  };
}

export type Filter = FilterOf<FilterLiteral | Ref>;
export type FilterCondition = ConditionOf<FilterLiteral | Ref>;

const orderby = <R>(d: ArgumentDialect<R>) =>
  z.array(z.strictObject({ field: d.field('orderby field'), direction: z.enum(['asc', 'desc']).default('asc') })).max(10);

const queryInput = <R>(d: ArgumentDialect<R>) => ({
  entity: d.entity,
  filter: d.filter.optional(),
  select: z.array(d.field('select field')).max(100).optional().describe('Properties to return'),
  expand: z.array(d.field('navigation property')).max(10).optional().describe('Navigation properties to include, e.g. salesOrderLines'),
  orderby: orderby(d).optional(),
  top: z.int().min(1).max(MAX_TOP).optional().describe(`Records to return (at most ${MAX_TOP})`),
  skip: (d.audience === 'mcp' ? z.int().min(0) : z.int().min(0).max(1_000_000)).optional().describe('Records to skip (for paging)'),
  count: z.boolean().optional().describe('Also return the total number of matching records'),
  parentId: d.id.optional().describe('For lines (salesOrderLines, purchaseOrderLines): only the lines of this document'),
  // Paging by link is for MCP clients that hold a page; a plan reads what it needs with top and skip.
  ...(d.audience === 'mcp'
    ? {
        nextLink: z
          .string()
          .min(1)
          .max(4096)
          .optional()
          .describe('The nextLink of an earlier page of the same entity set: returns the next page (give no other query options)'),
      }
    : {}),
  company: d.company.optional(),
});
const createInput = <R>(d: ArgumentDialect<R>) => ({
  entity: d.entity,
  data: d.data,
  ...(d.audience === 'mcp' ? { parentId: d.id.optional().describe('For lines (salesOrderLines, purchaseOrderLines): the document id') } : {}),
  company: d.company.optional(),
});
const updateInput = <R>(d: ArgumentDialect<R>) => ({ entity: d.entity, id: d.id, data: d.data, etag: d.etag.optional(), company: d.company.optional() });
const deleteInput = <R>(d: ArgumentDialect<R>) => ({ entity: d.entity, id: d.id, etag: d.etag.optional(), company: d.company.optional() });
const batchInput = <R>(d: ArgumentDialect<R>) => ({
  operations: z
    .array(z.strictObject({ method: z.enum(BATCH_METHODS), entity: d.entity, id: d.id.optional(), data: d.data.optional(), etag: d.etag.optional() }))
    .min(1)
    .max(d.audience === 'mcp' ? MAX_TOOL_BATCH_OPERATIONS : MAX_PLAN_BATCH_OPERATIONS),
  atomic: z.boolean().optional().describe('All or nothing (at most 100 operations): any failure rolls every change back'),
  company: d.company.optional(),
});
const purchaseOrderSagaInput = <R>(d: ArgumentDialect<R>) => ({
  vendorNumber: d.ref(z.string().min(1).max(20)),
  lines: z
    .array(
      z.strictObject({
        itemNumber: d.ref(z.string().min(1).max(20)),
        quantity: d.ref(z.number().positive().max(1_000_000)),
        locationCode: d.ref(z.string().min(1).max(10)).optional(),
      }),
    )
    .min(1)
    .max(100),
  company: d.company.optional(),
});
const analyzeInput = <R>(d: ArgumentDialect<R>) => ({
  source: refSchema.describe('The result to analyse, e.g. {"$ref":"t1.result"}'),
  entity: d.entity.describe('The entity set the source records belong to'),
  by: d.field('by').describe('The field to analyse: numbers are summarised, other fields grouped and counted'),
  question: z.string().max(1000).optional().describe('What the person wants to know, in their words'),
});
const postInput = <R>(d: ArgumentDialect<R>) => ({
  entity: z.enum(POSTABLE_ENTITY_SETS).describe('The document set: salesInvoices, salesCreditMemos, purchaseInvoices (post), salesOrders (shipAndInvoice), purchaseOrders (receiveAndInvoice)'),
  action: z.enum(POSTING_ACTIONS).describe("BC's bound action: post, shipAndInvoice or receiveAndInvoice"),
  id: d.id.describe('The id (GUID) of the draft document or open order'),
  expected: z
    .strictObject({ number: z.string().min(1).max(20), totalAmountIncludingTax: z.number() })
    .optional()
    .describe('The document as the approver saw it: posting is refused (DocumentChanged) when BC has it otherwise'),
  company: d.company.optional(),
});
const validateInput = <R>(d: ArgumentDialect<R>) => ({ entity: d.entity, data: d.data, company: d.company.optional() });

/** The plan-dialect argument schemas, by tool. */
export const queryArgsSchema = z.strictObject(queryInput(planDialect));
export const createArgsSchema = z.strictObject(createInput(planDialect));
export const updateArgsSchema = z.strictObject(updateInput(planDialect));
export const deleteArgsSchema = z.strictObject(deleteInput(planDialect));
export const batchArgsSchema = z.strictObject(batchInput(planDialect));
export const purchaseOrderSagaArgsSchema = z.strictObject(purchaseOrderSagaInput(planDialect));
export const analyzeArgsSchema = z.strictObject(analyzeInput(planDialect));
export const validateArgsSchema = z.strictObject(validateInput(planDialect));
export const postDocumentArgsSchema = z.strictObject(postInput(planDialect));

export interface ToolCheckProblem {
  code: 'unknown_entity' | 'unknown_field' | 'invalid';
  message: string;
}

/** MCP tool annotations (the SDK's ToolAnnotations): hints a client shows or uses to decide on repeating a call. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDefinition {
  name: string;
  type: TaskType;
  /** What the tool does, for the planners' prompt and the MCP listing. */
  description: string;
  args: z.ZodType;
  /** A strict-tool-use-compatible (non-recursive) subset of `args`, for the schema Claude fills in. */
  modelArgs: z.ZodType;
  /** Names checked against the catalogue; runs on arguments that passed `args`. */
  check: (args: never) => ToolCheckProblem[];
  /** Set for the tools the BC MCP server offers: its listing entry (the server adds output schema and handler). */
  mcp?: { title: string; description: string; inputShape: Record<string, z.ZodType>; annotations: ToolAnnotations };
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
      const problem = orRuleProblem(filter);
      if (problem) this.problems.push({ code: 'invalid', message: problem });
      return filter.or.forEach((f) => this.filter(definition, f, depth + 1));
    }
    this.field(definition, filter.field, 'filter');
  }
}

interface ToolSpec<S extends z.ZodType> {
  name: string;
  type: TaskType;
  description: string;
  args: S;
  check: (args: z.infer<S>, c: Checker) => void;
  /** Built on first read (the planner's); `args` when absent. */
  modelArgs?: () => z.ZodType;
  /** The listing, its input shape built on first read (the MCP server's). */
  mcp?: Omit<NonNullable<ToolDefinition['mcp']>, 'inputShape'> & { inputShape: () => Record<string, z.ZodType> };
}


function define<S extends z.ZodType>(spec: ToolSpec<S>): ToolDefinition {
  const definition = {
    name: spec.name,
    type: spec.type,
    description: spec.description,
    args: spec.args,
    modelArgs: spec.args,
    check: ((parsed: z.infer<S>) => {
      const checker = new Checker();
      spec.check(parsed, checker);
      return checker.problems;
    }) as (args: never) => ToolCheckProblem[],
  } as ToolDefinition;
  if (spec.modelArgs) defineOnFirstRead(definition, 'modelArgs', spec.modelArgs);
  if (spec.mcp) {
    const { inputShape, ...listing } = spec.mcp;
    const mcp = listing as NonNullable<ToolDefinition['mcp']>;
    defineOnFirstRead(mcp, 'inputShape', inputShape);
    definition.mcp = mcp;
  }
  return definition;
}

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
const write = (destructive: boolean, idempotent: boolean): ToolAnnotations => ({
  readOnlyHint: false,
  destructiveHint: destructive,
  idempotentHint: idempotent,
  openWorldHint: true,
});

export const TOOLS: readonly ToolDefinition[] = [
  define({
    name: 'bc_query_entity',
    type: 'query',
    description: 'Read records of an entity set (OData-like filter, select, expand, orderby, top, skip, count).',
    args: queryArgsSchema,
    modelArgs: () => z.strictObject(queryInput(modelDialect)),
    check: (a, c) => {
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
    },
    mcp: {
      title: 'Query Business Central records',
      description:
        'Reads records of one entity set with a structured filter, $select, $expand, $orderby, $top and $skip. ' +
        'Returns one page: { value, count?, nextLink? }; pass nextLink back for the next page. ' +
        'Field names come from bc://schemas/{entitySet}.',
      inputShape: () => queryInput(mcpDialect()),
      annotations: READ,
    },
  }),
  define({
    name: 'bc_create_entity',
    type: 'write',
    description: 'Create one record.',
    args: createArgsSchema,
    check: (a, c) => c.data(c.entity(a.entity, 'POST'), a.data, true),
    mcp: {
      title: 'Create a Business Central record',
      description:
        'Creates one record in an entity set and returns it (with its id and @odata.etag). ' +
        'Document lines take the parent document id as parentId.',
      inputShape: () => createInput(mcpDialect()),
      annotations: write(false, false),
    },
  }),
  define({
    name: 'bc_update_entity',
    type: 'write',
    description: 'Change fields of one record, by id.',
    args: updateArgsSchema,
    check: (a, c) => c.data(c.entity(a.entity, 'PATCH'), a.data, true),
    mcp: {
      title: 'Update a Business Central record',
      description:
        'Changes properties of one record (PATCH with If-Match). A stale etag fails with Request_EntityChanged: ' +
        're-read the record and retry; nothing is overwritten.',
      inputShape: () => updateInput(mcpDialect()),
      annotations: write(true, true),
    },
  }),
  define({
    name: 'bc_delete_entity',
    type: 'write',
    description: 'Delete one record, by id.',
    args: deleteArgsSchema,
    check: (a, c) => void c.entity(a.entity, 'DELETE'),
    mcp: {
      title: 'Delete a Business Central record',
      description: 'Deletes one record (DELETE with If-Match).',
      inputShape: () => deleteInput(mcpDialect()),
      annotations: write(true, true),
    },
  }),
  define({
    name: 'bc_batch_operation',
    type: 'write',
    description: 'Several writes in one $batch (atomic=true: all or nothing).',
    args: batchArgsSchema,
    check: (a, c) => {
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
    },
    mcp: {
      title: 'Run several Business Central operations in one $batch',
      description:
        'Runs GET/POST/PATCH/DELETE operations in one JSON $batch. atomic: all-or-nothing (Isolation: snapshot). ' +
        'Returns one result per operation, in order.',
      inputShape: () => batchInput(mcpDialect()),
      annotations: write(true, false),
    },
  }),
  define({
    name: POST_DOCUMENT_TOOL,
    type: 'write',
    description:
      'Post a draft sales invoice, sales credit memo or purchase invoice (action post), ship and invoice a sales order ' +
      '(shipAndInvoice) or receive and invoice a purchase order (receiveAndInvoice): ledger entries are written and the ' +
      'document becomes posted. Needs the document id: query it by number first.',
    args: postDocumentArgsSchema,
    check: (a, c) => {
      if (!findDocumentAction(a.entity, a.action)) {
        c.problems.push({
          code: 'invalid',
          message: `'${a.entity}' has no posting action '${a.action}' (${DOCUMENT_ACTIONS.map((d) => `${d.entity}: ${d.action}`).join('; ')})`,
        });
      }
    },
    mcp: {
      title: 'Post a Business Central sales or purchase document',
      description:
        'Runs the API v2.0 bound action that posts a document: salesInvoices/salesCreditMemos/purchaseInvoices post, ' +
        'salesOrders shipAndInvoice, purchaseOrders receiveAndInvoice. Checks the document first: an unknown id is ' +
        'NotFound and a document already posted is AlreadyPosted (nothing is posted twice). Returns the posted document.',
      inputShape: () => postInput(mcpDialect()),
      annotations: write(true, false),
    },
  }),
  define({
    name: SAGA_TOOL,
    type: 'write',
    description: 'Create a purchase order for a vendor with lines and reserve the inventory, as one saga that undoes itself on failure.',
    args: purchaseOrderSagaArgsSchema,
    check: () => undefined,
  }),
  define({
    name: 'analyze',
    type: 'analysis',
    description: 'Summarise the records of an earlier query by one field.',
    args: analyzeArgsSchema,
    check: (a, c) => c.field(c.entity(a.entity), a.by, 'analyze by'),
  }),
  define({
    name: 'validate_entity',
    type: 'validation',
    description: "Check data against an entity set's schema and business rules, without writing.",
    args: validateArgsSchema,
    check: (a, c) => c.data(c.entity(a.entity), a.data, false),
  }),
];

/** The tools the BC MCP server offers, in registry order. */
export const MCP_TOOLS = TOOLS.filter((t): t is ToolDefinition & { mcp: NonNullable<ToolDefinition['mcp']> } => t.mcp !== undefined);

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
export type PostDocumentArgs = z.infer<typeof postDocumentArgsSchema>;
