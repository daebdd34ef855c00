// The workers' only way to Business Central: an MCP client over Streamable HTTP (the SDK's Client and
// transport), authenticated with a bearer token or SigV4. One client per container: the session handshake,
// the tool listing and the entity schemas are fetched once and reused; each call has its own timeout.
// Tools' output schemas are checked with @cfworker/json-schema (the SDK's own provider for it): no code
// generation per schema, and no ajv, which the workers' bundles leave out (see lib/constructs/handler-function.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import { CORRELATION_HEADER } from '../observability/index.js';
import { BC_PRIORITY_HEADER, currentBcPriority } from '../capacity/index.js';
import { authorizedFetch, type FetchLike, type McpAuth } from './auth.js';
import { mayHaveReachedServer, McpToolError, McpTransportError, toolErrorFromResult } from './errors.js';
import { STORY_CONTEXT_META_KEY, type StoryContext } from './meta.js';

export interface McpClientOptions {
  /** The server's Streamable HTTP endpoint, e.g. MCP_SERVER_URL (`…/mcp`). */
  url: string;
  auth: McpAuth;
  /** Per call (tool call, listing, resource read); default 30 s. */
  timeoutMs?: number;
  clientInfo?: { name: string; version: string };
  /** Underlying fetch (tests, instrumentation); default global fetch. */
  fetch?: FetchLike;
}

export interface CallOptions {
  /** Sent as x-correlation-id so the server's logs line up with the caller's; default: context.correlationId. */
  correlationId?: string;
  /** The story the call belongs to; tool calls carry it in `_meta` so the server's events join that story. */
  context?: StoryContext;
  timeoutMs?: number;
  /** Extra HTTP headers of this call's requests (e.g. the person's BC token under delegated access); never logged. */
  headers?: Record<string, string>;
}

