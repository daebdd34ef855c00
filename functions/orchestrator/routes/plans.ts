// GET /v1/plans/{planId}: the caller's tenant's plan with its tasks and their results.
import { json, notFound, type Route } from '../../core/http/index.js';
import { ResultNotFoundError, type StateStore, type StoredPlan } from '../../core/store/index.js';
import type { WebClientSettings } from '../../core/record-links/index.js';
import { linksOf, statusReasonOf, type ApprovalLookup } from './plan-details.js';
import { planView, type PlanViewInput, type ShownTask } from './views.js';
import { scopeOf } from './scope.js';

/** What the view adds beside the stored plan: approvals for waiting tasks, web client settings for links. */
export interface PlanDetailSources {
  approvals?: ApprovalLookup;
  links?: WebClientSettings;
}

/**
 * Result bytes one plan response carries at most: a Lambda may answer API Gateway with 6 MB, and the rest
 * of the view needs room. Results beyond it are left out (and say so) instead of failing the whole read.
 */
export const MAX_PLAN_RESULT_BYTES = 4 * 1024 * 1024;

/**
 * Loads the tasks' stored results one at a time, keeping those that fit in `budget` bytes: memory stays
 * near the budget plus one result, and the response within what a Lambda may return.
 */
async function withResults(store: StateStore, plan: StoredPlan, budget: number, sources: PlanDetailSources = {}): Promise<PlanViewInput> {
  const shown = await resultsWithin(store, plan, budget);
  const tasks: ShownTask[] = [];
  for (const task of shown) {
    const statusReason = await statusReasonOf(plan, task, sources.approvals);
    const links = linksOf(sources.links, task, task.result);
    tasks.push({ ...task, ...(statusReason ? { statusReason } : {}), ...(links.length > 0 ? { links } : {}) });
  }
  return { ...plan, tasks };
}

async function resultsWithin(store: StateStore, plan: StoredPlan, budget: number): Promise<ShownTask[]> {
  let remaining = budget;
  const tasks: ShownTask[] = [];
  for (const task of plan.tasks) {
    if (!task.resultRef && task.result === undefined) {
      tasks.push(task);
      continue;
    }
    let result: unknown = task.result;
    try {
      // A small result is on the task already (no read); a large one is stored beside the plan.
      if (result === undefined && task.resultRef) result = await store.results.get(plan.tenantId, task.resultRef);
    } catch (error) {
      // An expired result leaves the task readable without it.
      if (error instanceof ResultNotFoundError) {
        tasks.push(task);
        continue;
      }
      throw error;
    }
    const bytes = Buffer.byteLength(JSON.stringify(result) ?? 'null', 'utf8');
    if (bytes > remaining) {
      const { result: _inline, ...shown } = task;
      tasks.push({ ...shown, resultOmitted: { bytes, reason: `the result is too large to show with this plan (limit ${budget} bytes for all results)` } });
      continue;
    }
    remaining -= bytes;
    tasks.push({ ...task, result });
  }
  return tasks;
}

export function planRoute(store: StateStore, maxResultBytes = MAX_PLAN_RESULT_BYTES, sources: PlanDetailSources = {}): Route {
  return {
    method: 'GET',
    path: '/v1/plans/{planId}',
    async handle(context) {
      const { caller, id: planId } = scopeOf(context, 'planId');
      const plan = await store.plans.getPlan(caller.tenantId, planId);
      if (!plan) throw notFound(`no plan ${planId}`);
      return json(200, planView(await withResults(store, plan, maxResultBytes, sources)));
    },
  };
}
