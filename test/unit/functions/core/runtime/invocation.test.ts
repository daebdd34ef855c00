// The chores every handler runtime does once per invocation: nothing of one invocation's correlation reaches
// the next, the log lines name the invocation's request, the Once and the BC deadline take the context's time.
import { describe, expect, it, vi } from 'vitest';
import type { Context } from 'aws-lambda';
import { currentBcDeadline, withLambdaDeadline } from '../../../../../functions/core/bc/index.js';
import { createLogger, setCorrelation } from '../../../../../functions/core/observability/index.js';
import { lambdaRuntime } from '../../../../../functions/core/runtime/index.js';
import { captureLogLines, lambdaContext } from '../../../../support/log-lines.js';

describe('lambdaRuntime', () => {
  it('clears the correlation keys one invocation set before the next runs', async () => {
    const logger = createLogger('runtime-test');
    const handler = lambdaRuntime({ logger }, async (event: { planId?: string }) => {
      if (event.planId) setCorrelation(logger, { planId: event.planId, correlationId: 'corr-first' });
      logger.info('work');
    });
    const { lines } = await captureLogLines(async () => {
      await handler({ planId: 'p1' });
      await handler({});
    });
    expect(lines.map((l) => [l.planId, l.correlationId])).toEqual([
      ['p1', 'corr-first'],
      [undefined, undefined],
    ]);
  });

  it("puts each invocation's request on its log lines, and nothing from a partial context", async () => {
    const logger = createLogger('runtime-test');
    const handler = lambdaRuntime({ logger }, async () => logger.info('work'));
    const { lines } = await captureLogLines(async () => {
      await handler({}, lambdaContext('req-1'));
      await handler({}, lambdaContext('req-2'));
    });
    expect(lines.map((l) => l.function_request_id)).toEqual(['req-1', 'req-2']);
    expect(lines[0]).toMatchObject({ function_name: 'fn', function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:fn' });

    const fresh = createLogger('runtime-test');
    const partial = lambdaRuntime({ logger: fresh }, async () => fresh.info('work'));
    const { lines: partialLines } = await captureLogLines(() => partial({}, { getRemainingTimeInMillis: () => 1_000 }));
    expect(partialLines[0]).not.toHaveProperty('function_request_id');
  });

  it("bounds BC calls by the context's remaining time and gives the context to the Once, once per invocation", async () => {
    const registered: Context[] = [];
    const once = { registerLambdaContext: vi.fn((context: Context) => void registered.push(context)) };
    const handler = lambdaRuntime({ logger: createLogger('runtime-test'), once, deadline: withLambdaDeadline }, async () => currentBcDeadline());
    const context = lambdaContext('req-1', 20_000);
    const before = Date.now();
    const deadline = await handler({}, context);
    expect(deadline).toBeGreaterThanOrEqual(before + 20_000 - 1_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 20_000 - 1_000);
    expect(registered).toEqual([context]);

    // Without a context (a test, an in-process call) there is no deadline and nothing to register.
    expect(await handler({})).toBeUndefined();
    expect(once.registerLambdaContext).toHaveBeenCalledTimes(1);

    // A handler that never calls BC sets no deadline.
    const withoutBc = lambdaRuntime({ logger: createLogger('runtime-test') }, async () => currentBcDeadline());
    expect(await withoutBc({}, context)).toBeUndefined();
  });

  it('lets the work’s error out as it was thrown', async () => {
    class SagaInputInvalid extends Error {
      override readonly name = 'SagaInputInvalid';
    }
    const handler = lambdaRuntime({ logger: createLogger('runtime-test') }, async () => {
      throw new SagaInputInvalid('bad');
    });
    await expect(handler({})).rejects.toBeInstanceOf(SagaInputInvalid);
  });
});
