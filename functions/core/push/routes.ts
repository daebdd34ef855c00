// The WebSocket API's routes ($connect, $disconnect, subscribe, $default) as plain functions of the event:
// the handler only wires them to the environment. Answers follow API Gateway's Lambda proxy contract: a
// $connect answer other than 2xx refuses the connection with that status; a route with a route response
// sends the body to the client.
import type { Logger } from '@aws-lambda-powertools/logger';
import { isSafeId } from '../store/index.js';
import { ConnectRefused, type TokenVerifier } from './auth.js';
import type { ConnectionStore } from './connections.js';
import { encodePushMessage, type PushErrorMessage } from './message.js';

/** The parts of API Gateway's WebSocket event these routes read. */
export interface WebSocketEvent {
  requestContext: { routeKey: string; connectionId: string; connectedAt?: number; eventType?: string };
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  statusCode: number;
  body?: string;
}

export interface WebSocketRouteDeps {
  connections: ConnectionStore;
  verifyToken: TokenVerifier;
  logger: Logger;
  /** Sessions one connection may watch at once. */
  maxSubscriptions: number;
  /** How long after a subscription pushes are sure to reach it (subscriptionLiveAfterMs of the notifier's window). */
  liveAfterMs: number;
  now?: () => number;
}

/** Subscribe bodies are tiny; anything larger is not a subscribe. */
const MAX_ACTION_BYTES = 4096;

export async function handleWebSocketEvent(deps: WebSocketRouteDeps, event: WebSocketEvent): Promise<WebSocketResult> {
  const { routeKey, connectionId } = event.requestContext;
  switch (routeKey) {
    case '$connect':
      return connect(deps, event);
    case '$disconnect': {
      const removed = await deps.connections.removeConnection(connectionId);
      deps.logger.info('disconnected', { connectionId, removed });
      return { statusCode: 200 };
    }
    case 'subscribe':
      return subscribe(deps, event);
    default:
      return reply(refusal('UnknownAction', 'send {"action":"subscribe","sessionId":"<your session>"}'));
  }
}

async function connect(deps: WebSocketRouteDeps, event: WebSocketEvent): Promise<WebSocketResult> {
  const { connectionId, connectedAt } = event.requestContext;
  let caller;
  try {
    caller = await deps.verifyToken(event.queryStringParameters?.token ?? undefined);
  } catch (error) {
    if (!(error instanceof ConnectRefused)) throw error;
    deps.logger.info('connect refused', { connectionId, reason: error.message });
    return { statusCode: 401, body: JSON.stringify({ error: { code: 'Unauthorized', message: error.message } }) };
  }
  await deps.connections.putConnection({
    connectionId,
    tenantId: caller.tenantId,
    sub: caller.sub,
    connectedAt: new Date(connectedAt ?? Date.now()).toISOString(),
  });
  deps.logger.info('connected', { connectionId, tenantId: caller.tenantId });
  return { statusCode: 200 };
}

async function subscribe(deps: WebSocketRouteDeps, event: WebSocketEvent): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(text) > MAX_ACTION_BYTES) return reply(refusal('PayloadTooLarge', `a subscribe message is at most ${MAX_ACTION_BYTES} bytes`));
  let sessionId: unknown;
  try {
    ({ sessionId } = JSON.parse(text) as { sessionId?: unknown });
  } catch {
    return reply(refusal('BadRequest', 'the message is not JSON'));
  }
  if (!isSafeId(sessionId)) return reply(refusal('BadRequest', 'sessionId must be 1-128 letters, digits, or . _ : -'));
  const connection = await deps.connections.getConnection(connectionId);
  // Only a connection whose $connect checked a token has a record; the session key carries its tenant, so a
  // subscription can only ever match that tenant's events.
  if (!connection) return reply(refusal('Unauthorized', 'this connection is not authenticated; reconnect with ?token=<JWT>'));
  const current = await deps.connections.subscriptionsOf(connectionId);
  const key = `${connection.tenantId}#${sessionId}`;
  if (!current.includes(key) && current.length >= deps.maxSubscriptions) {
    return reply(refusal('TooManySubscriptions', `a connection watches at most ${deps.maxSubscriptions} sessions`));
  }
  await deps.connections.subscribe(connection, sessionId);
  const liveFrom = new Date((deps.now ?? Date.now)() + deps.liveAfterMs).toISOString();
  deps.logger.info('subscribed', { connectionId, tenantId: connection.tenantId, sessionId, liveFrom });
  return reply({ type: 'subscribed', sessionId, liveFrom, liveInMs: deps.liveAfterMs });
}

function refusal(code: string, message: string): PushErrorMessage {
  return { type: 'error', error: { code, message } };
}

function reply(message: Parameters<typeof encodePushMessage>[0]): WebSocketResult {
  return { statusCode: 200, body: encodePushMessage(message) };
}
