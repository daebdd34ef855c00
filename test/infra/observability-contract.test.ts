// The contract between emitters and the operator's view: every metric an alarm or the dashboard queries in the
// analytics consumer's namespace and service is one the consumer really emits (real Powertools EMF output, run
// with the environment the template gives the function) with the same namespace, name, dimension names and
// values. A query whose dimensions differ in anything shows nothing in CloudWatch and never alarms.
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEvent, type DomainEvent, type EventContext } from '../../functions/core/events/index.js';
import { TASK_TYPES } from '../../functions/core/plan/index.js';
import { STAGES, type Stage } from '../../lib/config.js';
import { busEvent } from '../support/bus-event.js';
import { captureEmf, emittedMetrics } from '../support/emf.js';
import { alarmQueries, dashboardsOf, identityOf, type QueriedMetric } from './observability-template.js';
import { logicalIdOf, resourcesOf, synthesizeApp, type SynthesizedApp } from './support.js';

let synthesized: SynthesizedApp;
const savedEnv = { ...process.env };
beforeAll(() => {
  synthesized = synthesizeApp({ bundle: false, validateTemplates: false });
});
afterAll(() => synthesized?.cleanup());
afterEach(() => {
  process.env = { ...savedEnv };
  vi.resetModules();
});

const ctx: EventContext = { tenantId: 'contoso', sessionId: 's', planId: 'p', taskId: 't1', correlationId: 'c-12345678', causationId: 'm' };
const error = { code: 'BcUnavailable', message: 'down' };

/** One event of every kind the operator's view reads, in every variant it graphs. */
function everyMeasuredEvent(): EventBridgeEvent<string, unknown>[] {
  const events: DomainEvent[] = [
    createEvent('agent:completed', { status: 'succeeded', durationMs: 10 }, ctx),
    createEvent('agent:completed', { status: 'cancelled' }, ctx),
    createEvent('agent:error', { error }, ctx),
    ...TASK_TYPES.map((taskType) => createEvent('task:completed', { status: 'succeeded', taskType, result: 1, attempt: 1, durationMs: 5 }, ctx)),
    createEvent('bc:operation:success', { operationId: 'o1', operation: 'bc_query_entity', durationMs: 7 }, ctx),
    createEvent('bc:operation:error', { operationId: 'o2', operation: 'bc_create_entity', durationMs: 9, error }, ctx),
    createEvent('breaker:state-changed', { breakerKey: 'bc', from: 'closed', to: 'open' }, ctx),
    createEvent('breaker:state-changed', { breakerKey: 'bc', from: 'open', to: 'half-open' }, ctx),
    createEvent('breaker:state-changed', { breakerKey: 'bc', from: 'half-open', to: 'closed' }, ctx),
    createEvent('rollback:compensation-failed', { step: 'deleteOrder', error }, ctx),
    createEvent('rollback:completed', { status: 'succeeded', compensated: ['deleteOrder'], failed: [] }, ctx),
    createEvent('rollback:completed', { status: 'partial', compensated: [], failed: [{ step: 'deleteOrder', error }] }, ctx),
  ];
  const repaired = createEvent('rollback:completed', { status: 'succeeded', compensated: ['deleteOrder'], failed: [] }, ctx);
  return [...events.map((e) => busEvent(e)), { ...busEvent(repaired), detail: { ...repaired.detail, repaired: true } }];
}

/** What the template's alarms and dashboard query, as CloudWatch identities. */
function queriesOf(stage: Stage): QueriedMetric[] {
  const template = synthesized.templates[stage];
  return [...alarmQueries(template), ...dashboardsOf(template).flatMap((d) => d.widgets.flatMap((w) => w.metrics))];
}

function environmentOf(stage: Stage, fnLogicalId: string): Record<string, string> {
  return resourcesOf(synthesized.templates[stage], 'AWS::Lambda::Function')[fnLogicalId]!.Properties!.Environment.Variables;
}

