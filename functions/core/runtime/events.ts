// The EventBridge runtimes: rule targets (an event of the bus, whose correlation keys are on every log line of
// its invocation) and schedules (a sweep, whose result is logged once with its duration). Errors propagate,
// so EventBridge retries and then the target's DLQ keeps the event.
import type { EventBridgeEvent } from 'aws-lambda';
import { setCorrelation, type CorrelationKeys } from '../observability/index.js';
import { lambdaRuntime, type InvocationContext, type LambdaHandler, type RuntimeOptions } from './invocation.js';

export type BusEvent = EventBridgeEvent<string, unknown>;

/** The correlation keys an event's detail carries (every catalogue event has them; a foreign one may not). */
export function correlationOf(detail: unknown): CorrelationKeys {
  const fields = typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>) : {};
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined);
  return { correlationId: text('correlationId'), tenantId: text('tenantId'), planId: text('planId'), taskId: text('taskId') };
}

/** A target of an EventBridge rule. */
export function eventRuntime<R>(options: RuntimeOptions, handle: (event: BusEvent) => Promise<R>): LambdaHandler<BusEvent, R> {
  return lambdaRuntime(options, (event) => {
    setCorrelation(options.logger, correlationOf(event.detail));
    return handle(event);
  });
}

export interface ScheduleRuntimeOptions extends RuntimeOptions {
  /** The message its result is logged under, with `durationMs`. */
  report: string;
}

/** A scheduled handler: the event is optional, so an operator or a test can run a sweep without one. */
export type ScheduledHandler<R> = (event?: unknown, context?: InvocationContext) => Promise<R>;

/** A sweep on an EventBridge schedule: the scheduled event carries nothing it reads. */
export function scheduleRuntime<R extends object>(options: ScheduleRuntimeOptions, sweep: () => Promise<R>): ScheduledHandler<R> {
  return lambdaRuntime<unknown, R>(options, async () => {
    const started = Date.now();
    const result = await sweep();
    options.logger.info(options.report, { ...result, durationMs: Date.now() - started });
    return result;
  });
}
