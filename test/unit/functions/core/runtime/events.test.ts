// The EventBridge runtimes: a rule target's log lines carry its event's correlation keys and nothing of the
// previous event's; a schedule's result is logged once, with its duration.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../../functions/core/observability/index.js';
import { correlationOf, eventRuntime, scheduleRuntime, type BusEvent } from '../../../../../functions/core/runtime/index.js';
import { captureLogLines, lambdaContext } from '../../../../support/log-lines.js';

const busEvent = (detail: unknown): BusEvent =>
  ({ version: '0', id: 'e1', 'detail-type': 'task:completed', source: 'bc-agent', account: '0', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail }) as BusEvent;

describe('eventRuntime', () => {
  it("logs each event with its own correlation keys, none of the previous event's", async () => {
    const logger = createLogger('runtime-test');
    const handler = eventRuntime({ logger }, async (event) => {
      logger.info('handled', { detailType: event['detail-type'] });
      return 'done';
    });
    const { result, lines } = await captureLogLines(async () => {
      await handler(busEvent({ correlationId: 'corr-1', tenantId: 'contoso', planId: 'p1', taskId: 't1' }), lambdaContext('req-1'));
      return handler(busEvent({ tenantId: 'fabrikam' }), lambdaContext('req-2'));
    });
    expect(result).toBe('done');
    expect(lines[0]).toMatchObject({ correlationId: 'corr-1', tenantId: 'contoso', planId: 'p1', taskId: 't1', function_request_id: 'req-1' });
    expect(lines[1]).toMatchObject({ tenantId: 'fabrikam', function_request_id: 'req-2' });
    expect(lines[1]).not.toHaveProperty('planId');
    expect(lines[1]).not.toHaveProperty('correlationId');
  });

  it('lets an error out, so EventBridge retries the event', async () => {
    const handler = eventRuntime({ logger: createLogger('runtime-test') }, async () => {
      throw new Error('table unavailable');
    });
    await expect(handler(busEvent({}))).rejects.toThrow('table unavailable');
  });
});

describe('correlationOf', () => {
  it('takes only string keys from a detail, and nothing from one that is not an object', () => {
    expect(correlationOf({ correlationId: 'c', planId: 7, taskId: null, tenantId: 't', other: 'x' })).toEqual({ correlationId: 'c', tenantId: 't', planId: undefined, taskId: undefined });
    expect(correlationOf('text')).toEqual({ correlationId: undefined, tenantId: undefined, planId: undefined, taskId: undefined });
    expect(correlationOf(null)).toEqual({ correlationId: undefined, tenantId: undefined, planId: undefined, taskId: undefined });
  });
});

describe('scheduleRuntime', () => {
  it('logs the sweep’s result once under its message with the duration, and returns it', async () => {
    const logger = createLogger('runtime-test');
    let sweeps = 0;
    const handler = scheduleRuntime({ logger, report: 'approval sweep' }, async () => ({ expired: ++sweeps }));
    const { result, lines } = await captureLogLines(() => handler({ 'detail-type': 'Scheduled Event', detail: {} }, lambdaContext('req-1')));
    expect(result).toEqual({ expired: 1 });
    expect(lines).toEqual([expect.objectContaining({ message: 'approval sweep', expired: 1, durationMs: expect.any(Number), function_request_id: 'req-1' })]);
    expect(await handler(undefined)).toEqual({ expired: 2 });
  });
});
