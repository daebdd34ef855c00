// Live progress over the WebSocket API (issue 11): who may connect, who watches which session, and the
// notifier that posts a session's events to its watchers.
export { ConnectRefused, createTokenVerifier, tokenSettingsFromEnv, type TokenSettings, type TokenVerifier } from './auth.js';
export { CONNECTION_SK, CONNECTION_TTL_SECONDS, ConnectionStore, SESSION_INDEX, sessionKey, type ConnectionRecord } from './connections.js';
export { createPoster } from './management-api.js';
export {
  encodePushMessage, eventMessage, isPushedEvent, MAX_PUSH_BYTES, PUSHED_EVENTS,
  type PushErrorMessage, type PushEventMessage, type PushMessage, type PushSubscribedMessage, type PushedEventName,
} from './message.js';
export { ConnectionGoneError, notifySubscribers, type BusEvent, type NotifierDeps, type NotifyResult } from './notifier.js';
export {
  DEFAULT_SUBSCRIBER_CACHE_SECONDS, MAX_SUBSCRIBER_CACHE_SECONDS, SubscriberCache, subscriberCacheMsFromEnv, subscriptionLiveAfterMs,
  type SubscriberCacheOptions, type SubscriberLookup, type SubscriberSource,
} from './subscribers.js';
export { handleWebSocketEvent, type WebSocketEvent, type WebSocketResult, type WebSocketRouteDeps } from './routes.js';
