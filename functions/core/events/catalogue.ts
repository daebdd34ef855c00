// The event catalogue of §4: one zod schema per event, each the envelope plus the event's own fields.
// Each event's schema is built on its first use, not at import: a handler publishes and reads a few of the
// events, and building all of them was a noticeable part of every cold start.
import * as z from 'zod';
import { defineOnFirstRead } from '../container/index.js';

export const SCHEMA_VERSION = 1;

/** Identifiers that end up inside DynamoDB keys and log lines: no separators, no whitespace. */
export const idSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 letters, digits, or . _ : -');

export const envelopeSchema = z.object({
  eventId: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }),
  tenantId: idSchema,
  sessionId: idSchema,
  planId: idSchema,
  taskId: idSchema.optional(),
  correlationId: z.string().min(1).max(128),
  /** The eventId (or, for the first event of a message, the message id) that caused this event. */
  causationId: z.string().min(1).max(128),
  schemaVersion: z.literal(SCHEMA_VERSION),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const TASK_TYPES = ['query', 'write', 'analysis', 'validation'] as const;
export const taskTypeSchema = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof taskTypeSchema>;

export const TASK_STATUSES = ['pending', 'dispatched', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled'] as const;
export const taskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

export const PLAN_STATUSES = ['planning', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled'] as const;
export const planStatusSchema = z.enum(PLAN_STATUSES);
export type PlanStatus = z.infer<typeof planStatusSchema>;

export const errorInfoSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
});
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

const durationMs = z.number().int().nonnegative();

/** The task as dispatched: its arguments already have every `$ref` resolved. */
export const dispatchedTaskSchema = z.object({
  id: idSchema,
  type: taskTypeSchema,
  description: z.string().optional(),
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()),
  dependsOn: z.array(idSchema).default([]),
  priority: z.enum(['high', 'normal']),
  /** As planned (up to a day); SQS delays at most 900 s per send, so longer delays are re-queued by the worker lane. */
  delaySeconds: z.number().int().min(0).max(86_400),
  critical: z.boolean(),
  attempt: z.number().int().min(1),
  level: z.number().int().min(0).optional(),
});
export type DispatchedTask = z.infer<typeof dispatchedTaskSchema>;

const approvalOperationSchema = z.object({
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()),
});

const bcOperationFields = {
  operationId: z.string().min(1),
  /** The MCP tool or BC call, e.g. `bc_query_entity`. */
  operation: z.string().min(1),
  entitySet: z.string().optional(),
  method: z.string().optional(),
  /** Per-user BC access: the person whose BC rights the call used, and who approved it (an approved write). */
  actingFor: z.object({ userId: z.string().min(1), access: z.literal('delegated'), approvedBy: z.string().min(1).optional() }).optional(),
};

const breakerStateSchema = z.enum(['closed', 'open', 'half-open']);

const taskCompletedSchema = () => envelopeSchema
  .extend({
    taskId: idSchema,
    taskType: taskTypeSchema,
    status: z.enum(['succeeded', 'failed']),
    result: z.unknown().optional(),
    /** Set instead of `result` when the result is too large to travel in an event (see payload.ts). */
    resultRef: z.string().min(1).optional(),
    error: errorInfoSchema.optional(),
    attempt: z.number().int().min(1),
    /** task:created → task:completed, measured by the worker. */
    durationMs,
  })
  .superRefine((detail, ctx) => {
    if (detail.result !== undefined && detail.resultRef !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'result and resultRef are exclusive', path: ['resultRef'] });
    }
    if (detail.status === 'failed' && !detail.error) {
      ctx.addIssue({ code: 'custom', message: 'a failed task carries an error', path: ['error'] });
    }
    if (detail.status === 'succeeded' && detail.error) {
      ctx.addIssue({ code: 'custom', message: 'a succeeded task carries no error', path: ['error'] });
    }
  });

/** Each builder's value built on its first read and kept; the keys (and their order) are the builders'. */
function builtOnFirstUse<B extends Record<string, () => unknown>>(builders: B): { readonly [K in keyof B]: ReturnType<B[K]> } {
  const record = {} as { [K in keyof B]: ReturnType<B[K]> };
  for (const key of Object.keys(builders) as (keyof B)[]) defineOnFirstRead(record, key, builders[key] as () => ReturnType<B[typeof key]>);
  return Object.freeze(record);
}

