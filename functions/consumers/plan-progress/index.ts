// The plan-progress consumer (EventBridge target): task results, level dispatch, plan status and answer.
import { isEventName, parseEventDetail, publisherFromEnv } from '../../core/events/index.js';
import { claudeWriterFromEnv } from '../../core/claude/index.js';
import { handlePlanEvent, type ProgressResult } from '../../core/progress/index.js';
import { createLogger } from '../../core/observability/index.js';
import { eventRuntime } from '../../core/runtime/index.js';
import { createDocumentClient, stateStoreFromEnv } from '../../core/store/index.js';

const logger = createLogger();
const writer = claudeWriterFromEnv();
const deps = {
  store: stateStoreFromEnv(createDocumentClient()),
  publisher: publisherFromEnv('plan-progress'),
  logger,
  ...(writer ? { writer } : {}),
};

/** Returns what it did (EventBridge ignores it; a synchronous invoke sees it). */
export const handler = eventRuntime({ logger }, async (event): Promise<ProgressResult> => {
  const name = event['detail-type'];
  if (!isEventName(name)) {
    logger.warn('not a catalogue event; ignored', { detailType: name });
    return { dispatched: 0 };
  }
  // Errors propagate: EventBridge/Lambda retry the event, then it lands in the consumer's DLQ.
  const result = await handlePlanEvent(deps, name, parseEventDetail(name, event.detail));
  if (result.dispatched > 0) logger.info('dispatched the next level', { tasks: result.dispatched });
  return result;
});
