// The five BC tools. Each one validates its input with zod (entity restricted to the catalogue), refuses
// writes to entity sets this server does not allow, calls the BC client once, and returns structured
// content; every failure becomes an `isError` result with BC's code (see tool-result.ts).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { BatchOperation, BatchResult, QueryResult } from '../core/bc/index.js';
import { isBcCorrelationId, withBcCorrelation } from '../core/bc/index.js';
import { entitySetNames } from '../core/bc/index.js';
import { isWritable, type BcMcpServerDeps } from './deps.js';
import { orderBySchema, structuredFilterSchema } from './query-schema.js';
import { runInStory, storyContextFrom } from './story-context.js';
import { toolError, toolErrorFrom, toolSuccess } from './tool-result.js';

/** Largest page a single tool call asks BC for; paging continues through `skip` or `nextLink`. */
export const MAX_TOP = 1000;
/** Operations one bc_batch_operation call accepts (BC takes 100 per `$batch`; the client splits non-atomic ones). */
export const MAX_TOOL_BATCH_OPERATIONS = 500;

// The code BC answers for a URL naming an entity set it does not have; carried in the validation message
// because the SDK reports input-schema failures as plain-text tool errors.
const UNKNOWN_ENTITY_CODE = 'BadRequest_ResourceNotFound';

const entity = z
  .enum(entitySetNames as [string, ...string[]], {
    error: (issue) =>
      `${UNKNOWN_ENTITY_CODE}: unknown entity set ${JSON.stringify(issue.input)}. Known: ${entitySetNames.join(', ')}`,
  })
  .describe('Entity set name, e.g. customers, vendors, items, salesOrders, purchaseOrders');
const company = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe('Company id (GUID) or name; defaults to the company this server is configured for');
const recordId = z.string().min(1).max(64).describe('The record id (GUID)');
const etag = z.string().min(1).max(512).optional().describe("The record's @odata.etag; the last one read is used when omitted");
// Values are JSON (z.json): its JSON schema says so, where z.unknown() gives the untyped `{}` that strict
// schema linters (MCP Inspector --strict) flag.
const record = z.record(z.string(), z.json());
const recordOutput = z.object({ id: z.string().optional(), '@odata.etag': z.string().optional() }).catchall(z.json());

const queryInput = {
  entity,
  filter: structuredFilterSchema.optional(),
  select: z.array(z.string().min(1).max(128)).max(100).optional().describe('Properties to return'),
  expand: z.array(z.string().min(1).max(128)).max(10).optional().describe('Navigation properties to include, e.g. salesOrderLines'),
  orderby: orderBySchema.optional(),
  top: z.number().int().min(1).max(MAX_TOP).optional().describe(`Records to return (at most ${MAX_TOP})`),
  skip: z.number().int().min(0).optional().describe('Records to skip (for paging)'),
  count: z.boolean().optional().describe('Also return the total number of matching records'),
  parentId: recordId.optional().describe('For lines (salesOrderLines, purchaseOrderLines): only the lines of this document'),
  nextLink: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('The nextLink of an earlier page of the same entity set: returns the next page (give no other query options)'),
  company,
};
const queryOutput = {
  value: z.array(record),
  count: z.number().int().optional(),
  nextLink: z.string().optional(),
};

const batchMethod = z.enum(['GET', 'POST', 'PATCH', 'DELETE']);
const batchInput = {
  operations: z
    .array(
      z.strictObject({
        method: batchMethod,
        entity,
        id: recordId.optional(),
        data: record.optional(),
        etag,
      }),
    )
    .min(1)
    .max(MAX_TOOL_BATCH_OPERATIONS),
  atomic: z.boolean().optional().describe('All or nothing (at most 100 operations): any failure rolls every change back'),
  company,
};
const batchErrorOutput = z.object({
  code: z.string(),
  message: z.string(),
  status: z.number().optional(),
  correlationId: z.string().optional(),
});
const batchOutput = {
  atomic: z.boolean(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      method: batchMethod,
      entity: z.string(),
      id: z.string().optional(),
      status: z.number().int(),
      ok: z.boolean(),
      body: record.optional(),
      error: batchErrorOutput.optional(),
      rolledBack: z.boolean().optional(),
    }),
  ),
};

