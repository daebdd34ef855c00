// The BC tools on the MCP server. Names, descriptions, input schemas and annotations come from the tool registry
// (functions/core/plan/tools.ts), which the plan schema and the planners read too; this module adds what only the
// server has: output schemas and handlers. Each handler refuses writes to entity sets this server does not allow,
// calls the BC client, and returns structured content; every failure becomes an `isError` result with BC's code
// (see tool-result.ts).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { BatchOperation, BatchResult, ODataQuery, QueryResult } from '../core/bc/index.js';
import { BcError, isBcCorrelationId, withBcCorrelation } from '../core/bc/index.js';
import { BATCH_METHODS, describePosting, findDocumentAction, isPosted, MCP_TOOLS, POST_DOCUMENT_TOOL, summaryFields, type DocumentAction } from '../core/plan/index.js';
import { isWritable, type BcMcpServerDeps } from './deps.js';
import { runInStory, storyContextFrom } from './story-context.js';
import { toolError, toolErrorFrom, toolSuccess } from './tool-result.js';

// Values are JSON (z.json): its JSON schema says so, where z.unknown() gives the untyped `{}` that strict
// schema linters (MCP Inspector --strict) flag.
const record = z.record(z.string(), z.json());
const recordOutput = z.object({ id: z.string().optional(), '@odata.etag': z.string().optional() }).catchall(z.json());

const batchErrorOutput = z.object({
  code: z.string(),
  message: z.string(),
  status: z.number().optional(),
  correlationId: z.string().optional(),
});

