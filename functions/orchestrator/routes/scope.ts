// What every route does first: who is asking (the token's claims), which record when it names a plan or a session
// (the path id, validated), both on the request's log lines; and what it was sent (query or JSON body), validated.
import type * as z from 'zod';
import { parseJsonBody, pathId, readCaller, validate, type Caller, type RouteContext } from '../../core/http/index.js';
import { setCorrelation } from '../../core/observability/index.js';

export function scopeOf({ event, params, logger }: RouteContext, name: 'planId' | 'sessionId'): { caller: Caller; id: string } {
  const caller = readCaller(event);
  const id = pathId(params, name);
  setCorrelation(logger, { tenantId: caller.tenantId, [name]: id });
  return { caller, id };
}

/** Who is asking, for a route that names no plan or session: the caller, with their tenant on the log lines. */
export function callerOf({ event, logger }: RouteContext): Caller {
  const caller = readCaller(event);
  setCorrelation(logger, { tenantId: caller.tenantId });
  return caller;
}

/** The query string, validated by `schema` (400 ValidationError naming each problem). */
export function queryOf<S extends z.ZodType>(schema: S, { event }: RouteContext): z.output<S> {
  return validate(schema, event.queryStringParameters ?? {}, { what: 'the query' });
}

/** The JSON body (at most `maxBytes`), validated by `schema`; `what` names it in the error. */
export function bodyOf<S extends z.ZodType>(schema: S, { event }: RouteContext, maxBytes: number, what: string): z.output<S> {
  return validate(schema, parseJsonBody(event, maxBytes), { what });
}
