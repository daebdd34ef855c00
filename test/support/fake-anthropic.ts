// A local server that speaks the Anthropic Messages API (POST /v1/messages, JSON, non-streaming) so the real
// `@anthropic-ai/sdk` can be exercised without a network: point ANTHROPIC_BASE_URL (or the SDK's baseURL) at
// `url`. It checks the headers the real API requires (a key in x-api-key or as a bearer token, anthropic-version), records every request, and answers with whatever the
// test's `respond` returns: a Messages response body, or `{ status, body, headers }`, or `hang()` to never
// answer (for timeouts). Listens on 127.0.0.1, port 0.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { toolInputFromPlan } from '../../functions/core/planner/plan-tool.js';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body. */
  body: Record<string, any>;
  /** 0 for the first request the server received. */
  index: number;
}

export interface RawReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
const HANG = Symbol('hang');
export type FakeReply = Record<string, unknown> | RawReply | typeof HANG;

export interface FakeAnthropicOptions {
  respond: (request: CapturedRequest) => FakeReply | Promise<FakeReply>;
  /** The key requests must carry in x-api-key; any non-empty key when absent. */
  apiKey?: string;
}

export interface FakeAnthropic {
  url: string;
  requests: CapturedRequest[];
  stop(): Promise<void>;
}

const isRaw = (reply: FakeReply): reply is RawReply =>
  typeof reply === 'object' && reply !== null && typeof (reply as RawReply).status === 'number' && 'body' in reply;

/** The key, from `x-api-key` or `Authorization: Bearer …` (the SDK sends the latter). */
export function credentialOf(req: { headers: IncomingMessage['headers'] }): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return key;
  const authorization = req.headers.authorization;
  return authorization?.startsWith('Bearer ') && authorization.length > 7 ? authorization.slice(7) : undefined;
}

const apiError = (status: number, type: string, message: string): RawReply => ({ status, body: { type: 'error', error: { type, message } } });

export async function startFakeAnthropic(options: FakeAnthropicOptions): Promise<FakeAnthropic> {
  const requests: CapturedRequest[] = [];
  const sockets = new Set<Socket>();
  let count = 0;

  const send = (res: ServerResponse, reply: RawReply) => {
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': `req_fake_${count}`, ...reply.headers });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || path !== '/v1/messages') return send(res, apiError(404, 'not_found_error', `${req.method} ${path} is not served here`));
    const key = credentialOf(req);
    if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
      return send(res, apiError(401, 'authentication_error', 'invalid x-api-key'));
    }
    if (typeof req.headers['anthropic-version'] !== 'string') {
      return send(res, apiError(400, 'invalid_request_error', 'anthropic-version: header is required'));
    }
    let body: Record<string, any>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, apiError(400, 'invalid_request_error', 'the body is not valid JSON'));
    }
    for (const field of ['model', 'max_tokens', 'messages']) {
      if (body?.[field] === undefined) return send(res, apiError(400, 'invalid_request_error', `${field}: Field required`));
    }
    const captured: CapturedRequest = { method: req.method, path, headers: req.headers, body, index: count++ };
    requests.push(captured);
    const reply = await options.respond(captured);
    if (reply === HANG) return; // the socket is destroyed by stop()
    if (isRaw(reply)) return send(res, reply);
    send(res, { status: 200, body: { model: body.model, ...reply } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, apiError(500, 'api_error', `fake server: ${(error as Error).message}`));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// ---------------------------------------------------------------- scripted answers

let messageCounter = 0;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** A complete Messages API response body. */
export function messageResponse(content: unknown[], stopReason: string, usage: Partial<Usage> = {}): Record<string, unknown> {
  return {
    id: `msg_fake_${++messageCounter}`,
    type: 'message',
    role: 'assistant',
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 1200, output_tokens: 150, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
  };
}

export function toolUse(name: string, input: unknown, usage?: Partial<Usage>): Record<string, unknown> {
  return messageResponse([{ type: 'tool_use', id: `toolu_fake_${++messageCounter}`, name, input }], 'tool_use', usage);
}

/**
 * Claude calling `create_plan` with this plan, written as Claude writes it: the `data` records of writes as
 * `{ field, value }` pairs (strict tool use has no free-form objects). Give the plan in the §6 form.
 */
export const planToolCall = (plan: unknown, usage?: Partial<Usage>) => toolUse('create_plan', toolInputFromPlan(plan), usage);
/** Claude calling `reply`. */
export const replyToolCall = (text: string) => toolUse('reply', { text });
/** A plain text answer (no tool call). */
export const textAnswer = (text: string) => messageResponse([{ type: 'text', text }], 'end_turn');
/** Claude declining (stop_reason "refusal"). */
export const refusal = () => messageResponse([], 'refusal');
export const rateLimited = (retryAfterMs = 1): RawReply => ({
  ...apiError(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit'),
  headers: { 'retry-after-ms': String(retryAfterMs) },
});
export const overloaded = (retryAfterMs = 1): RawReply => ({ ...apiError(529, 'overloaded_error', 'Overloaded'), headers: { 'retry-after-ms': String(retryAfterMs) } });
export const errorReply = apiError;
/** Never answer; the client's timeout must end the call. */
export const hang = (): typeof HANG => HANG;

/** Answers in order, one per request; a request past the script gets a 500 naming the overrun. */
export function scripted(...replies: FakeReply[]): (request: CapturedRequest) => FakeReply {
  return (request) => replies[request.index] ?? apiError(500, 'api_error', `fake server: no scripted reply for request ${request.index + 1}`);
}
