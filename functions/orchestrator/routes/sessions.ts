// GET /v1/sessions/{sessionId}: the caller's tenant's session, its messages and its plans.
import { json, notFound, pathId, readCaller, type Route } from '../../core/http/index.js';
import { setCorrelation } from '../../core/observability/index.js';
import type { StateStore } from '../../core/store/index.js';
import { sessionView } from './views.js';

export function sessionRoute(store: StateStore): Route {
  return {
    method: 'GET',
    path: '/v1/sessions/{sessionId}',
    async handle({ event, params, logger }) {
      const caller = readCaller(event);
      const sessionId = pathId(params, 'sessionId');
      setCorrelation(logger, { tenantId: caller.tenantId, sessionId });
      const view = await store.readSession(caller.tenantId, sessionId);
      if (!view) throw notFound(`no session ${sessionId}`);
      return json(200, sessionView(view));
    },
  };
}