export function registerBcTools(server: McpServer, deps: BcMcpServerDeps): void {
  const { bc, writableEntitySets } = deps;

  /**
   * Runs a tool body in the caller's story (from `_meta`; its correlation id, when given, is the one sent to
   * BC, otherwise the request's), turning anything it throws into an isError result.
   */
  const guarded = async (extra: { _meta?: Record<string, unknown> }, work: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    const story = storyContextFrom(extra._meta);
    // The caller's id goes to BC only if it can be a header; otherwise the request's own id stays in force.
    const correlationId = isBcCorrelationId(story?.correlationId) ? story.correlationId : undefined;
    try {
      return await runInStory(story, () => withBcCorrelation(correlationId, work));
    } catch (error) {
      return toolErrorFrom(error);
    }
  };
  const refuseWrite = (entitySet: string, extra: { authInfo?: AuthInfo }): CallToolResult | undefined => {
    const callerRefusal = deps.writeRefusal?.(extra.authInfo);
    if (callerRefusal) return toolError({ code: 'Forbidden', message: `Write refused: ${callerRefusal}`, status: 403, retryable: false });
    return isWritable(writableEntitySets, entitySet)
      ? undefined
      : toolError({
          code: 'BadRequest_MethodNotAllowed',
          message: `Writes to '${entitySet}' are switched off on this MCP server (BC_WRITABLE_ENTITY_SETS)`,
          status: 405,
          retryable: false,
        });
  };
  const scope = (companyId: string | undefined) => (companyId ? { company: companyId } : {});

  server.registerTool(
    'bc_query_entity',
    {
      title: 'Query Business Central records',
      description:
        'Reads records of one entity set with a structured filter, $select, $expand, $orderby, $top and $skip. ' +
        'Returns one page: { value, count?, nextLink? }; pass nextLink back for the next page. ' +
        'Field names come from bc://schemas/{entitySet}.',
      inputSchema: queryInput,
      outputSchema: queryOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guarded(extra, async () => {
        const { entity: entitySet, company: companyId, parentId, nextLink, ...query } = args;
        let page: QueryResult;
        if (nextLink !== undefined) {
          const extra = Object.keys(query).filter((k) => query[k as keyof typeof query] !== undefined);
          if (extra.length || parentId !== undefined) {
            return toolError({
              code: 'BadRequest',
              message: `nextLink already carries the query; drop ${[...extra, ...(parentId ? ['parentId'] : [])].join(', ')}`,
              status: 400,
              retryable: false,
            });
          }
          page = await bc.continueQuery(entitySet, nextLink, { ...scope(companyId), maxPages: 1 });
        } else {
          page = await bc.query(entitySet, query, { ...scope(companyId), maxPages: 1, ...(parentId ? { parentId } : {}) });
        }
        return toolSuccess({
          value: page.value,
          ...(page.count !== undefined ? { count: page.count } : {}),
          ...(page.nextLink !== undefined ? { nextLink: page.nextLink } : {}),
        });
      }),
  );

  server.registerTool(
    'bc_create_entity',
    {
      title: 'Create a Business Central record',
      description:
        'Creates one record in an entity set and returns it (with its id and @odata.etag). ' +
        'Document lines take the parent document id as parentId.',
      inputSchema: {
        entity,
        data: record.describe('Property values; read-only properties are refused'),
        parentId: recordId.optional().describe('For lines (salesOrderLines, purchaseOrderLines): the document id'),
        company,
      },
      outputSchema: recordOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) =>
      guarded(extra, async () => {
        const refused = refuseWrite(args.entity, extra);
        if (refused) return refused;
        const created = await bc.create(args.entity, args.data, {
          ...scope(args.company),
          ...(args.parentId ? { parentId: args.parentId } : {}),
        });
        return toolSuccess(created);
      }),
  );

  server.registerTool(
    'bc_update_entity',
    {
      title: 'Update a Business Central record',
      description:
        "Changes properties of one record (PATCH with If-Match). A stale etag fails with Request_EntityChanged: " +
        're-read the record and retry; nothing is overwritten.',
      inputSchema: { entity, id: recordId, data: record, etag, company },
      outputSchema: recordOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guarded(extra, async () => {
        const refused = refuseWrite(args.entity, extra);
        if (refused) return refused;
        const updated = await bc.update(args.entity, args.id, args.data, {
          ...scope(args.company),
          ...(args.etag ? { etag: args.etag } : {}),
        });
        return toolSuccess(updated);
      }),
  );

  server.registerTool(
    'bc_delete_entity',
    {
      title: 'Delete a Business Central record',
      description: 'Deletes one record (DELETE with If-Match).',
      inputSchema: { entity, id: recordId, etag, company },
      outputSchema: { deleted: z.literal(true), entity: z.string(), id: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guarded(extra, async () => {
        const refused = refuseWrite(args.entity, extra);
        if (refused) return refused;
        await bc.delete(args.entity, args.id, { ...scope(args.company), ...(args.etag ? { etag: args.etag } : {}) });
        return toolSuccess({ deleted: true, entity: args.entity, id: args.id });
      }),
  );

  server.registerTool(
    'bc_batch_operation',
    {
      title: 'Run several Business Central operations in one $batch',
      description:
        'Runs GET/POST/PATCH/DELETE operations in one JSON $batch. atomic: all-or-nothing (Isolation: snapshot). ' +
        'Returns one result per operation, in order.',
      inputSchema: batchInput,
      outputSchema: batchOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) =>
      guarded(extra, async () => {
        for (const op of args.operations) {
          const refused = op.method === 'GET' ? undefined : refuseWrite(op.entity, extra);
          if (refused) return refused;
        }
        const operations: BatchOperation[] = args.operations.map((op) => ({
          method: op.method,
          entitySet: op.entity,
          ...(op.id !== undefined ? { id: op.id } : {}),
          ...(op.data !== undefined ? { data: op.data } : {}),
          ...(op.etag !== undefined ? { etag: op.etag } : {}),
        }));
        const atomic = args.atomic ?? false;
        const results = await bc.batch(operations, { atomic, ...scope(args.company) });
        const summary = batchSummary(results, atomic);
        // An atomic batch that rolled back did nothing: report it as a failed call, with BC's code.
        if (atomic && summary.failed > 0) {
          // 424 marks operations skipped because another failed; report the one that caused it.
          const cause = results.find((r) => r.error && r.status !== 424) ?? results.find((r) => r.error);
          const first = cause?.error;
          return toolError({
            code: first?.code ?? 'BadRequest',
            message: `Atomic batch rolled back: ${first?.message ?? 'an operation failed'}`,
            ...(first?.status ? { status: first.status } : {}),
            ...(first?.correlationId ? { correlationId: first.correlationId } : {}),
            retryable: first?.retryable ?? false,
          });
        }
        return toolSuccess(summary);
      }),
  );
}

function batchSummary(results: BatchResult[], atomic: boolean) {
  return {
    atomic,
    succeeded: results.filter((r) => r.ok).length,
    failed: results.filter((r) => !r.ok).length,
    results: results.map((r) => ({
      index: r.index,
      method: r.method,
      entity: r.entitySet,
      ...(r.id !== undefined ? { id: r.id } : {}),
      status: r.status,
      ok: r.ok,
      ...(r.body !== undefined ? { body: r.body } : {}),
      ...(r.error
        ? {
            error: {
              code: r.error.code,
              message: r.error.message,
              ...(r.error.status ? { status: r.error.status } : {}),
              ...(r.error.correlationId ? { correlationId: r.error.correlationId } : {}),
            },
          }
        : {}),
      ...(r.rolledBack ? { rolledBack: true } : {}),
    })),
  };
}