describe.each(STAGES)('metric contract of BcAgent-%s', (stage) => {
  it('the analytics consumer emits every metric the alarms and the dashboard query from it', async () => {
    const stack = synthesized.stacks[stage];
    const env = environmentOf(stage, logicalIdOf(stack, stack.consumers.analytics.handler.function));
    Object.assign(process.env, {
      STAGE: env.STAGE,
      POWERTOOLS_SERVICE_NAME: env.POWERTOOLS_SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: env.POWERTOOLS_METRICS_NAMESPACE,
    });
    vi.resetModules();
    const { handler } = await import('../../functions/consumers/analytics/index.js');
    const docs = await captureEmf(async () => {
      for (const event of everyMeasuredEvent()) await handler(event);
    });
    const emitted = new Set(emittedMetrics(docs).map(identityOf));

    const fromAnalytics = queriesOf(stage).filter(
      (q) => q.namespace === env.POWERTOOLS_METRICS_NAMESPACE && q.dimensions.service === env.POWERTOOLS_SERVICE_NAME,
    );
    // Plans 3, tasks 4, BC 4, breaker 4, rollbacks 4 (+ the alarms' own): far from an empty comparison.
    expect(new Set(fromAnalytics.map(identityOf)).size).toBeGreaterThanOrEqual(19);
    const missing = [...new Set(fromAnalytics.map(identityOf))].filter((id) => !emitted.has(id));
    expect(missing, `queried but never emitted; emitted: ${[...emitted].join('\n')}`).toEqual([]);
  });

  it('the two event alarms query metrics the consumer emits (breaker open, compensation failed)', async () => {
    const stack = synthesized.stacks[stage];
    const env = environmentOf(stage, logicalIdOf(stack, stack.consumers.analytics.handler.function));
    Object.assign(process.env, { STAGE: env.STAGE, POWERTOOLS_SERVICE_NAME: env.POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE: env.POWERTOOLS_METRICS_NAMESPACE });
    vi.resetModules();
    const { handler } = await import('../../functions/consumers/analytics/index.js');
    const alarms = alarmQueries(synthesized.templates[stage]);
    for (const [prefix, event] of [
      ['AlarmsBreakerOpen', busEvent(createEvent('breaker:state-changed', { breakerKey: 'bc', from: 'half-open', to: 'open' }, ctx))],
      ['AlarmsCompensationFailed', busEvent(createEvent('rollback:compensation-failed', { step: 'deleteLines', error }, ctx))],
    ] as const) {
      const alarm = alarms.find((a) => a.logicalId.startsWith(prefix))!;
      const emitted = emittedMetrics(await captureEmf(() => handler(event))).find((m) => identityOf(m) === identityOf(alarm));
      expect(emitted, prefix).toMatchObject({ value: 1, unit: 'Count' });
    }
  });
});

// The plan sweeper's real metrics object (with the environment the template gives its function) must hit the
// StuckPlans alarm.
describe('metric contract of the plan sweeper', () => {
  it.each(STAGES)('StuckPlansFound matches the StuckPlans alarm of BcAgent-%s', async (stage) => {
    const stack = synthesized.stacks[stage] as unknown as { consumers: Record<string, { handler: { function: never } }> };
    const sweeper = stack.consumers.planSweeper;
    expect(sweeper, 'stack.consumers.planSweeper').toBeDefined();
    const env = environmentOf(stage, logicalIdOf(synthesized.stacks[stage], sweeper!.handler.function));
    Object.assign(process.env, { STAGE: env.STAGE, POWERTOOLS_SERVICE_NAME: env.POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE: env.POWERTOOLS_METRICS_NAMESPACE });
    vi.resetModules();
    const { sweeperMetrics } = await import('../../functions/core/sweeper/index.js');
    const { emitMetric, MetricUnit } = await import('../../functions/core/observability/index.js');
    const docs = await captureEmf(() => emitMetric(sweeperMetrics(), 'StuckPlansFound', MetricUnit.Count, 3, {}));
    const alarm = alarmQueries(synthesized.templates[stage]).find((a) => a.logicalId.startsWith('AlarmsStuckPlans'))!;
    expect(emittedMetrics(docs).map(identityOf)).toContain(identityOf(alarm));
  });
});
