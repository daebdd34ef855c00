// The most recent BC API requests with the caller's correlation header, so tests can follow one message's
// story into BC. Bounded: the oldest entries are dropped, a long-running sandbox does not grow.
export interface LoggedRequest {
  /** ISO time the request arrived. */
  at: string;
  method: string;
  /** URL path (no query). */
  path: string;
  entitySet?: string;
  /** The request's `x-correlation-id`, when it sent one. */
  correlationId?: string;
  /** Who the bearer token acts for (a BC user name, or the app's client id); absent when it was not valid. */
  userId?: string;
}

export const DEFAULT_REQUEST_LOG_SIZE = 500;

export class RequestLog {
  private entries: LoggedRequest[] = [];

  constructor(
    private readonly capacity = DEFAULT_REQUEST_LOG_SIZE,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`request log capacity must be a positive integer, got ${capacity}`);
  }

  record(request: Omit<LoggedRequest, 'at'>): void {
    this.entries.push({ at: new Date(this.now()).toISOString(), ...request });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Oldest first. */
  list(): LoggedRequest[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.entries = [];
  }
}
