// Every call to Business Central goes through the MCP client and is framed by bc:operation:start and
// bc:operation:success | bc:operation:error (architecture §4), all tagged with the task's story.
import { randomUUID } from 'node:crypto';
// The error classes alone: importing the index would bundle the MCP SDK into workers that never call BC.
import { McpToolError, McpTransportError } from '../mcp/index.js';
import type { McpClient } from '../mcp/index.js';
import type { Outbox } from './outbox.js';

export interface BcCaller {
  /** Calls an MCP tool and returns its structured content; rethrows the client's typed errors. */
  call<T = Record<string, unknown>>(tool: string, args: Record<string, unknown>): Promise<T>;
  /** Calls made so far (a query that follows nextLink makes several). */
  readonly calls: number;
}

const METHOD_OF: Record<string, string> = {
  bc_query_entity: 'GET',
  bc_create_entity: 'POST',
  bc_update_entity: 'PATCH',
  bc_delete_entity: 'DELETE',
  bc_batch_operation: 'POST',
  bc_post_document: 'POST',
};

export function createBcCaller(mcp: McpClient, outbox: Outbox, now: () => number = Date.now): BcCaller {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async call<T>(tool: string, args: Record<string, unknown>): Promise<T> {
      calls++;
      const operation = {
        operationId: randomUUID(),
        operation: tool,
        ...(typeof args.entity === 'string' ? { entitySet: args.entity } : {}),
        ...(METHOD_OF[tool] ? { method: METHOD_OF[tool] } : {}),
      };
      outbox.add('bc:operation:start', operation);
      const started = now();
      try {
        // The story travels with the call: its correlation id as x-correlation-id (on to BC), the rest in `_meta`.
        const result = await mcp.callTool<T>(tool, args, { context: outbox.context });
        outbox.add('bc:operation:success', { ...operation, durationMs: Math.max(0, now() - started) });
        return result;
      } catch (error) {
        const status = error instanceof McpToolError || error instanceof McpTransportError ? error.status : undefined;
        outbox.add('bc:operation:error', {
          ...operation,
          durationMs: Math.max(0, now() - started),
          error: {
            code: error instanceof McpToolError ? error.code : error instanceof McpTransportError ? `Mcp_${error.kind}` : 'Internal_Error',
            message: error instanceof Error ? error.message : String(error),
            ...(status !== undefined ? { httpStatus: status } : {}),
          },
          ...(error instanceof McpToolError || error instanceof McpTransportError ? { retryable: error.retryable } : {}),
        });
        throw error;
      }
    },
  };
}
