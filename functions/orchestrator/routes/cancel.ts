// DELETE /v1/plans/{planId}: cancels what has not started (functions/core/cancel/cancel-plan.ts says how and
// why in that order). The requester or an approver of the tenant; 404 for another tenant's plan, 409 once ended.
import { forbidden, HttpError, json, notFound, type Route } from '../../core/http/index.js';
import { CancelError, cancelPlan, type CancelDeps } from '../../core/cancel/index.js';
import { statusReasonOf } from './plan-details.js';
import { planView } from './views.js';
import { scopeOf } from './scope.js';

export function cancelRoute(deps: Omit<CancelDeps, 'logger'>): Route {
  return {
    method: 'DELETE',
    path: '/v1/plans/{planId}',
    async handle(context) {
      const { logger, correlationId } = context;
      const { caller, id: planId } = scopeOf(context, 'planId');
      try {
        const outcome = await cancelPlan({ ...deps, logger }, caller, planId, correlationId);
        logger.info('plan cancelled', { cancelled: outcome.cancelledTasks.length, closedApprovals: outcome.closedApprovals.length, stillRunning: outcome.stillRunning.length });
        const tasks = await Promise.all(
          outcome.plan.tasks.map(async (task) => {
            const statusReason = await statusReasonOf(outcome.plan, task);
            return statusReason ? { ...task, statusReason } : task;
          }),
        );
        return json(200, {
          ...planView({ ...outcome.plan, tasks }),
          cancellation: {
            cancelledBy: caller.sub,
            cancelledTasks: outcome.cancelledTasks,
            closedApprovals: outcome.closedApprovals,
            stillRunning: outcome.stillRunning,
          },
        });
      } catch (error) {
        if (!(error instanceof CancelError)) throw error;
        if (error.kind === 'not_found') throw notFound(error.message);
        if (error.kind === 'forbidden') throw forbidden(error.message);
        throw new HttpError(409, 'PlanEnded', error.message);
      }
    },
  };
}