export interface McpClient {
  /** Calls a tool; resolves to its structured content, throws McpToolError (BC's code) or McpTransportError. */
  callTool<T = Record<string, unknown>>(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<T>;
  /** The server's tools, listed once per client. */
  listTools(): Promise<Tool[]>;
  /** `bc://schemas/{entitySet}` parsed, fetched once per entity set per client. */
  entitySchema<T = Record<string, unknown>>(entitySet: string): Promise<T>;
  /** Any resource's text (e.g. `bc://company`, `bc://docs/api`); not cached. */
  readResource(uri: string, options?: CallOptions): Promise<string>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createMcpClient(options: McpClientOptions): McpClient {
  const url = new URL(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`timeoutMs must be a positive integer, got ${timeoutMs}`);

  // The correlation id of the call in progress, read by fetch without threading it through the SDK.
  const callContext = new AsyncLocalStorage<{ correlationId?: string; headers?: Record<string, string> }>();
  // The global fetch is read at the first request, not here: reading it loads Node's HTTP client (undici, ~10 ms),
  // which a container whose first event never reaches BC need not pay for.
  const signedFetch = authorizedFetch(options.auth, options.fetch ?? ((input, init) => fetch(input, init)));
  const fetchWithCorrelation: FetchLike = (input, init) => {
    const { correlationId, headers: extra } = callContext.getStore() ?? {};
    // High-priority work says so, for the BC capacity governor in the server; normal work sends nothing.
    const high = currentBcPriority() === 'high';
    if (!correlationId && !high && !extra) return signedFetch(input, init);
    const headers = new Headers(init?.headers ?? {});
    for (const [name, value] of Object.entries(extra ?? {})) headers.set(name, value);
    if (correlationId) headers.set(CORRELATION_HEADER, correlationId);
    if (high) headers.set(BC_PRIORITY_HEADER, 'high');
    return signedFetch(input, { ...init, headers });
  };

  let connection: Promise<Client> | undefined;
  let tools: Promise<Tool[]> | undefined;
  const schemas = new Map<string, Promise<unknown>>();

  /** Connects (initialize + tool listing, which also arms the SDK's output-schema validation) once. */
  const connected = (): Promise<Client> => {
    connection ??= (async () => {
      const client = new Client(options.clientInfo ?? { name: 'bc-agent-worker', version: '0.1.0' }, {
        // Every error, not the first only: a tool's invalid output is reported whole.
        jsonSchemaValidator: new CfWorkerJsonSchemaValidator({ shortcircuit: false }),
      });
      const transport = new StreamableHTTPClientTransport(url, { fetch: fetchWithCorrelation });
      await client.connect(transport, { timeout: timeoutMs });
      tools = client.listTools(undefined, { timeout: timeoutMs }).then((r) => r.tools);
      await tools;
      return client;
    })().catch((error: unknown) => {
      connection = undefined;
      tools = undefined;
      throw transportError(error, timeoutMs);
    });
    return connection;
  };

  /** Runs one request with its timeout and correlation id; protocol failures become McpTransportError. */
  const run = <T>(call: CallOptions | undefined, work: (client: Client, timeout: number) => Promise<T>): Promise<T> => {
    const correlationId = call?.correlationId ?? call?.context?.correlationId;
    return callContext.run({ ...(correlationId ? { correlationId } : {}), ...(call?.headers ? { headers: call.headers } : {}) }, async () => {
      const client = await connected();
      const timeout = call?.timeoutMs ?? timeoutMs;
      try {
        return await work(client, timeout);
      } catch (error) {
        if (error instanceof McpToolError) throw error;
        throw transportError(error, timeout);
      }
    });
  };

  /** Read-only and idempotent tools (by their annotations) may be repeated after a call with no answer. */
  const safeToRepeat = async (name: string): Promise<boolean> => {
    const tool = (await tools)?.find((t) => t.name === name);
    return tool?.annotations?.readOnlyHint === true || tool?.annotations?.idempotentHint === true;
  };

  return {
    callTool: <T>(name: string, args: Record<string, unknown>, call?: CallOptions) =>
      run(call, async (client, timeout) => {
        let result: Awaited<ReturnType<Client['callTool']>>;
        try {
          result = await client.callTool(
            { name, arguments: args, ...(call?.context ? { _meta: { [STORY_CONTEXT_META_KEY]: call.context } } : {}) },
            undefined,
            { timeout },
          );
        } catch (error) {
          const failure = transportError(error, timeout);
          if (!mayHaveReachedServer(failure) || (await safeToRepeat(name))) throw failure;
          throw new McpTransportError(
            failure.kind,
            `${failure.message}; ${name} may have been carried out, so it is not repeated automatically`,
            failure.status,
            { cause: failure.cause, outcomeUnknown: true },
          );
        }
        if (result.isError) throw toolErrorFromResult(name, result);
        if (!result.structuredContent) {
          throw new McpTransportError('protocol', `Tool ${name} returned no structured content`);
        }
        return result.structuredContent as T;
      }),

    listTools: async () => {
      await connected();
      return tools!;
    },

    entitySchema: <T>(entitySet: string) => {
      let schema = schemas.get(entitySet);
      if (!schema) {
        schema = run(undefined, async (client, timeout) => {
          const uri = `bc://schemas/${encodeURIComponent(entitySet)}`;
          return JSON.parse(textOf(await client.readResource({ uri }, { timeout }), uri)) as unknown;
        });
        schemas.set(entitySet, schema);
        schema.catch(() => schemas.delete(entitySet));
      }
      return schema as Promise<T>;
    },

    readResource: (uri, call) =>
      run(call, async (client, timeout) => textOf(await client.readResource({ uri }, { timeout }), uri)),

    close: async () => {
      const pending = connection;
      connection = undefined;
      tools = undefined;
      schemas.clear();
      if (pending) await pending.then((client) => client.close()).catch(() => undefined);
    },
  };
}

function textOf(result: { contents: { uri: string; text?: unknown }[] }, uri: string): string {
  const text = result.contents.find((c) => typeof c.text === 'string')?.text;
  if (typeof text !== 'string') throw new McpTransportError('protocol', `Resource ${uri} has no text content`);
  return text;
}

function transportError(error: unknown, timeoutMs: number): McpTransportError {
  if (error instanceof McpTransportError) return error;
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
    return new McpTransportError('timeout', `MCP request timed out after ${timeoutMs} ms`, undefined, { cause: error });
  }
  if (error instanceof UnauthorizedError) {
    return new McpTransportError('unauthorized', 'MCP server refused the credentials (401)', 401, { cause: error });
  }
  if (error instanceof StreamableHTTPError) {
    const status = error.code;
    if (status === 401 || status === 403) {
      return new McpTransportError('unauthorized', `MCP server refused the credentials (${status})`, status, { cause: error });
    }
    return new McpTransportError('http', `MCP server answered HTTP ${status}: ${error.message}`, status, { cause: error });
  }
  if (error instanceof McpError) {
    return new McpTransportError('protocol', error.message, undefined, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new McpTransportError('network', `MCP request failed: ${message}`, undefined, { cause: error });
}
