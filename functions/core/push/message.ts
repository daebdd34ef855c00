// What a subscribed WebSocket client receives (README "Live progress", docs/asyncapi.yaml). The web console
// codes against exactly these shapes: change them only with the AsyncAPI document.
import type { EventDetail, EventName } from '../events/index.js';

/** The events pushed to a session's subscribers: a plan's visible progress, retries and approvals included. */
export const PUSHED_EVENTS = [
  'task:created',
  'task:updated',
  'task:completed',
  'approval:requested',
  'approval:granted',
  'approval:denied',
  'approval:expired',
  'agent:completed',
  'agent:error',
] as const satisfies readonly EventName[];
export type PushedEventName = (typeof PUSHED_EVENTS)[number];

export function isPushedEvent(name: string): name is PushedEventName {
  return (PUSHED_EVENTS as readonly string[]).includes(name);
}

/** One bus event as a client sees it. */
export interface PushEventMessage {
  type: 'event';
  detailType: PushedEventName;
  sessionId: string;
  planId: string;
  taskId?: string;
  /** When the event happened (the envelope's occurredAt); clients order and deduplicate by time and detail.eventId. */
  time: string;
  detail: Record<string, unknown>;
}

/** The answer to `{"action":"subscribe","sessionId"}`. */
export interface PushSubscribedMessage {
  type: 'subscribed';
  sessionId: string;
  /**
   * From when this session's events are sure to be pushed to the connection (the notifier remembers a session's
   * subscribers for a short window): read the plan at or after it to catch up on anything before.
   */
  liveFrom: string;
  /** The same as a delay from this answer, for a client whose clock may differ from the server's. */
  liveInMs: number;
}

/** A refused action: bad JSON, an unknown action, an invalid session id, too many subscriptions. */
export interface PushErrorMessage {
  type: 'error';
  error: { code: string; message: string };
}

export type PushMessage = PushEventMessage | PushSubscribedMessage | PushErrorMessage;

/**
 * API Gateway's limit for one PostToConnection payload (128 KB). A larger event (a big inline task result) is
 * sent without `result`, flagged `resultOmitted`: the client reads it from GET /v1/plans/{planId}.
 */
export const MAX_PUSH_BYTES = 128 * 1024;

export function eventMessage(name: PushedEventName, detail: EventDetail): PushEventMessage {
  return {
    type: 'event',
    detailType: name,
    sessionId: detail.sessionId,
    planId: detail.planId,
    ...(detail.taskId !== undefined ? { taskId: detail.taskId } : {}),
    time: detail.occurredAt,
    detail: detail as unknown as Record<string, unknown>,
  };
}

/** The message as the bytes posted to a connection, within MAX_PUSH_BYTES. */
export function encodePushMessage(message: PushMessage): string {
  const text = JSON.stringify(message);
  if (Buffer.byteLength(text) <= MAX_PUSH_BYTES || message.type !== 'event') return text;
  const { result: _result, ...detail } = message.detail;
  const trimmed = JSON.stringify({ ...message, detail: { ...detail, resultOmitted: true } });
  if (Buffer.byteLength(trimmed) <= MAX_PUSH_BYTES) return trimmed;
  // Still too large (a huge error text or approval operation): the envelope alone tells the client to look.
  const { eventId, occurredAt, status } = message.detail;
  return JSON.stringify({ ...message, detail: { eventId, occurredAt, ...(status !== undefined ? { status } : {}), truncated: true } });
}
