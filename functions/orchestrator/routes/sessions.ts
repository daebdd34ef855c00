// GET /v1/sessions/{sessionId}: the caller's tenant's session, its messages and its plans.
import { json, notFound, type Route } from '../../core/http/index.js';
import type { StateStore } from '../../core/store/index.js';
import { sessionView } from './views.js';
import { scopeOf } from './scope.js';

export function sessionRoute(store: StateStore): Route {
  return {
    method: 'GET',
    path: '/v1/sessions/{sessionId}',
    async handle(context) {
      const { caller, id: sessionId } = scopeOf(context, 'sessionId');
      const view = await store.readSession(caller.tenantId, sessionId);
      if (!view) throw notFound(`no session ${sessionId}`);
      return json(200, sessionView(view));
    },
  };
}
