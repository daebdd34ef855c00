// Scheduled sweep (EventBridge schedule, every minute): drives every plan whose progress stalled to a final
// state (functions/core/sweeper) and emits StuckPlansFound, the number of plans it had to act on.
import { requiredEnv } from '../../core/config/index.js';
import { publisherFromEnv } from '../../core/events/index.js';
import { claudeWriterFromEnv } from '../../core/claude/index.js';
import { createOnce } from '../../core/task-runtime/index.js';
import { PROGRESS_ONCE } from '../../core/progress/index.js';
import { sagaExecutionLookup } from '../../core/tasks/index.js';
import { createLogger } from '../../core/observability/index.js';
import { scheduleRuntime } from '../../core/runtime/index.js';
import { createDocumentClient, stateStoreFromEnv } from '../../core/store/index.js';
import { sweeperMetrics, sweepPlans, sweeperSettingsFromEnv } from '../../core/sweeper/index.js';

const logger = createLogger('plan-sweeper');
const metrics = sweeperMetrics();
// The same Once as plan progress: a level or a plan's end is announced once, whoever gets there first.
const once = createOnce({ tableName: requiredEnv('IDEMPOTENCY_TABLE'), ...PROGRESS_ONCE });
const writer = claudeWriterFromEnv();
const sagaArn = process.env.PURCHASE_ORDER_SAGA_ARN?.trim();
const deps = {
  store: stateStoreFromEnv(createDocumentClient()),
  publisher: publisherFromEnv('plan-sweeper'),
  logger,
  once,
  metrics,
  settings: sweeperSettingsFromEnv(),
  ...(sagaArn ? { sagas: sagaExecutionLookup(sagaArn) } : {}),
  ...(writer ? { writer } : {}),
};

export const handler = scheduleRuntime({ logger, once, report: 'plan sweep' }, async () => {
  const { examined, stuck } = await sweepPlans(deps);
  return { examined, stuck };
});
