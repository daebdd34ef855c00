// The WebSocket API's routes ($connect checks the JWT from ?token=, $disconnect, subscribe, $default): one
// function, like the orchestrator for the HTTP API. Logic in functions/core/push.
import { positiveIntEnv, requiredEnv } from '../core/config/index.js';
import { createLogger, resetCorrelation } from '../core/observability/index.js';
import { createTokenVerifier, tokenSettingsFromEnv } from '../core/push/index.js';
import { ConnectionStore } from '../core/push/index.js';
import { handleWebSocketEvent, type WebSocketEvent, type WebSocketResult } from '../core/push/index.js';
import { createDocumentClient } from '../core/store/index.js';

const logger = createLogger();
const deps = {
  connections: new ConnectionStore(createDocumentClient(), requiredEnv('CONNECTIONS_TABLE')),
  verifyToken: createTokenVerifier(tokenSettingsFromEnv()),
  logger,
  maxSubscriptions: positiveIntEnv('MAX_SUBSCRIPTIONS_PER_CONNECTION', 10),
};

export async function handler(event: WebSocketEvent): Promise<WebSocketResult> {
  resetCorrelation(logger);
  return handleWebSocketEvent(deps, event);
}
