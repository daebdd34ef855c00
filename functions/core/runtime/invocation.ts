// The chores of one Lambda invocation, done by every handler runtime (./sqs.ts, ./events.ts, ./step.ts,
// ./http.ts, ./websocket.ts) before the handler's own work: Lambda reuses the container, and with it the
// logger and the Once, so what one invocation set must not reach the next, and the invocation's deadline is
// the one its context gives.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { resetCorrelation } from '../observability/index.js';

/**
 * The Lambda context as a handler receives it: whole on Lambda and the local cloud, in part (or not at all)
 * from tests and in-process callers.
 */
export type InvocationContext = Partial<Context>;

/** What a handler's invocations share, built once per container. */
export interface RuntimeOptions {
  /** The handler's logger: its correlation keys are cleared and the Lambda context added per invocation. */
  logger: Logger;
  /** A Once whose records must outlive the invocation: Powertools Idempotency reads the remaining time from the context. */
  once?: { registerLambdaContext(context: Context): void };
  /**
   * For handlers that call BC: functions/core/bc's `withLambdaDeadline`, so BC calls end before Lambda's
   * timeout would kill the invocation. Passed in rather than imported here, so that handlers that never call
   * BC do not bundle the BC package.
   */
  deadline?: <T>(context: InvocationContext | undefined, work: () => Promise<T>) => Promise<T>;
}

/** A handler as Lambda calls it. */
export type LambdaHandler<E, R> = (event: E, context?: InvocationContext) => Promise<R>;

/**
 * Runs `work` as one invocation: correlation keys of the previous one removed, the Lambda context on every log
 * line (Powertools' `addContext`, what its `injectLambdaContext` middleware does) and given to the Once, and
 * with a `deadline`, BC calls bounded by the context's remaining time (functions/core/bc/deadline.ts).
 */
export function runInvocation<R>(options: RuntimeOptions, context: InvocationContext | undefined, work: () => Promise<R>): Promise<R> {
  resetCorrelation(options.logger);
  // Only a real context names the request and the function: a test's partial one would log undefined fields.
  if (typeof context?.awsRequestId === 'string') options.logger.addContext(context as Context);
  if (typeof context?.getRemainingTimeInMillis === 'function') options.once?.registerLambdaContext(context as Context);
  return options.deadline ? options.deadline(context, work) : work();
}

/** A handler of any kind: `handle` does the translation between the event and the core, the runtime the chores. */
export function lambdaRuntime<E, R>(options: RuntimeOptions, handle: (event: E, context: InvocationContext | undefined) => Promise<R>): LambdaHandler<E, R> {
  return (event, context) => runInvocation(options, context, () => handle(event, context));
}
