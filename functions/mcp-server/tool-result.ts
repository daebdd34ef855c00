// How tool outcomes are shaped. Successes carry structured content (validated against the tool's output schema);
// failures are `isError` results, never thrown, carrying BC's error code in text (for the model) and in
// `_meta` (for programs such as the workers' MCP client).
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BcError } from '../core/bc/index.js';
// The `_meta` key is shared with the workers' MCP client, which reads it back.
import { TOOL_ERROR_META_KEY } from '../core/mcp/index.js';
import { BreakerOpenError } from '../core/breaker/index.js';


export interface ToolErrorDetail {
  /** BC's error code (e.g. `Request_EntityChanged`, `BadRequest_NotFound`, `Internal_ServerError`). */
  code: string;
  message: string;
  /** HTTP status BC answered with, when the failure came from BC. */
  status?: number;
  correlationId?: string;
  retryable: boolean;
  /** A write BC may have applied (no definite answer): check before repeating it. */
  outcomeUnknown?: boolean;
  /** How long to wait before trying again (BC's Retry-After, or the capacity governor's estimate). */
  retryAfterMs?: number;
}

export function toolSuccess(structured: Record<string, unknown>): CallToolResult {
  return {
    structuredContent: structured,
    content: [{ type: 'text', text: JSON.stringify(structured) }],
  };
}

export function toolError(detail: ToolErrorDetail): CallToolResult {
  const status = detail.status === undefined ? '' : ` (HTTP ${detail.status})`;
  return {
    isError: true,
    content: [{ type: 'text', text: `${detail.code}${status}: ${detail.message}` }],
    _meta: { [TOOL_ERROR_META_KEY]: { ...detail } },
  };
}

/** Maps anything a tool's work threw to a tool error; BC's own errors keep their code and correlation id. */
export function toolErrorFrom(error: unknown): CallToolResult {
  if (error instanceof BcError) {
    return toolError({
      code: error.code,
      message: error.outcomeUnknown
        ? `${error.message}. The change may have been applied: read the records before trying it again`
        : error.message,
      // 0 means BC never answered (refused by the client, timeout, network).
      ...(error.status ? { status: error.status } : {}),
      ...(error.correlationId ? { correlationId: error.correlationId } : {}),
      // Repeating a write BC may already have made would make it twice.
      retryable: error.retryable && !error.outcomeUnknown,
      ...(error.outcomeUnknown ? { outcomeUnknown: true } : {}),
      // A throttled caller (BC's 429, or no capacity before the deadline) learns when capacity returns.
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    });
  }
  if (error instanceof BreakerOpenError) {
    // BC is unwell and the shared breaker is open: no call was made; the caller retries later.
    return toolError({ code: error.code, message: error.message, status: 503, retryable: true });
  }
  // Anything else is a defect or an unexpected runtime failure; the message is ours, never a credential.
  return toolError({
    code: 'Internal_ServerError',
    message: error instanceof Error ? error.message : String(error),
    retryable: false,
  });
}