/** What each BC tool answers with (structuredContent), by tool name. */
const OUTPUT_SCHEMAS: Record<string, z.ZodRawShape | typeof recordOutput> = {
  bc_query_entity: { value: z.array(record), count: z.number().int().optional(), nextLink: z.string().optional() },
  bc_create_entity: recordOutput,
  bc_update_entity: recordOutput,
  bc_delete_entity: { deleted: z.literal(true), entity: z.string(), id: z.string() },
  bc_batch_operation: {
    atomic: z.boolean(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    results: z.array(
      z.object({
        index: z.number().int(),
        method: z.enum(BATCH_METHODS),
        entity: z.string(),
        id: z.string().optional(),
        status: z.number().int(),
        ok: z.boolean(),
        body: record.optional(),
        error: batchErrorOutput.optional(),
        rolledBack: z.boolean().optional(),
      }),
    ),
  },
  [POST_DOCUMENT_TOOL]: {
    entity: z.string(),
    action: z.string(),
    id: z.string(),
    documentNumber: z.string().describe('The number the document had before posting'),
    summary: z.string().describe('What was posted, as the approver read it'),
    posted: recordOutput.describe('The posted document: the same record with its posted number and status, or the posted invoice made from the order'),
  },
};

// The arguments each handler receives, as the registry's MCP input schema (already enforced by the SDK) gives them.
interface QueryToolArgs extends ODataQuery {
  entity: string;
  parentId?: string;
  nextLink?: string;
  company?: string;
}
interface RecordToolArgs {
  entity: string;
  id: string;
  data: Record<string, unknown>;
  etag?: string;
  parentId?: string;
  company?: string;
}
interface BatchToolArgs {
  operations: { method: BatchOperation['method']; entity: string; id?: string; data?: Record<string, unknown>; etag?: string }[];
  atomic?: boolean;
  company?: string;
}

interface PostToolArgs {
  entity: string;
  action: string;
  id: string;
  expected?: { number: string; totalAmountIncludingTax: number };
  company?: string;
}

type ToolHandler = (args: Record<string, unknown>, extra: { authInfo?: AuthInfo; _meta?: Record<string, unknown> }) => Promise<CallToolResult>;

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

  /** The posted document: the same record, or the posted invoice made from the order (found by orderNumber). */
  const postedDocument = async (spec: DocumentAction, before: Record<string, unknown>, company: string | undefined): Promise<Record<string, unknown> | undefined> => {
    if (spec.postedAs.kind === 'same record') return bc.get(spec.entity, String(before.id), { ...scope(company), select: summaryFields(spec.entity) });
    const page = await bc.query(
      spec.postedAs.entity,
      { filter: { field: 'orderNumber', op: 'eq', value: String(before.number) }, select: summaryFields(spec.postedAs.entity), top: 1 },
      { ...scope(company), maxPages: 1 },
    );
    return page.value[0];
  };

  const handlers: Record<string, ToolHandler> = {
    [POST_DOCUMENT_TOOL]: (input, extra) =>
      guarded(extra, async () => {
        const args = input as unknown as PostToolArgs;
        const spec = findDocumentAction(args.entity, args.action);
        if (!spec) {
          return toolError({ code: 'BadRequest_MethodNotImplemented', message: `'${args.entity}' has no posting action '${args.action}'`, status: 400, retryable: false });
        }
        const refused = refuseWrite(args.entity, extra);
        if (refused) return refused;
        // Look before posting: a document already posted (e.g. by an earlier call whose answer was lost) is never
        // posted again, and an unknown one gets a clear answer instead of BC's bare 404 on the action.
        let document: Record<string, unknown>;
        try {
          document = await bc.get(args.entity, args.id, { ...scope(args.company), select: summaryFields(args.entity) });
        } catch (error) {
          if (!(error instanceof BcError) || error.status !== 404) throw error;
          const hint = spec.postedAs.kind === 'invoice from order' ? ' (posting deletes an order: it may have been posted already)' : '';
          return toolError({ code: 'NotFound', message: `There is no ${spec.document} with id ${args.id}${hint}; nothing was posted`, status: 404, retryable: false });
        }
        if (isPosted(spec, document)) {
          return toolError({
            code: 'AlreadyPosted',
            message: `${spec.document} ${String(document.number)} is already posted (status ${String(document.status)}); nothing was posted`,
            status: 409,
            retryable: false,
          });
        }
        const { expected } = args;
        if (expected && (document.number !== expected.number || document.totalAmountIncludingTax !== expected.totalAmountIncludingTax)) {
          return toolError({
            code: 'DocumentChanged',
            message: `${spec.document} ${String(document.number)} is now ${String(document.totalAmountIncludingTax)}, not ${expected.number} at ${expected.totalAmountIncludingTax} as expected; nothing was posted`,
            status: 409,
            retryable: false,
          });
        }
        await bc.invokeAction(args.entity, args.id, args.action, scope(args.company));
        const posted = await postedDocument(spec, document, args.company);
        return toolSuccess({
          entity: args.entity,
          action: args.action,
          id: args.id,
          documentNumber: String(document.number),
          summary: describePosting(spec, document),
          posted: posted ?? {},
        });
      }),

    bc_query_entity: (input, extra) =>
      guarded(extra, async () => {
        const { entity: entitySet, company: companyId, parentId, nextLink, ...query } = input as unknown as QueryToolArgs;
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

    bc_create_entity: (input, extra) =>
      guarded(extra, async () => {
        const args = input as unknown as RecordToolArgs;
        const refused = refuseWrite(args.entity, extra);
        if (refused) return refused;
        const created = await bc.create(args.entity, args.data, {
          ...scope(args.company),
          ...(args.parentId ? { parentId: args.parentId } : {}),
        });
        return toolSuccess(created);
      }),

    bc_update_entity: (input, extra) =>
      guarded(extra, async () => {
        const args = input as unknown as RecordToolArgs;
        const refused = refuseWrite(args.entity, extra);
        if (refused) return refused;
        const updated = await bc.update(args.entity, args.id, args.data, {
          ...scope(args.company),
          ...(args.etag ? { etag: args.etag } : {}),
        });
        return toolSuccess(updated);
      }),

    bc_delete_entity: (input, extra) =>
      guarded(extra, async () => {
        const args = input as unknown as RecordToolArgs;
        const refused = refuseWrite(args.entity, extra);
        if (refused) return refused;
        await bc.delete(args.entity, args.id, { ...scope(args.company), ...(args.etag ? { etag: args.etag } : {}) });
        return toolSuccess({ deleted: true, entity: args.entity, id: args.id });
      }),

    bc_batch_operation: (input, extra) =>
      guarded(extra, async () => {
        const args = input as unknown as BatchToolArgs;
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
  };

  for (const tool of MCP_TOOLS) {
    const handler = handlers[tool.name];
    const outputSchema = OUTPUT_SCHEMAS[tool.name];
    // A registry entry without its handler is a defect: fail at start-up, not on the first call.
    if (!handler || !outputSchema) throw new Error(`the MCP server has no handler or output schema for tool '${tool.name}'`);
    server.registerTool(
      tool.name,
      { title: tool.mcp.title, description: tool.mcp.description, inputSchema: tool.mcp.inputShape, outputSchema, annotations: tool.mcp.annotations },
      (args, extra) => handler(args, extra),
    );
  }
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
