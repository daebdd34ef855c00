// What every route that names a plan or a session does first: who is asking (the token's claims), which record
// (the path id, validated), and both on the request's log lines.
import { pathId, readCaller, type Caller, type RouteContext } from '../../core/http/index.js';
import { setCorrelation } from '../../core/observability/index.js';

export function scopeOf({ event, params, logger }: RouteContext, name: 'planId' | 'sessionId'): { caller: Caller; id: string } {
  const caller = readCaller(event);
  const id = pathId(params, name);
  setCorrelation(logger, { tenantId: caller.tenantId, [name]: id });
  return { caller, id };
}
