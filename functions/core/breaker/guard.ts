// Puts a circuit breaker in front of every call to a dependency's client, so callers (the MCP server, the saga
// steps) keep using the client's own interface and cannot forget the breaker on one path.
import { withBcDeadline } from '../bc/index.js';
import type { CircuitBreaker, ExecuteOptions } from './index.js';

type AsyncMethodNames<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/**
 * Returns a view of `target` whose listed async methods run through `breaker.execute`. Methods that are not
 * listed (pure helpers, getters) pass through untouched.
 */
export function guardWithBreaker<T extends object, K extends AsyncMethodNames<T>>(
  target: T,
  breaker: CircuitBreaker,
  methods: readonly K[],
  options: ExecuteOptions = {},
): T {
  const guarded = new Set<PropertyKey>(methods);
  return new Proxy(target, {
    get(obj, property, receiver) {
      const value = Reflect.get(obj, property, receiver);
      if (!guarded.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => breaker.execute(() => (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args), options);
    },
  });
}

/** The BcClient methods that reach BC over the network. */
export const BC_CALLS = ['companies', 'resolveCompany', 'query', 'continueQuery', 'get', 'create', 'update', 'delete', 'invokeAction', 'batch', 'metadata'] as const;

/** The breaker key of one BC environment: failures in one tenant's BC must not block another's. */
export function bcBreakerKey(tenant: string, environment: string): string {
  return `bc:${tenant}:${environment}`;
}

/** A BC probe ends with its lease: its requests get the lease expiry as their deadline (CircuitBreakerOptions.runProbe). */
export function runBcProbe<T>(call: () => Promise<T>, leaseUntil: number): Promise<T> {
  return withBcDeadline(leaseUntil, call);
}
