// The notifier (SQS FIFO batch from the bus's push rule): posts each session's events to its WebSocket
// subscribers, in order. Logic in functions/core/push/notifier.ts.
import type { SQSBatchResponse } from 'aws-lambda';
import { createLogger } from '../../core/observability/index.js';
import { ConnectionStore } from '../../core/push/index.js';
import { createPoster } from '../../core/push/index.js';
import { notifySubscribers, type BusEvent, type NotifyResult } from '../../core/push/index.js';
import { SubscriberCache, subscriberCacheMsFromEnv } from '../../core/push/index.js';
import { requiredEnv } from '../../core/config/index.js';
import { sqsRuntime } from '../../core/runtime/index.js';
import { createDocumentClient } from '../../core/store/index.js';

const logger = createLogger();
const connections = new ConnectionStore(createDocumentClient(), requiredEnv('CONNECTIONS_TABLE'));
const deps = {
  connections,
  // Lives as long as the container: one lookup per session per window, not one per event.
  subscribers: new SubscriberCache(connections, { windowMs: subscriberCacheMsFromEnv() }),
  post: createPoster(requiredEnv('WEBSOCKET_CALLBACK_URL')),
  logger,
};

/** A failure to read subscriptions throws: the whole batch comes back, in order (FIFO). */
export const handler = sqsRuntime({ logger }, async (event): Promise<SQSBatchResponse & { result: NotifyResult }> => {
  const busEvents = event.Records.map((record): BusEvent => {
    try {
      return JSON.parse(record.body) as BusEvent;
    } catch {
      logger.warn('not an EventBridge event; skipped', { messageId: record.messageId });
      return {};
    }
  });
  const result = await notifySubscribers(deps, busEvents);
  if (result.events > 0) logger.info('pushed', { ...result });
  return { batchItemFailures: [], result };
});
