// The plan sweeper (issue 9): no plan stays non-final. decide.ts holds the rules, sweep.ts applies them.
import { type Env, positiveIntEnv } from '../config/index.js';
import { createMetrics, type Metrics } from '../observability/index.js';
import { DEFAULT_SWEEPER_SETTINGS, type SweeperSettings } from './decide.js';

/**
 * SWEEP_DISPATCHED_SECONDS, SWEEP_RUNNING_SECONDS, SWEEP_SETTLE_SECONDS, SWEEP_APPROVAL_SECONDS,
 * SWEEP_MAX_REDISPATCHES, SWEEP_MAX_PLANS (lib/config.ts `sweeper`); defaults when unset, a bad value fails
 * the cold start naming it.
 */
export function sweeperSettingsFromEnv(env: Env = process.env): SweeperSettings {
  const d = DEFAULT_SWEEPER_SETTINGS;
  return {
    dispatchedSeconds: positiveIntEnv('SWEEP_DISPATCHED_SECONDS', d.dispatchedSeconds, env),
    runningSeconds: positiveIntEnv('SWEEP_RUNNING_SECONDS', d.runningSeconds, env),
    settleSeconds: positiveIntEnv('SWEEP_SETTLE_SECONDS', d.settleSeconds, env),
    approvalSeconds: positiveIntEnv('SWEEP_APPROVAL_SECONDS', d.approvalSeconds, env),
    maxRedispatches: positiveIntEnv('SWEEP_MAX_REDISPATCHES', d.maxRedispatches, env),
    maxPlansPerRun: positiveIntEnv('SWEEP_MAX_PLANS', d.maxPlansPerRun, env),
  };
}

/** The service dimension of StuckPlansFound (the alarm names it). */
export const SWEEPER_SERVICE = 'plan-sweeper';

/**
 * The sweeper's metrics: namespace POWERTOOLS_METRICS_NAMESPACE (BcAgent), dimensions `service=plan-sweeper`
 * and, when STAGE is set, `stage`. The function's POWERTOOLS_SERVICE_NAME (its logs) follows the
 * bc-agent-<path> convention, so the service dimension is set here explicitly.
 */
export function sweeperMetrics(): Metrics {
  const metrics = createMetrics(SWEEPER_SERVICE);
  metrics.setDefaultDimensions({ service: SWEEPER_SERVICE });
  return metrics;
}
export { decideSweep, DEFAULT_SWEEPER_SETTINGS, sagaTasksToDescribe } from './decide.js';
export { type PlanSweeperDeps, STUCK_PLANS_METRIC, sweepPlans, type SweepReport } from './sweep.js';
