import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * An error in the shape every AWS JSON protocol uses (`__type` + `message`), so SDK clients raise the
 * named exception. `queryError` is the `x-amzn-query-error` code SQS's query-compatible clients read.
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly queryError?: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const validationError = (message: string): AwsError => new AwsError('ValidationException', message);

/** Per-request context: `signal` aborts when the client goes away before the answer (long polls). */
export interface RequestContext {
  signal: AbortSignal;
}

/** An operation handler of a JSON-protocol service: parsed request body in, response body out. */
export type JsonOperation = (input: Record<string, unknown>, context: RequestContext) => Promise<unknown> | unknown;

export interface JsonService {
  /** `X-Amz-Target` prefix before the dot, e.g. `AmazonSQS`. */
  readonly targetPrefix: string;
  /** Response content type, e.g. `application/x-amz-json-1.0`. */
  readonly contentType: string;
  /** The namespace used in `__type` of errors, e.g. `com.amazonaws.sqs`. */
  readonly errorNamespace?: string;
  readonly operations: Record<string, JsonOperation>;
  /**
   * Resolves once the state changes made so far are durable; awaited before every answer (successes and
   * errors alike, as a batch may have changed state before an entry failed). A rejection answers 500.
   */
  readonly commit?: () => Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AwsError('RequestEntityTooLarge', 'Request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, contentType: string, body: unknown,
  headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** How one protocol writes an operation's answer: the output, or the error in its shape. */
export interface ResponseWriter {
  output(res: ServerResponse, output: unknown): void;
  error(res: ServerResponse, error: unknown): void;
}

/**
 * Runs one operation of a service for any wire protocol: reads the input (`readInput` throws the protocol's
 * parse errors), calls the handler, awaits the service's commit, then writes the answer with `writer`. A client
 * that goes away aborts long polls through the context's signal and gets nothing written.
 */
export async function serveOperation(service: JsonService, operation: string, readInput: () => Record<string, unknown>,
  res: ServerResponse, writer: ResponseWriter): Promise<void> {
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', onClose);
  try {
    const handler = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
    if (!handler) throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported by this endpoint`);
    const input = readInput();
    let output: unknown;
    try {
      output = await handler(input, { signal: abort.signal });
    } finally {
      await service.commit?.();
    }
    if (!abort.signal.aborted) writer.output(res, output ?? {});
  } catch (error) {
    if (!abort.signal.aborted) writer.error(res, error);
  } finally {
    res.off('close', onClose);
  }
}

function parseJsonInput(body: string): Record<string, unknown> {
  let input: unknown;
  try {
    input = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AwsError('SerializationException', 'Request body must be a JSON object');
  }
  return input as Record<string, unknown>;
}

/** Runs one JSON-protocol request against a service and writes the response or the error shape. */
export async function handleJsonRequest(service: JsonService, operation: string, body: string,
  res: ServerResponse): Promise<void> {
  await serveOperation(service, operation, () => parseJsonInput(body), res, {
    output: (response, output) => sendJson(response, 200, service.contentType, output),
    error: (response, error) => sendError(response, service, error),
  });
}

export function sendError(res: ServerResponse, service: Pick<JsonService, 'contentType' | 'errorNamespace'>, error: unknown): void {
  const awsError = error instanceof AwsError
    ? error
    : new AwsError('InternalFailure', error instanceof Error ? error.message : String(error), 500);
  const type = service.errorNamespace ? `${service.errorNamespace}#${awsError.code}` : awsError.code;
  const headers: Record<string, string> = {};
  if (awsError.queryError) headers['x-amzn-query-error'] = `${awsError.queryError};${awsError.status >= 500 ? 'Receiver' : 'Sender'}`;
  sendJson(res, awsError.status, service.contentType, { __type: type, message: awsError.message }, headers);
}

// Input readers: clear errors for bad request shapes instead of undefined behaviour further in.

export function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value === '') throw validationError(`${key} is required and must be a non-empty string`);
  return value;
}

export function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(`${key} must be a string`);
  return value;
}

export function optionalNumber(input: Record<string, unknown>, key: string): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw validationError(`${key} must be a number`);
  return value;
}

export function optionalArray(input: Record<string, unknown>, key: string): unknown[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw validationError(`${key} must be a list`);
  return value;
}

export function optionalObject(input: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw validationError(`${key} must be a map`);
  return value as Record<string, unknown>;
}

/** Pagination over an in-memory list with an opaque numeric token, as List* operations expose. */
export function paginate<T>(items: T[], nextToken: string | undefined, maxResults: number | undefined,
  defaultMax = 100): { page: T[]; nextToken?: string } {
  const start = nextToken ? Number.parseInt(Buffer.from(nextToken, 'base64url').toString('utf8'), 10) : 0;
  if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidToken', 'Invalid pagination token');
  const size = maxResults && maxResults > 0 ? maxResults : defaultMax;
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return next ? { page, nextToken: next } : { page };
}
