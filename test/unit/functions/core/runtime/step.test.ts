// The saga-step runtime: bad input fails before the step runs, with the error name the state machine catches;
// the outcome is logged with the step and its correlation keys; an error leaves with its name unchanged.
import { describe, expect, it, vi } from 'vitest';
import { currentBcDeadline, withLambdaDeadline } from '../../../../../functions/core/bc/index.js';
import { createLogger } from '../../../../../functions/core/observability/index.js';
import { stepRuntime } from '../../../../../functions/core/runtime/index.js';
import { captureLogLines, lambdaContext } from '../../../../support/log-lines.js';

class InputInvalid extends Error {
  override readonly name = 'SagaInputInvalid';
}
class BcTransientError extends Error {
  override readonly name = 'BcTransientError';
}

type Request = { step: string; planId?: string; fail?: boolean };

function handlerFor(run: (request: Request) => Promise<unknown>) {
  return stepRuntime(
    { logger: createLogger('runtime-test'), deadline: withLambdaDeadline },
    {
      parse: (event) => {
        const request = event as Request;
        if (typeof request?.step !== 'string') throw new InputInvalid('a step is needed');
        return request;
      },
      correlation: (request) => (request.planId ? { planId: request.planId } : undefined),
      describe: (request) => ({ step: request.step }),
      run,
    },
  );
}

describe('stepRuntime', () => {
  it('refuses bad input before running, with the name the Catch matches', async () => {
    const run = vi.fn(async () => 'ran');
    await expect(handlerFor(run)({ nope: 1 })).rejects.toMatchObject({ name: 'SagaInputInvalid' });
    expect(run).not.toHaveBeenCalled();
  });

  it("logs each outcome with the step and its plan, and not the previous step's plan", async () => {
    const handler = handlerFor(async (request) => {
      if (request.fail) throw new BcTransientError('BC is down');
      return { ok: request.step };
    });
    const { lines } = await captureLogLines(async () => {
      expect(await handler({ step: 'validate', planId: 'p1' }, lambdaContext('req-1'))).toEqual({ ok: 'validate' });
      await expect(handler({ step: 'createOrder', fail: true }, lambdaContext('req-2'))).rejects.toMatchObject({ name: 'BcTransientError', message: 'BC is down' });
    });
    expect(lines[0]).toMatchObject({ message: 'saga step succeeded', step: 'validate', planId: 'p1', durationMs: expect.any(Number), function_request_id: 'req-1' });
    expect(lines[1]).toMatchObject({ message: 'saga step failed', step: 'createOrder', errorName: 'BcTransientError', errorMessage: 'BC is down', function_request_id: 'req-2' });
    expect(lines[1]).not.toHaveProperty('planId');
  });

  it("runs the step within the context's deadline", async () => {
    const handler = handlerFor(async () => currentBcDeadline());
    const before = Date.now();
    const deadline = (await handler({ step: 'validate' }, { getRemainingTimeInMillis: () => 10_000 })) as number;
    expect(deadline).toBeGreaterThanOrEqual(before + 9_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 9_000);
  });
});
