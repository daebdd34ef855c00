// The WebSocket API's routes ($connect checks the JWT from ?token=, $disconnect, subscribe, $default): one
// function, like the orchestrator for the HTTP API. Logic in functions/core/push.
import { positiveIntEnv, requiredEnv } from '../core/config/index.js';
import { createLogger } from '../core/observability/index.js';
import { createTokenVerifier, tokenSettingsFromEnv } from '../core/push/index.js';
import { ConnectionStore } from '../core/push/index.js';
import { handleWebSocketEvent, type WebSocketEvent } from '../core/push/index.js';
import { subscriberCacheMsFromEnv, subscriptionLiveAfterMs } from '../core/push/index.js';
import { webSocketRuntime } from '../core/runtime/index.js';
import { createDocumentClient } from '../core/store/index.js';

const logger = createLogger();
const deps = {
  connections: new ConnectionStore(createDocumentClient(), requiredEnv('CONNECTIONS_TABLE')),
  verifyToken: createTokenVerifier(tokenSettingsFromEnv()),
  logger,
  maxSubscriptions: positiveIntEnv('MAX_SUBSCRIPTIONS_PER_CONNECTION', 10),
  // The notifier's window (the same variable, set on both by the construct): told to a subscriber as liveFrom.
  liveAfterMs: subscriptionLiveAfterMs(subscriberCacheMsFromEnv()),
};

export const handler = webSocketRuntime({ logger }, (event: WebSocketEvent) => handleWebSocketEvent(deps, event));
