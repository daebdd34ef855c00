// GET /v1/plans/{planId}: the caller's tenant's plan with its tasks and their results.
import { json, notFound, pathId, readCaller, type Route } from '../../core/http/index.js';
import { setCorrelation } from '../../core/observability/index.js';
import type { StateStore } from '../../core/store/index.js';
import { planView } from './views.js';

export function planRoute(store: StateStore): Route {
  return {
    method: 'GET',
    path: '/v1/plans/{planId}',
    async handle({ event, params, logger }) {
      const caller = readCaller(event);
      const planId = pathId(params, 'planId');
      setCorrelation(logger, { tenantId: caller.tenantId, planId });
      const plan = await store.readPlanWithResults(caller.tenantId, planId);
      if (!plan) throw notFound(`no plan ${planId}`);
      return json(200, planView(plan));
    },
  };
}
