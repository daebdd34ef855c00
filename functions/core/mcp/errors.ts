// Failures of an MCP tool call, typed so callers can decide without parsing text: a tool error carries BC's
// code (e.g. `Request_EntityChanged`) and whether retrying could help; a transport error means the call may
// not have reached BC at all.
import { bcErrorCodes } from '../bc/index.js';
import { TOOL_ERROR_META_KEY } from './meta.js';

export class McpToolError extends Error {
  override name = 'McpToolError';
  constructor(
    readonly tool: string,
    /** BC's error code, or `BadRequest` for arguments the MCP server itself rejected. */
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly correlationId?: string,
    /** When the server said capacity returns (BC's Retry-After, or the capacity governor's estimate). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export type McpTransportErrorKind = 'timeout' | 'unauthorized' | 'http' | 'network' | 'protocol';

export class McpTransportError extends Error {
  override name = 'McpTransportError';
  readonly retryable: boolean;
  /**
   * The call reached (or may have reached) the server and carried a write that is not safe to repeat: the
   * server may have completed it, so repeating it blindly could apply it twice. Never retryable.
   */
  readonly outcomeUnknown: boolean;
  constructor(
    readonly kind: McpTransportErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super(message, options);
    this.outcomeUnknown = options?.outcomeUnknown === true;
    const transient = kind === 'timeout' || kind === 'network' || (kind === 'http' && (status === 429 || (status ?? 0) >= 500));
    this.retryable = transient && !this.outcomeUnknown;
  }
}

/** Whether a failed call may still have been carried out by the server (no definite answer came back). */
export function mayHaveReachedServer(error: McpTransportError): boolean {
  if (error.kind === 'timeout') return true;
  if (error.kind === 'http') return error.status === 502 || error.status === 504;
  if (error.kind !== 'network') return false;
  // A refused connection never delivered the request.
  const cause = error.cause as { cause?: { code?: unknown }; code?: unknown } | undefined;
  return (cause?.cause?.code ?? cause?.code) !== 'ECONNREFUSED';
}

interface ToolErrorMeta {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  correlationId?: unknown;
  retryable?: unknown;
  retryAfterMs?: unknown;
}

const CODE_IN_TEXT = new RegExp(`\\b(${[...bcErrorCodes].sort((a, b) => b.length - a.length).join('|')})\\b`);

/** Reads the error of an `isError` tool result: the server's structured `_meta`, else BC's code in the text. */
export function toolErrorFromResult(
  tool: string,
  result: { content?: unknown; _meta?: Record<string, unknown> },
): McpToolError {
  const text = Array.isArray(result.content)
    ? result.content
        .filter((c): c is { type: 'text'; text: string } => (c as { type?: unknown })?.type === 'text')
        .map((c) => c.text)
        .join('\n')
    : '';
  const meta = result._meta?.[TOOL_ERROR_META_KEY] as ToolErrorMeta | undefined;
  if (meta && typeof meta.code === 'string') {
    return new McpToolError(
      tool,
      meta.code,
      typeof meta.message === 'string' ? meta.message : text,
      meta.retryable === true,
      typeof meta.status === 'number' ? meta.status : undefined,
      typeof meta.correlationId === 'string' ? meta.correlationId : undefined,
      typeof meta.retryAfterMs === 'number' && Number.isFinite(meta.retryAfterMs) && meta.retryAfterMs >= 0 ? meta.retryAfterMs : undefined,
    );
  }
  // Errors the SDK raises before the tool runs (input validation, unknown tool) have text only.
  const code = CODE_IN_TEXT.exec(text)?.[1] ?? 'BadRequest';
  return new McpToolError(tool, code, text || `Tool ${tool} failed`, false);
}
