// Scheduled repair sweep (EventBridge schedule, every minute; issue 9): parks the compensation of saga
// executions that ended without running it, then retries every parked rollback whose next attempt is due
// (through the breaker without being refused) until BC is as before, announcing rollback:completed with
// `repaired: true`. Environment: the saga steps' (BC_*, BREAKERS_TABLE, STATE_TABLE, EVENT_BUS_NAME, …) plus
// SAGA_STATE_MACHINE_ARN, SAGA_REPAIR_BATCH (records per run, default 25), SAGA_REPAIR_LEASE_SECONDS
// (default 180), SAGA_REPAIR_RETRY_SECONDS (first backoff, default 30).
import { reusedUntilFailure } from '../../core/container/index.js';
import { positiveIntEnv, requiredEnv } from '../../core/config/index.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createLogger } from '../../core/observability/index.js';
import { scheduleRuntime } from '../../core/runtime/index.js';
import { parkAbandonedExecutions } from '../../core/saga/index.js';
import { repairDue, sagaDepsFromEnv } from '../../core/saga/index.js';
import { SAGA_FAIL_ERRORS } from '../../core/saga/index.js';

const logger = createLogger('saga-repair');
const loadDeps = reusedUntilFailure(() => sagaDepsFromEnv(process.env, logger));
const sfn = new SFNClient({});

export const handler = scheduleRuntime({ logger, report: 'saga repair sweep' }, async () => {
  const loaded = await loadDeps();
  const env = process.env;
  const abandoned = await parkAbandonedExecutions({
    sfn,
    stateMachineArn: requiredEnv('SAGA_STATE_MACHINE_ARN', env),
    db: loaded.db,
    tableName: requiredEnv('STATE_TABLE', env),
    repairs: loaded.repairs,
    publisher: loaded.publisher,
    ownErrors: SAGA_FAIL_ERRORS,
  });
  const outcomes = await repairDue(
    {
      store: loaded.repairs,
      bc: loaded.compensationBc ?? loaded.bc,
      publisher: loaded.publisher,
      leaseMs: positiveIntEnv('SAGA_REPAIR_LEASE_SECONDS', 180, env) * 1000,
      retryBaseMs: positiveIntEnv('SAGA_REPAIR_RETRY_SECONDS', 30, env) * 1000,
    },
    positiveIntEnv('SAGA_REPAIR_BATCH', 25, env),
  );
  for (const o of outcomes.filter((o) => o.outcome === 'failed')) logger.warn('repair attempt failed', { repairId: o.repairId, error: o.error });
  return {
    examined: abandoned.examined,
    parked: abandoned.parked.length,
    repaired: outcomes.filter((o) => o.outcome === 'repaired').length,
    failed: outcomes.filter((o) => o.outcome === 'failed').length,
  };
});
