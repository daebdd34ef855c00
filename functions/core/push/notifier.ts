// Pushes a batch of bus events (in the order the FIFO queue delivered them) to the connections subscribed to
// each event's session. Per connection the messages go out one after another, so a client sees a session's
// events in the order they were published; different connections are served in parallel.
//
// Who watches a session comes from a SubscriberCache (subscribers.ts): one Query per session per window per
// container, instead of one per event; the subscribe reply tells a new subscriber when pushes are sure to reach it.
//
// A push is best-effort and polling (GET /v1/plans/{id}) stays the source of truth: a connection that is gone
// is deleted, any other failure to post is logged and that connection's remaining messages are dropped, so one
// slow client never holds back the queue for everyone. Only a failure to read the subscriptions fails the batch
// (SQS redelivers it; clients deduplicate by detail.eventId).
import type { Logger } from '@aws-lambda-powertools/logger';
import { parseEventDetail } from '../events/index.js';
import type { EventDetail } from '../events/index.js';
import type { ConnectionStore } from './connections.js';
import { encodePushMessage, eventMessage, isPushedEvent } from './message.js';
import { SubscriberCache } from './subscribers.js';

/** An EventBridge event as it reaches an SQS target (the whole event as the message body). */
export interface BusEvent {
  'detail-type'?: unknown;
  detail?: unknown;
}

/** PostToConnection failed because the client is no longer connected (HTTP 410). */
export class ConnectionGoneError extends Error {
  override readonly name = 'ConnectionGoneError';
}

export interface NotifierDeps {
  connections: ConnectionStore;
  /** Who watches a session, remembered for the cache's window; unset: the table is read for every batch. */
  subscribers?: SubscriberCache;
  /** Posts one message to one connection; throws ConnectionGoneError for a gone connection. */
  post(connectionId: string, data: string): Promise<void>;
  logger: Logger;
}

export interface NotifyResult {
  events: number;
  posted: number;
  gone: number;
  failed: number;
  skipped: number;
  /** `bySession` Queries this batch made (sessions not answered from the cache). */
  lookups: number;
}

export async function notifySubscribers(deps: NotifierDeps, busEvents: readonly BusEvent[]): Promise<NotifyResult> {
  const result: NotifyResult = { events: 0, posted: 0, gone: 0, failed: 0, skipped: 0, lookups: 0 };
  const pushed: EventDetail[] = [];
  const messages: string[] = [];
  for (const busEvent of busEvents) {
    const name = busEvent['detail-type'];
    if (typeof name !== 'string' || !isPushedEvent(name)) {
      result.skipped += 1;
      continue;
    }
    let detail: EventDetail;
    try {
      detail = parseEventDetail(name, busEvent.detail);
    } catch (error) {
      // The rule only forwards catalogue events; one that does not validate is reported, not retried forever.
      deps.logger.warn('event does not match its schema; not pushed', { detailType: name, error: (error as Error).message });
      result.skipped += 1;
      continue;
    }
    pushed.push(detail);
    messages.push(encodePushMessage(eventMessage(name, detail)));
  }
  result.events = pushed.length;
  if (pushed.length === 0) return result;

  // Who watches each session (one lookup per distinct session of the batch, answered from the window when it
  // can be), then each connection's queue of messages.
  const subscriberCache = deps.subscribers ?? new SubscriberCache(deps.connections, { windowMs: 0 });
  const sessions = [...new Set(pushed.map((d) => `${d.tenantId}#${d.sessionId}`))];
  const subscribers = new Map(
    await Promise.all(
      sessions.map(async (key): Promise<[string, readonly string[]]> => {
        const [tenantId, sessionId] = splitKey(key);
        const { connectionIds, cached } = await subscriberCache.lookup(tenantId, sessionId);
        if (!cached) result.lookups += 1;
        return [key, connectionIds];
      }),
    ),
  );
  const outbox = new Map<string, string[]>();
  pushed.forEach((detail, index) => {
    for (const connectionId of subscribers.get(`${detail.tenantId}#${detail.sessionId}`) ?? []) {
      const queue = outbox.get(connectionId) ?? [];
      queue.push(messages[index]!);
      outbox.set(connectionId, queue);
    }
  });

  await Promise.all(
    [...outbox].map(async ([connectionId, queue]) => {
      for (const data of queue) {
        try {
          await deps.post(connectionId, data);
          result.posted += 1;
        } catch (error) {
          if (error instanceof ConnectionGoneError) {
            result.gone += 1;
            subscriberCache.forget(connectionId);
            const removed = await deps.connections.removeConnection(connectionId);
            deps.logger.info('connection gone; removed', { connectionId, removed });
          } else {
            result.failed += 1;
            deps.logger.warn('push failed; the client can read the plan instead', { connectionId, error: (error as Error).message });
          }
          return;
        }
      }
    }),
  );
  return result;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('#');
  return [key.slice(0, at), key.slice(at + 1)];
}
