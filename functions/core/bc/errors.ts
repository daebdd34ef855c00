// Typed Business Central errors. Callers (circuit breaker, workers, MCP tools) classify failures by `kind`
// and `retryable` instead of parsing messages; `code` is BC's own error code so it can be shown to users.

export type BcErrorKind =
  | 'conflict' // stale ETag (Request_EntityChanged / 412): re-read, never overwrite
  | 'not_found'
  | 'validation' // BC rejected the request or its data (400, 405, 409 other than a stale ETag, 413, 415)
  | 'invalid_request' // refused by this client before any HTTP call (unknown entity set/field, bad filter)
  | 'throttled' // 429
  | 'unavailable' // 502, 503, 504
  | 'server' // 500 and other unexpected statuses
  | 'auth' // 401, 403, token endpoint failures
  | 'timeout' // no answer within timeoutMs
  | 'network'; // connection refused/reset, DNS, malformed response

const RETRYABLE_KINDS: ReadonlySet<BcErrorKind> = new Set(['throttled', 'unavailable', 'timeout', 'network']);

export interface BcErrorDetails {
  kind: BcErrorKind;
  status: number;
  code: string;
  correlationId?: string;
  /** How long BC asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  method?: string;
  /** Request path without query string (the query may contain customer data). */
  path?: string;
  cause?: unknown;
  /** See BcError.outcomeUnknown. */
  outcomeUnknown?: boolean;
}

export class BcError extends Error {
  readonly kind: BcErrorKind;
  /** HTTP status from BC; 0 when no HTTP answer was received (refused locally, timeout, network). */
  readonly status: number;
  /** BC's error code (e.g. `Request_EntityChanged`), or a client code for failures BC never saw. */
  readonly code: string;
  readonly correlationId?: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly method?: string;
  readonly path?: string;
  /**
   * A write that is not safe to repeat (POST, bound action, $batch with creates) got no definite answer
   * (timeout, broken connection, 502/504): BC may have applied it. `retryable` still says BC is briefly
   * unwell; a caller must check what BC holds (or have an idempotent step) before sending it again.
   */
  readonly outcomeUnknown: boolean;

  constructor(message: string, details: BcErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'BcError';
    this.kind = details.kind;
    this.status = details.status;
    this.code = details.code;
    this.correlationId = details.correlationId;
    this.retryAfterMs = details.retryAfterMs;
    this.method = details.method;
    this.path = details.path;
    this.retryable = RETRYABLE_KINDS.has(details.kind);
    this.outcomeUnknown = details.outcomeUnknown === true;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      status: this.status,
      code: this.code,
      message: this.message,
      correlationId: this.correlationId,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      ...(this.outcomeUnknown ? { outcomeUnknown: true } : {}),
    };
  }
}

/**
 * The subclass of one kind, so callers can catch that kind with `instanceof`. It differs from BcError only in its
 * name, given as a string because the Lambda bundles are minified (class names do not survive).
 */
function kindError(name: string) {
  return class extends BcError {
    override name = name;
  };
}

export const BcConflictError = kindError('BcConflictError');
export const BcNotFoundError = kindError('BcNotFoundError');
export const BcValidationError = kindError('BcValidationError');
export const BcInvalidRequestError = kindError('BcInvalidRequestError');
export const BcThrottledError = kindError('BcThrottledError');
export const BcUnavailableError = kindError('BcUnavailableError');
export const BcServerError = kindError('BcServerError');
export const BcAuthError = kindError('BcAuthError');
export const BcTimeoutError = kindError('BcTimeoutError');
export const BcNetworkError = kindError('BcNetworkError');

export type BcConflictError = InstanceType<typeof BcConflictError>;
export type BcNotFoundError = InstanceType<typeof BcNotFoundError>;
export type BcValidationError = InstanceType<typeof BcValidationError>;
export type BcInvalidRequestError = InstanceType<typeof BcInvalidRequestError>;
export type BcThrottledError = InstanceType<typeof BcThrottledError>;
export type BcUnavailableError = InstanceType<typeof BcUnavailableError>;
export type BcServerError = InstanceType<typeof BcServerError>;
export type BcAuthError = InstanceType<typeof BcAuthError>;
export type BcTimeoutError = InstanceType<typeof BcTimeoutError>;
export type BcNetworkError = InstanceType<typeof BcNetworkError>;

const CLASS_BY_KIND: Record<BcErrorKind, new (message: string, details: BcErrorDetails) => BcError> = {
  conflict: BcConflictError,
  not_found: BcNotFoundError,
  validation: BcValidationError,
  invalid_request: BcInvalidRequestError,
  throttled: BcThrottledError,
  unavailable: BcUnavailableError,
  server: BcServerError,
  auth: BcAuthError,
  timeout: BcTimeoutError,
  network: BcNetworkError,
};

