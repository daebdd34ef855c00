// The time the current invocation has for its BC calls. A Lambda that is killed at its timeout never records
// the failure (nor tells the circuit breaker, nor throws the error name a state machine retries on), so the
// handler states its deadline and the transport fits every attempt, wait and retry inside it.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<number>();

/**
 * Runs `work` with BC calls bounded by `deadline` (epoch ms): attempts are cut short at it and no retry
 * starts after it. A nested call keeps the earlier of the two deadlines.
 */
export function withBcDeadline<T>(deadline: number, work: () => Promise<T>): Promise<T> {
  if (!Number.isFinite(deadline)) throw new Error('A BC deadline must be a finite epoch-millisecond time');
  const outer = current.getStore();
  return current.run(outer === undefined ? deadline : Math.min(outer, deadline), work);
}

/** The deadline (epoch ms) of the work in progress, if one was set. */
export function currentBcDeadline(): number | undefined {
  return current.getStore();
}

/** What a handler keeps for itself after its BC calls: recording the failure, logging, answering. */
export const LAMBDA_RESERVE_MS = 1_000;

/** The BC deadline for a Lambda invocation, from its context; undefined when run without one (tests, local). */
export function lambdaDeadline(context: { getRemainingTimeInMillis?: () => number } | undefined, now: number = Date.now()): number | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  return typeof remaining === 'number' && Number.isFinite(remaining) ? now + remaining - LAMBDA_RESERVE_MS : undefined;
}

/** Runs `work` within the invocation's deadline when there is one. */
export function withLambdaDeadline<T>(context: { getRemainingTimeInMillis?: () => number } | undefined, work: () => Promise<T>): Promise<T> {
  const deadline = lambdaDeadline(context);
  return deadline === undefined ? work() : withBcDeadline(deadline, work);
}
