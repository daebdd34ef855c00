// Who watches a session, as the notifier sees it: the connections table's `bySession` lookup, remembered per
// container for a short window (PUSH_SUBSCRIBER_CACHE_SECONDS), so that the events of one message — task:created,
// task:updated, task:completed, agent:completed, a few hundred milliseconds apart — cost one Query, not one each.
// Most sessions have no subscriber at all (API callers that poll): "nobody" is remembered too.
//
// The price is a window: a connection that subscribes while this container remembers the session without it
// is not pushed to until the entry lapses. The subscribe route tells the client when that is (`liveFrom`,
// subscriptionLiveAfterMs below) and the client reads the plan then to catch up (README "Live progress").
// A connection found gone by a post is dropped from every remembered session at once.
import { optionalEnv, type Env } from '../config/index.js';
import { sessionKey } from './connections.js';

/** The default window: one message's events (seconds end to end, approvals aside) share one lookup. */
export const DEFAULT_SUBSCRIBER_CACHE_SECONDS = 10;
/** The longest window a stage may set: a new subscriber waits up to this long before pushes reach it. */
export const MAX_SUBSCRIBER_CACHE_SECONDS = 60;
/**
 * Added to the window in the subscribe reply: the `bySession` index is eventually consistent, so a lookup made
 * just after a subscription may not see it yet (DynamoDB propagates a GSI write typically well within a second).
 */
export const INDEX_PROPAGATION_MARGIN_MS = 1000;
/** Sessions remembered per container; the oldest read goes first beyond that. */
export const DEFAULT_MAX_CACHED_SESSIONS = 10_000;

/** The window from PUSH_SUBSCRIBER_CACHE_SECONDS (0 turns the cache off), in ms. */
export function subscriberCacheMsFromEnv(env: Env = process.env): number {
  const text = optionalEnv('PUSH_SUBSCRIBER_CACHE_SECONDS', env);
  if (text === undefined) return DEFAULT_SUBSCRIBER_CACHE_SECONDS * 1000;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > MAX_SUBSCRIBER_CACHE_SECONDS) {
    throw new Error(`PUSH_SUBSCRIBER_CACHE_SECONDS must be a whole number from 0 to ${MAX_SUBSCRIBER_CACHE_SECONDS}, got '${text}'`);
  }
  return value * 1000;
}

/**
 * How long after a subscription is written pushes are sure to reach it: the notifier's window plus the index's
 * propagation. Events processed before then may be missed; a plan read at or after it shows them.
 */
export function subscriptionLiveAfterMs(cacheMs: number): number {
  return cacheMs + INDEX_PROPAGATION_MARGIN_MS;
}

/** The one lookup the cache stands in front of (ConnectionStore.subscribersOf). */
export interface SubscriberSource {
  subscribersOf(tenantId: string, sessionId: string): Promise<string[]>;
}

export interface SubscriberCacheOptions {
  /** How long a lookup is trusted; 0: every call reads. */
  windowMs: number;
  maxSessions?: number;
  now?: () => number;
}

export interface SubscriberLookup {
  connectionIds: readonly string[];
  /** Whether this answer came from the window (no Query). */
  cached: boolean;
}

export class SubscriberCache {
  private readonly entries = new Map<string, { connectionIds: string[]; readAt: number }>();
  private readonly windowMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(
    private readonly source: SubscriberSource,
    options: SubscriberCacheOptions,
  ) {
    if (!Number.isFinite(options.windowMs) || options.windowMs < 0) throw new Error(`windowMs must be ≥ 0, got ${options.windowMs}`);
    this.windowMs = options.windowMs;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_CACHED_SESSIONS;
    this.now = options.now ?? Date.now;
  }

  /** The session's subscribers: remembered within the window, else read (a failed read is not remembered). */
  async lookup(tenantId: string, sessionId: string): Promise<SubscriberLookup> {
    const key = sessionKey(tenantId, sessionId);
    const entry = this.entries.get(key);
    if (entry) {
      // A clock that stepped back (now before readAt) must not make an entry look fresh for that long.
      const age = this.now() - entry.readAt;
      if (age >= 0 && age < this.windowMs) return { connectionIds: entry.connectionIds, cached: true };
      this.entries.delete(key);
    }
    const readAt = this.now();
    const connectionIds = await this.source.subscribersOf(tenantId, sessionId);
    if (this.windowMs > 0) {
      this.entries.set(key, { connectionIds, readAt });
      // Map order is insertion order and every read re-inserts: the first key is the oldest read.
      while (this.entries.size > this.maxSessions) this.entries.delete(this.entries.keys().next().value!);
    }
    return { connectionIds, cached: false };
  }

  /** A connection that is gone (PostToConnection answered 410): no remembered session pushes to it again. */
  forget(connectionId: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.connectionIds.includes(connectionId)) {
        this.entries.set(key, { ...entry, connectionIds: entry.connectionIds.filter((id) => id !== connectionId) });
      }
    }
  }

  /** Sessions currently remembered (for tests and the bench). */
  get size(): number {
    return this.entries.size;
  }
}
