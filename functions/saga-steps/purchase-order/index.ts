// Step Functions task handler of the purchase-order saga: `{ step, input, taskToken?, executionId? }` → the step's result.
// Thin on purpose: parse, set the correlation keys, run the step from functions/core/saga, log the outcome.
// Errors leave with the names the state machine retries or catches on (functions/core/saga/errors.ts).
import { reusedUntilFailure } from '../../core/container/index.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { withLambdaDeadline } from '../../core/bc/index.js';
import { createLogger, resetCorrelation, setCorrelation } from '../../core/observability/index.js';
import { invalidInputError, runSagaStep, sagaContextSchema, sagaDepsFromEnv, SAGA_STEPS, withSagaContext, type PurchaseOrderSagaDeps } from '../../core/saga/index.js';

const requestSchema = z.strictObject({
  step: z.enum(SAGA_STEPS),
  input: z.record(z.string(), z.unknown()),
  taskToken: z.string().min(1).optional(),
  /** The execution's ARN (parkCompensation records it with the repair). */
  executionId: z.string().min(1).max(2048).optional(),
});

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export type SagaStepHandler = (event: unknown, context?: InvocationContext) => Promise<unknown>;

/** The handler over dependencies loaded once per container (again after a failed load). */
export function createStepHandler(loadDeps: () => Promise<PurchaseOrderSagaDeps>, logger: Logger): SagaStepHandler {
  const deps = reusedUntilFailure(loadDeps);
  return async (event, invocation) => {
    resetCorrelation(logger);
    const request = requestSchema.safeParse(event);
    if (!request.success) {
      const issues = request.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw invalidInputError(`The saga step request must be { step, input, taskToken? }: ${issues}`);
    }
    const { step, input, taskToken, executionId } = request.data;
    const context = sagaContextSchema.safeParse(input);
    if (context.success) setCorrelation(logger, context.data);
    const loaded = await deps();
    const started = Date.now();
    try {
      // BC calls end before Lambda's timeout would kill the step: a killed step is neither counted by the
      // breaker nor thrown as BcTransientError, the one name the state machine retries.
      const result = await withLambdaDeadline(invocation, () =>
        withSagaContext(context.success ? context.data : undefined, () => runSagaStep(loaded, step, input, taskToken, executionId)),
      );
      logger.info('saga step succeeded', { step, durationMs: Date.now() - started });
      return result;
    } catch (error) {
      const failure = error as Error;
      logger.warn('saga step failed', { step, errorName: failure.name, errorMessage: failure.message, durationMs: Date.now() - started });
      throw error;
    }
  };
}

const logger = createLogger('saga-purchase-order');

export const handler = createStepHandler(() => sagaDepsFromEnv(process.env, logger), logger);
