// Scheduled sweep (EventBridge schedule, every minute): drives every plan whose progress stalled to a final
// state (functions/core/sweeper) and emits StuckPlansFound, the number of plans it had to act on.
import { publisherFromEnv } from '../../core/events/index.js';
import { claudeWriterFromEnv } from '../../core/claude/index.js';
import { sagaExecutionLookup } from '../../core/tasks/index.js';
import { createLogger } from '../../core/observability/index.js';
import { scheduleRuntime } from '../../core/runtime/index.js';
import { createDocumentClient, stateStoreFromEnv } from '../../core/store/index.js';
import { sweeperMetrics, sweepPlans, sweeperSettingsFromEnv } from '../../core/sweeper/index.js';

const logger = createLogger('plan-sweeper');
const metrics = sweeperMetrics();
const writer = claudeWriterFromEnv();
const sagaArn = process.env.PURCHASE_ORDER_SAGA_ARN?.trim();
const deps = {
  store: stateStoreFromEnv(createDocumentClient()),
  publisher: publisherFromEnv('plan-sweeper'),
  logger,
  metrics,
  settings: sweeperSettingsFromEnv(),
  ...(sagaArn ? { sagas: sagaExecutionLookup(sagaArn) } : {}),
  ...(writer ? { writer } : {}),
};

export const handler = scheduleRuntime({ logger, report: 'plan sweep' }, async () => {
  const { examined, stuck } = await sweepPlans(deps);
  return { examined, stuck };
});
