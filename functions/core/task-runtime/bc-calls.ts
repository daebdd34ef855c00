// Every call to Business Central goes through the MCP client and is framed by bc:operation:start and
// bc:operation:success | bc:operation:error (architecture §4), all tagged with the task's story.
import { randomUUID } from 'node:crypto';
// The error classes alone: importing the index would bundle the MCP SDK into workers that never call BC.
import { McpToolError, McpTransportError } from '../mcp/index.js';
import type { McpClient } from '../mcp/index.js';
import type { Outbox } from './outbox.js';
import { PermanentTaskError } from './failures.js';
import { BC_USER_TOKEN_HEADER, BcDelegationError, delegatedTokensFromEnv } from '../bc/index.js';

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

/** Who a task's BC calls act for: the plan's requester (and, for an approved write, who approved it). */
export interface BcActor {
  tenantId: string;
  userId: string;
  approvedBy?: string;
}

/** Per-user BC access (functions/core/bc DelegatedTokens): the person's BC access token, from their stored grant. */
export interface UserTokenSource {
  accessToken(tenantId: string, userId: string): Promise<string>;
  invalidate(tenantId: string, userId: string, token?: string): void;
}

export interface BcCallerOptions {
  now?: () => number;
  actor?: BcActor;
  /** Delegated access: every call carries the actor's BC token. Default: from BC_ACCESS (none for `app`). */
  userTokens?: UserTokenSource | null;
}

let fromEnv: UserTokenSource | null | undefined;

/** The container's delegated tokens under BC_ACCESS=delegated (one cache per container), none for `app`. */
function userTokensFromEnv(): UserTokenSource | undefined {
  if (fromEnv === undefined) fromEnv = delegatedTokensFromEnv() ?? null;
  return fromEnv ?? undefined;
}

/** A refused delegation ends the task with BC's reason (nothing was sent); an unreachable provider is retried. */
async function userTokenFor(tokens: UserTokenSource, actor: BcActor): Promise<string> {
  try {
    return await tokens.accessToken(actor.tenantId, actor.userId);
  } catch (error) {
    if (error instanceof BcDelegationError && !error.transient) throw new PermanentTaskError(error.code, error.message);
    throw error;
  }
}

export function createBcCaller(mcp: McpClient, outbox: Outbox, options: BcCallerOptions = {}): BcCaller {
  const now = options.now ?? Date.now;
  const actor = options.actor;
  const tokens = actor ? (options.userTokens === undefined ? userTokensFromEnv() : (options.userTokens ?? undefined)) : undefined;
  // Audit: whose rights the calls use (and whose approval let them run), never a token.
  const actingFor = tokens && actor ? { actingFor: { userId: actor.userId, access: 'delegated' as const, ...(actor.approvedBy ? { approvedBy: actor.approvedBy } : {}) } } : {};
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
        ...actingFor,
      };
      // Before anything is announced: without the person's token nothing is sent at all.
      const userToken = tokens && actor ? await userTokenFor(tokens, actor) : undefined;
      outbox.add('bc:operation:start', operation);
      const started = now();
      try {
        // The story travels with the call: its correlation id as x-correlation-id (on to BC), the rest in `_meta`.
        const send = (token: string | undefined) =>
          mcp.callTool<T>(tool, args, { context: outbox.context, ...(token ? { headers: { [BC_USER_TOKEN_HEADER]: token } } : {}) });
        let result: T;
        try {
          result = await send(userToken);
        } catch (error) {
          // BC refused the person's cached token before doing anything (revoked early): redeem the grant once more.
          if (!(tokens && actor && userToken && error instanceof McpToolError && error.status === 401)) throw error;
          tokens.invalidate(actor.tenantId, actor.userId, userToken);
          result = await send(await userTokenFor(tokens, actor));
        }
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