export function createBcError(message: string, details: BcErrorDetails): BcError {
  return new CLASS_BY_KIND[details.kind](message, details);
}

export function isBcError(error: unknown): error is BcError {
  return error instanceof BcError;
}

/** A request this client refuses before sending it; `code` is the code BC itself would answer with. */
export function invalidRequest(message: string, code = 'BadRequest'): BcInvalidRequestError {
  return new BcInvalidRequestError(message, { kind: 'invalid_request', status: 0, code });
}

const CONFLICT_CODES = new Set(['Request_EntityChanged']);

export function kindForStatus(status: number, code: string): BcErrorKind {
  if (CONFLICT_CODES.has(code) || status === 412) return 'conflict';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'throttled';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 400 && status < 500) return 'validation';
  return 'server';
}

const CORRELATION_IN_MESSAGE = /\s*CorrelationId:\s*([0-9a-fA-F-]{8,})\.?\s*$/;
const CORRELATION_HEADERS = ['request-id', 'ms-correlation-x', 'x-correlation-id', 'client-request-id'];

/**
 * BC appends "  CorrelationId:  <guid>." to error messages; split it off so the message reads cleanly
 * and the id is available on its own.
 */
export function splitCorrelationId(message: string): { message: string; correlationId?: string } {
  const match = CORRELATION_IN_MESSAGE.exec(message);
  if (!match) return { message };
  return { message: message.slice(0, match.index).trim(), correlationId: match[1] };
}

function correlationFromHeaders(headers: Headers): string | undefined {
  for (const name of CORRELATION_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}

export interface HttpFailure {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  /** The raw response text (may be empty or not JSON). */
  bodyText: string;
  retryAfterMs?: number;
  outcomeUnknown?: boolean;
}

/** Maps a non-2xx BC answer (`{ error: { code, message } }` or anything else) to a typed error. */
export function errorFromResponse(failure: HttpFailure): BcError {
  const parsed = parseErrorBody(failure.bodyText);
  const code = parsed?.code ?? `Http_${failure.status}`;
  const split = splitCorrelationId(parsed?.message ?? '');
  const correlationId = split.correlationId ?? correlationFromHeaders(failure.headers);
  const detail = split.message || statusText(failure.status);
  const message = `BC ${failure.method} ${failure.path} failed: ${failure.status} ${code}: ${detail}`;
  return createBcError(message, {
    kind: kindForStatus(failure.status, code),
    status: failure.status,
    code,
    correlationId,
    retryAfterMs: failure.retryAfterMs,
    method: failure.method,
    path: failure.path,
    outcomeUnknown: failure.outcomeUnknown === true,
  });
}

/** Same mapping for one answer inside a `$batch` response. */
export function errorFromBatchItem(
  method: string,
  path: string,
  status: number,
  body: unknown,
  headers: Record<string, string> | undefined,
): BcError {
  return errorFromResponse({
    method,
    path,
    status,
    headers: new Headers(headers ?? {}),
    bodyText: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function parseErrorBody(text: string): { code?: string; message?: string } | undefined {
  if (!text) return undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    const error = body?.error as { code?: unknown; message?: unknown } | string | undefined;
    // OAuth2 token endpoints answer { error: "invalid_client", error_description }.
    if (typeof error === 'string') {
      return { code: error, message: typeof body.error_description === 'string' ? body.error_description : undefined };
    }
    if (!error || typeof error !== 'object') return undefined;
    return {
      code: typeof error.code === 'string' && error.code ? error.code : undefined,
      message: typeof error.message === 'string' ? error.message : undefined,
    };
  } catch {
    return undefined;
  }
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'Bad Request';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'Not Found';
    case 409: return 'Conflict';
    case 412: return 'Precondition Failed';
    case 429: return 'Too Many Requests';
    case 500: return 'Internal Server Error';
    case 502: return 'Bad Gateway';
    case 503: return 'Service Unavailable';
    case 504: return 'Gateway Timeout';
    default: return `HTTP ${status}`;
  }
}

/** The capacity governor had no token or slot for the request before its deadline: BC was never called. */
export class NoCapacityError extends BcError {
  override name = 'NoCapacityError';
  constructor(message: string, retryAfterMs: number) {
    super(message, { kind: 'throttled', status: 0, code: 'Client_NoCapacityBeforeDeadline', retryAfterMs });
  }
}
