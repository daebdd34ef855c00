// The plan sweeper (issue 9): no plan stays non-final. decide.ts holds the rules, sweep.ts applies them.
import { positiveIntEnv, type Env } from '../env.js';
import { DEFAULT_SWEEPER_SETTINGS, type SweeperSettings } from './decide.js';

export * from './decide.js';
export * from './sweep.js';

/**
 * SWEEP_DISPATCHED_SECONDS, SWEEP_RUNNING_SECONDS, SWEEP_SETTLE_SECONDS, SWEEP_APPROVAL_SECONDS,
 * SWEEP_MAX_REDISPATCHES, SWEEP_MAX_PLANS (lib/config.ts `sweeper`); defaults when unset, a bad value fails
 * the cold start naming it.
 */
export function sweeperSettingsFromEnv(env: Env = process.env): SweeperSettings {
  const d = DEFAULT_SWEEPER_SETTINGS;
  return {
    dispatchedSeconds: positiveIntEnv(env, 'SWEEP_DISPATCHED_SECONDS', d.dispatchedSeconds),
    runningSeconds: positiveIntEnv(env, 'SWEEP_RUNNING_SECONDS', d.runningSeconds),
    settleSeconds: positiveIntEnv(env, 'SWEEP_SETTLE_SECONDS', d.settleSeconds),
    approvalSeconds: positiveIntEnv(env, 'SWEEP_APPROVAL_SECONDS', d.approvalSeconds),
    maxRedispatches: positiveIntEnv(env, 'SWEEP_MAX_REDISPATCHES', d.maxRedispatches),
    maxPlansPerRun: positiveIntEnv(env, 'SWEEP_MAX_PLANS', d.maxPlansPerRun),
  };
}
