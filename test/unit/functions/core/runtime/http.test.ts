// The HTTP and WebSocket runtimes: each request is an invocation of its own (correlation cleared, its Lambda
// context on the logger, BC calls within its deadline).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { currentBcDeadline, withLambdaDeadline } from '../../../../../functions/core/bc/index.js';
import { createLogger, setCorrelation } from '../../../../../functions/core/observability/index.js';
import { httpRuntime, webSocketRuntime } from '../../../../../functions/core/runtime/index.js';
import { captureLogLines, lambdaContext } from '../../../../support/log-lines.js';

const request = (path: string) => ({ rawPath: path, headers: {} }) as unknown as APIGatewayProxyEventV2;

describe('httpRuntime', () => {
  it("answers each request in its own invocation: no earlier request's keys, the deadline its context's", async () => {
    const logger = createLogger('runtime-test');
    const handler = httpRuntime({ logger, deadline: withLambdaDeadline }, async (event) => {
      if (event.rawPath === '/v1/plans/p1') setCorrelation(logger, { planId: 'p1' });
      logger.info('request');
      return { statusCode: 200, body: String(currentBcDeadline() ?? 'none') };
    });
    const before = Date.now();
    const { result, lines } = await captureLogLines(async () => {
      await handler(request('/v1/plans/p1'), lambdaContext('req-1'));
      return handler(request('/v1/health'), lambdaContext('req-2', 5_000));
    });
    expect(Number(result.body)).toBeGreaterThanOrEqual(before + 4_000);
    expect(lines[0]).toMatchObject({ planId: 'p1', function_request_id: 'req-1' });
    expect(lines[1]).toMatchObject({ function_request_id: 'req-2' });
    expect(lines[1]).not.toHaveProperty('planId');
    expect((await captureLogLines(() => handler(request('/v1/health')))).result).toEqual({ statusCode: 200, body: 'none' });
  });
});

describe('webSocketRuntime', () => {
  it("handles each route event in its own invocation, without an earlier event's keys", async () => {
    const logger = createLogger('runtime-test');
    const handler = webSocketRuntime({ logger }, async (event: { requestContext: { routeKey: string; connectionId: string } }) => {
      if (event.requestContext.routeKey === 'subscribe') setCorrelation(logger, { sessionId: 's1' });
      logger.info('route', { routeKey: event.requestContext.routeKey });
      return { statusCode: 200 };
    });
    const { lines } = await captureLogLines(async () => {
      await handler({ requestContext: { routeKey: 'subscribe', connectionId: 'c1' } }, lambdaContext('req-1'));
      await handler({ requestContext: { routeKey: '$disconnect', connectionId: 'c1' } }, lambdaContext('req-2'));
    });
    expect(lines[0]).toMatchObject({ sessionId: 's1', routeKey: 'subscribe' });
    expect(lines[1]).toMatchObject({ routeKey: '$disconnect', function_request_id: 'req-2' });
    expect(lines[1]).not.toHaveProperty('sessionId');
  });
});
