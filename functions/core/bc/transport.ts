// One HTTP exchange with BC (or the token endpoint): timeout per attempt, retries with backoff on 429/5xx
// and network failures, one token refresh on 401, and failures turned into typed errors. Nothing here logs
// headers or bodies, so tokens and secrets cannot leak through it.
import { currentBcDeadline } from './deadline.js';
import { CapacityRefusedError } from '../capacity/index.js';
import { BcError, BcNetworkError, BcTimeoutError, errorFromResponse, NoCapacityError } from './errors.js';
import { parseRetryAfter, retryDelay, type RetryPolicy, type Sleep } from './retry.js';

export interface BcRequestInfo {
  method: string;
  /** URL path without the query string (queries can hold customer data). */
  path: string;
  /** 1 for the first try. */
  attempt: number;
  /** HTTP status, or 0 when no answer arrived. */
  status: number;
  durationMs: number;
  /** Set when this attempt failed. */
  errorKind?: string;
  /** The wait before the next attempt, when one follows. */
  retryInMs?: number;
}

export interface TransportOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  onRequest?: (info: BcRequestInfo) => void;
  /** The BC capacity governor (functions/core/capacity), when on: admits every attempt at BC's API. */
  governor?: TransportGovernor;
}

/** What the transport needs of the capacity governor. */
export interface TransportGovernor {
  /** Waits for capacity (at its current priority) until the deadline; throws CapacityRefusedError when there is none in time. */
  acquire(priority?: undefined, deadline?: number): Promise<{ release(): void }>;
  /** BC answered 429 (shrink the budget, pause everyone for Retry-After). */
  throttled(retryAfterMs: number | undefined): Promise<void>;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Whether repeating the request after an ambiguous failure (timeout, connection reset, 502/504) is harmless.
   * 429 and 503 mean BC did not process the request, so those are retried either way.
   */
  idempotent: boolean;
  /** Supplies the bearer token; `refresh` asks for a new one after a 401. Absent for the token endpoint. */
  authorize?: (refresh: boolean) => Promise<string>;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

const ALWAYS_RETRIED_STATUSES = new Set([429, 503]);
const IDEMPOTENT_RETRIED_STATUSES = new Set([502, 504]);

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0];
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}

/** A refused connection means the request never reached BC, so even a POST can be repeated. */
function connectionRefused(error: unknown): boolean {
  return (error as { cause?: { code?: string } } | undefined)?.cause?.code === 'ECONNREFUSED';
}

/** One attempt: fetch plus reading the body, both under the same timeout. */
async function attemptOnce(request: HttpRequest, token: string | undefined, options: TransportOptions, timeoutMs: number): Promise<HttpResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const headers: Record<string, string> = { ...request.headers };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await options.fetch(request.url, {
      method: request.method,
      headers,
      body: request.body,
      signal: controller.signal,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } finally {
    clearTimeout(timer);
  }
}

/** A permit of the governor within the deadline; its refusal is the client's retryable NoCapacityError. */
async function admitted(governor: TransportGovernor, deadline: number | undefined): Promise<{ release(): void }> {
  try {
    return await governor.acquire(undefined, deadline);
  } catch (error) {
    if (error instanceof CapacityRefusedError) throw new NoCapacityError(error.message, error.retryAfterMs);
    throw error;
  }
}

/**
 * Sends a request until it succeeds (2xx/3xx) or fails for good; returns the successful response, throws
 * a typed BcError otherwise.
 */
export async function send(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
  const path = pathOf(request.url);
  const deadline = currentBcDeadline();
  const timeLeft = () => (deadline === undefined ? Infinity : deadline - options.now());
  const outOfTime = () =>
    new BcTimeoutError(`BC ${request.method} ${path} not sent: the invocation's deadline has passed`, {
      kind: 'timeout', status: 0, code: 'Client_Timeout', method: request.method, path,
    });
  let refreshedAfter401 = false;
  let token = request.authorize ? await request.authorize(false) : undefined;
  // The 401 refresh is a separate allowance: it does not use up a retry.
  let retries = 0;
  let previous: BcError | undefined;
  for (let attempt = 1; ; attempt++) {
    const left = timeLeft();
    if (left <= 0) throw previous ?? outOfTime();
    // The governor admits calls to BC's API (not the token endpoint) within the same deadline.
    const permit = options.governor && request.authorize ? await admitted(options.governor, deadline) : undefined;
    if (permit && timeLeft() <= 0) {
      permit.release();
      throw previous ?? outOfTime();
    }
    const started = options.now();
    const timeoutMs = Math.min(options.timeoutMs, timeLeft());
    let failure: BcError;
    let retryAfterMs: number | undefined;
    let status = 0;
    let neverSent = false;
    // Whether BC may have acted on a request that is not safe to repeat: no answer, or a gateway's 502/504.
    const outcomeUnknown = (answered: number): boolean =>
      !request.idempotent && !neverSent && (answered === 0 || IDEMPOTENT_RETRIED_STATUSES.has(answered));
    try {
      const response = await attemptOnce(request, token, options, timeoutMs).finally(() => permit?.release());
      status = response.status;
      if (status < 400) {
        options.onRequest?.({ method: request.method, path, attempt, status, durationMs: options.now() - started });
        return response;
      }
      if (status === 401 && request.authorize && !refreshedAfter401) {
        // The token may have been revoked or expired early: get a new one and try again, once.
        options.onRequest?.({ method: request.method, path, attempt, status, durationMs: options.now() - started, errorKind: 'auth', retryInMs: 0 });
        refreshedAfter401 = true;
        token = await request.authorize(true);
        continue;
      }
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.now());
      if (status === 429 && permit) await options.governor!.throttled(retryAfterMs);
      failure = errorFromResponse({
        method: request.method, path, status, headers: response.headers, bodyText: response.text, retryAfterMs, outcomeUnknown: outcomeUnknown(status),
      });
    } catch (error) {
      if (error instanceof BcError) throw error;
      neverSent = connectionRefused(error);
      failure = isAbort(error)
        ? new BcTimeoutError(`BC ${request.method} ${path} timed out after ${timeoutMs} ms`, {
            kind: 'timeout', status: 0, code: 'Client_Timeout', method: request.method, path, outcomeUnknown: outcomeUnknown(0),
          })
        : new BcNetworkError(`BC ${request.method} ${path} failed: ${describeNetworkError(error)}`, {
            kind: 'network', status: 0, code: 'Client_NetworkError', method: request.method, path, cause: error, outcomeUnknown: outcomeUnknown(0),
          });
    }
    const retryable = status === 0
      ? request.idempotent || neverSent
      : ALWAYS_RETRIED_STATUSES.has(status) || (request.idempotent && IDEMPOTENT_RETRIED_STATUSES.has(status));
    const wanted = retryable ? retryDelay(retries, retryAfterMs, options.retry, options.random) : undefined;
    // A retry that could not even start before the deadline is not waited for.
    const delay = wanted !== undefined && wanted < timeLeft() ? wanted : undefined;
    options.onRequest?.({
      method: request.method, path, attempt, status, durationMs: options.now() - started, errorKind: failure.kind, retryInMs: delay,
    });
    if (delay === undefined) throw failure;
    previous = failure;
    retries += 1;
    await options.sleep(delay);
  }
}
