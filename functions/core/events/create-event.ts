// Builds events: fills the envelope, validates against the catalogue.
import { randomUUID } from 'node:crypto';
import type * as z from 'zod';
import {
  eventCatalogue,
  SCHEMA_VERSION,
  type DomainEvent,
  type EventDetail,
  type EventFields,
  type EventName,
} from './catalogue.js';

/** Where an event sits in a message's story. */
export interface EventContext {
  tenantId: string;
  sessionId: string;
  planId: string;
  taskId?: string;
  correlationId: string;
  /** What caused the event: the eventId of the event being handled, or the message id at the start. */
  causationId: string;
}

export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  constructor(
    readonly eventName: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(`invalid ${eventName} event: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

/** Validates a detail against its event's schema; returns the parsed detail (defaults applied). */
export function parseEventDetail<N extends EventName>(name: N, detail: unknown): EventDetail<N> {
  const schema = eventCatalogue[name] as unknown as z.ZodType<EventDetail<N>>;
  const parsed = schema.safeParse(detail);
  if (!parsed.success) throw new EventValidationError(name, parsed.error.issues);
  return parsed.data;
}

export interface CreateEventOptions {
  /** Fixed for tests and replays; a new uuid otherwise. */
  eventId?: string;
  now?: Date;
}

export function createEvent<N extends EventName>(
  name: N,
  fields: EventFields<N>,
  context: EventContext,
  options: CreateEventOptions = {},
): DomainEvent<N> {
  const detail = parseEventDetail(name, {
    ...fields,
    eventId: options.eventId ?? randomUUID(),
    occurredAt: (options.now ?? new Date()).toISOString(),
    tenantId: context.tenantId,
    sessionId: context.sessionId,
    planId: context.planId,
    ...(context.taskId !== undefined ? { taskId: context.taskId } : {}),
    correlationId: context.correlationId,
    causationId: context.causationId,
    schemaVersion: SCHEMA_VERSION,
  });
  return { name, detail };
}

/** The context for events caused by `cause`: same story, causation pointing at it. */
export function causedBy(cause: EventDetail, overrides: Partial<Omit<EventContext, 'causationId'>> = {}): EventContext {
  return {
    tenantId: cause.tenantId,
    sessionId: cause.sessionId,
    planId: cause.planId,
    ...(cause.taskId !== undefined ? { taskId: cause.taskId } : {}),
    correlationId: cause.correlationId,
    causationId: cause.eventId,
    ...overrides,
  };
}
