// Step Functions task handler of the purchase-order saga: `{ step, input, taskToken?, executionId? }` → the step's result.
// Thin on purpose: the saga-step runtime (functions/core/runtime/step.ts) parses, sets the correlation keys,
// bounds BC calls by the invocation's deadline and logs the outcome; the step itself is functions/core/saga's.
// Errors leave with the names the state machine retries or catches on (functions/core/saga/errors.ts).
import { reusedUntilFailure } from '../../core/container/index.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { delegatedTokensFromEnv, withLambdaDeadline } from '../../core/bc/index.js';
import { createLogger } from '../../core/observability/index.js';
import { stepRuntime, type InvocationContext } from '../../core/runtime/index.js';
import { asRequester, invalidInputError, runSagaStep, sagaContextSchema, sagaDepsFromEnv, SAGA_STEPS, withSagaContext, type PurchaseOrderSagaDeps } from '../../core/saga/index.js';

const requestSchema = z.strictObject({
  step: z.enum(SAGA_STEPS),
  input: z.record(z.string(), z.unknown()),
  taskToken: z.string().min(1).optional(),
  /** The execution's ARN (parkCompensation records it with the repair). */
  executionId: z.string().min(1).max(2048).optional(),
});

export type SagaStepHandler = (event: unknown, context?: InvocationContext) => Promise<unknown>;

/** The handler over dependencies loaded once per container (again after a failed load). */
export function createStepHandler(loadDeps: () => Promise<PurchaseOrderSagaDeps>, logger: Logger, tokens = delegatedTokensFromEnv()): SagaStepHandler {
  const deps = reusedUntilFailure(loadDeps);
  // Under delegated BC access, the steps act as the person whose message planned the order (core/saga/requester.ts).
  const requester = { tokens, onFallback: (step: string, reason: string) => logger.warn('undo step runs as the app: the requester\'s BC access is gone', { step, reason }) };
  return stepRuntime(
    { logger, deadline: withLambdaDeadline },
    {
      parse: (event) => {
        const request = requestSchema.safeParse(event);
        if (request.success) return { ...request.data, context: sagaContextSchema.safeParse(request.data.input).data };
        const issues = request.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw invalidInputError(`The saga step request must be { step, input, taskToken? }: ${issues}`);
      },
      correlation: (request) => request.context,
      describe: (request) => ({ step: request.step }),
      // BC calls end before Lambda's timeout would kill the step (the runtime's deadline): a killed step is
      // neither counted by the breaker nor thrown as BcTransientError, the one name the state machine retries.
      run: async ({ step, input, taskToken, executionId, context }) => {
        const loaded = await deps();
        return withSagaContext(context, () => asRequester(requester, step, input, context, () => runSagaStep(loaded, step, input, taskToken, executionId)));
      },
    },
  );
}

const logger = createLogger('saga-purchase-order');

export const handler = createStepHandler(() => sagaDepsFromEnv(process.env, logger), logger);
