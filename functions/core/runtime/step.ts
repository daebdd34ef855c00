// The Step Functions task runtime (a saga step): the request is parsed before anything is loaded, its
// correlation keys are on every log line, the outcome is logged with its duration, and an error leaves
// unchanged, because its name is what the state machine's Retry and Catch match on.
import { setCorrelation, type CorrelationKeys } from '../observability/index.js';
import { lambdaRuntime, type LambdaHandler, type RuntimeOptions } from './invocation.js';

export interface StepTask<Request, Result> {
  /** The task's input as the step reads it; throws the error the state machine catches for bad input. */
  parse(event: unknown): Request;
  /** The correlation keys of a request, when it carries them. */
  correlation(request: Request): CorrelationKeys | undefined;
  /** What names the step on its outcome's log line. */
  describe(request: Request): Record<string, unknown>;
  run(request: Request): Promise<Result>;
}

export function stepRuntime<Request, Result>(options: RuntimeOptions, task: StepTask<Request, Result>): LambdaHandler<unknown, Result> {
  const { logger } = options;
  return lambdaRuntime(options, async (event) => {
    const request = task.parse(event);
    const keys = task.correlation(request);
    if (keys) setCorrelation(logger, keys);
    const started = Date.now();
    try {
      const result = await task.run(request);
      logger.info('saga step succeeded', { ...task.describe(request), durationMs: Date.now() - started });
      return result;
    } catch (error) {
      const failure = error as Error;
      logger.warn('saga step failed', { ...task.describe(request), errorName: failure.name, errorMessage: failure.message, durationMs: Date.now() - started });
      throw error;
    }
  });
}