export const eventCatalogue = builtOnFirstUse({
  'agent:started': () => envelopeSchema.extend({
    messageId: idSchema,
    planner: z.string().min(1),
    summary: z.string().optional(),
    taskCount: z.number().int().nonnegative(),
    levelCount: z.number().int().nonnegative(),
  }),
  'agent:completed': () => envelopeSchema.extend({
    status: z.enum(['succeeded', 'cancelled']),
    response: z.string().optional(),
    durationMs: durationMs.optional(),
  }),
  'agent:error': () => envelopeSchema.extend({
    error: errorInfoSchema,
    failedTaskId: idSchema.optional(),
    durationMs: durationMs.optional(),
  }),
  'task:created': () => envelopeSchema.extend({
    taskId: idSchema,
    task: dispatchedTaskSchema,
  }),
  'task:updated': () => envelopeSchema.extend({
    taskId: idSchema,
    status: taskStatusSchema,
    previousStatus: taskStatusSchema.optional(),
    reason: z.string().optional(),
  }),
  'task:completed': taskCompletedSchema,
  'approval:requested': () => envelopeSchema.extend({
    taskId: idSchema,
    approvalId: idSchema,
    summary: z.string().min(1),
    operation: approvalOperationSchema,
    requestedBy: z.string().min(1),
    expiresAt: z.iso.datetime({ offset: true }),
  }),
  'approval:granted': () => envelopeSchema.extend({
    taskId: idSchema,
    approvalId: idSchema,
    decidedBy: z.string().min(1),
    reason: z.string().optional(),
  }),
  'approval:denied': () => envelopeSchema.extend({
    taskId: idSchema,
    approvalId: idSchema,
    decidedBy: z.string().min(1),
    reason: z.string().optional(),
  }),
  'approval:expired': () => envelopeSchema.extend({
    taskId: idSchema,
    approvalId: idSchema,
    expiredAt: z.iso.datetime({ offset: true }),
  }),
  // Closed without a decision because what it would release must not run (its plan was cancelled).
  'approval:closed': () => envelopeSchema.extend({
    taskId: idSchema,
    approvalId: idSchema,
    reason: z.string().min(1),
  }),
  // A user's rating of a plan's answer (POST /v1/plans/{planId}/feedback), once per user and plan.
  'plan:feedback': () => envelopeSchema.extend({
    feedbackId: idSchema,
    rating: z.enum(['up', 'down']),
    comment: z.string().max(1000).optional(),
    givenBy: z.string().min(1),
  }),
  'bc:operation:start': () => envelopeSchema.extend(bcOperationFields),
  'bc:operation:success': () => envelopeSchema.extend({
    ...bcOperationFields,
    durationMs,
    httpStatus: z.number().int().optional(),
  }),
  'bc:operation:error': () => envelopeSchema.extend({
    ...bcOperationFields,
    durationMs,
    error: errorInfoSchema.extend({ httpStatus: z.number().int().optional() }),
    retryable: z.boolean().optional(),
  }),
  'checkpoint:created': () => envelopeSchema.extend({
    step: z.string().min(1),
    executionId: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
  'rollback:initiated': () => envelopeSchema.extend({
    executionId: z.string().optional(),
    failedStep: z.string().min(1),
    error: errorInfoSchema,
    steps: z.array(z.string().min(1)),
  }),
  // A compensation that still failed after its retries; the saga records it and runs the remaining ones.
  'rollback:compensation-failed': () => envelopeSchema.extend({
    executionId: z.string().optional(),
    step: z.string().min(1),
    error: errorInfoSchema,
    /** The repair record the failed compensation was parked in (the repair sweep retries it). */
    repairId: z.string().min(1).optional(),
  }),
  'rollback:completed': () => envelopeSchema.extend({
    executionId: z.string().optional(),
    status: z.enum(['succeeded', 'partial']),
    compensated: z.array(z.string().min(1)),
    failed: z.array(z.object({ step: z.string().min(1), error: errorInfoSchema })),
    /** true when the repair sweep finished a rollback the execution had parked (status is then succeeded). */
    repaired: z.boolean().optional(),
    repairId: z.string().min(1).optional(),
  }),
  'breaker:state-changed': () => envelopeSchema.extend({
    breakerKey: z.string().min(1),
    from: breakerStateSchema,
    to: breakerStateSchema,
    failureCount: z.number().int().nonnegative().optional(),
    reason: z.string().optional(),
  }),
});

export type EventName = keyof typeof eventCatalogue;
export const EVENT_NAMES = Object.keys(eventCatalogue) as EventName[];

/** The full `detail` of an event (output type: defaults applied). */
export type EventDetail<N extends EventName = EventName> = z.output<(typeof eventCatalogue)[N]>;
/** The event's own fields, without the envelope (the task id travels in the context). */
export type EventFields<N extends EventName> = Omit<z.input<(typeof eventCatalogue)[N]>, keyof Envelope>;

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(eventCatalogue, value);
}

/** A validated event ready for the bus. */
export interface DomainEvent<N extends EventName = EventName> {
  name: N;
  detail: EventDetail<N>;
}
