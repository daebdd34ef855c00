// The correlation id sent to Business Central per request. One BcClient serves every invocation of a container
// (and, in the MCP server, concurrent tool calls), so the id cannot be client configuration: the caller runs
// its work inside `withBcCorrelation` and `correlatingFetch` adds the header of whichever call is in progress.
import { AsyncLocalStorage } from 'node:async_hooks';
import { CORRELATION_HEADER } from '../observability/index.js';

const current = new AsyncLocalStorage<string>();

/** Printable ASCII without separators: safe as a header value and in a log line. */
const HEADER_SAFE = /^[\x21-\x7e]{1,128}$/;

/** Whether a value can be sent to BC as the correlation header. */
export function isBcCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && HEADER_SAFE.test(value);
}

/**
 * Runs `work` with `correlationId` as the id of every BC request it causes. Without an id, `work` keeps the
 * surrounding one (an outer context stays in force). A value that cannot be a header is refused.
 */
export function withBcCorrelation<T>(correlationId: string | undefined, work: () => Promise<T>): Promise<T> {
  if (correlationId === undefined || correlationId === '') return work();
  if (!isBcCorrelationId(correlationId)) {
    throw new Error('correlation id must be 1-128 printable ASCII characters without spaces');
  }
  return current.run(correlationId, work);
}

/** The correlation id of the work in progress, if any. */
export function currentBcCorrelationId(): string | undefined {
  return current.getStore();
}

/** fetch that sends the current correlation id as `x-correlation-id` (unchanged outside any context). */
export function correlatingFetch(base: typeof fetch): typeof fetch {
  return (input, init) => {
    const correlationId = current.getStore();
    if (!correlationId) return base(input, init);
    const headers = new Headers(init?.headers);
    headers.set(CORRELATION_HEADER, correlationId);
    return base(input, { ...init, headers });
  };
}
