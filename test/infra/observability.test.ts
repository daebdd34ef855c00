// The operator's view per stage (issue 9): the dashboard's widgets and the alarms, each with the exact metric
// (namespace, name, dimension names and values) its emitter writes, and a DLQ alarm for every DLQ of the stack.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../../functions/core/plan/index.js';
import { configFor, STAGES, type Stage } from '../../lib/config.js';
import { BcAgentStack } from '../../lib/stack.js';
import { alarmQueries, dashboardsOf, identityOf, type AlarmQuery, type DashboardWidget, type QueriedMetric } from './observability-template.js';
import { logicalIdOf, referencedId, resourcesOf, synthesizeApp, type SynthesizedApp } from './support.js';

let synthesized: SynthesizedApp;
beforeAll(() => {
  synthesized = synthesizeApp({ bundle: false, validateTemplates: false });
});
afterAll(() => synthesized?.cleanup());

/** Every queue something dead-letters into: a queue's redrive target, a function's or a rule target's DLQ. */
function deadLetterQueueIds(template: Template): string[] {
  const ids = new Set<string>();
  const add = (arn: unknown) => {
    const id = referencedId(arn);
    if (id) ids.add(id);
  };
  for (const queue of Object.values(resourcesOf(template, 'AWS::SQS::Queue'))) add(queue.Properties?.RedrivePolicy?.deadLetterTargetArn);
  for (const fn of Object.values(resourcesOf(template, 'AWS::Lambda::Function'))) add(fn.Properties?.DeadLetterConfig?.TargetArn);
  for (const rule of Object.values(resourcesOf(template, 'AWS::Events::Rule'))) {
    for (const target of rule.Properties?.Targets ?? []) add(target.DeadLetterConfig?.Arn);
  }
  return [...ids].sort();
}

const ids = (metrics: Array<Pick<QueriedMetric, 'namespace' | 'metricName' | 'dimensions'>>) => metrics.map(identityOf).sort();

describe.each(STAGES)('operations view of BcAgent-%s', (stage: Stage) => {
  let template: Template;
  let stack: BcAgentStack;
  /** The analytics consumer's Powertools identity, read from its function's environment in the template. */
  let events: { namespace: string; service: string; stage: string };
  let widgets: DashboardWidget[];
  let alarms: AlarmQuery[];
  const widget = (title: string): DashboardWidget => {
    const found = widgets.find((w) => w.title === title);
    if (!found) throw new Error(`no widget '${title}' in ${widgets.map((w) => w.title).join(', ')}`);
    return found;
  };
  const event = (metricName: string, dimensions: Record<string, string>) => ({
    namespace: events.namespace,
    metricName,
    dimensions: { service: events.service, stage: events.stage, ...dimensions },
  });

  beforeAll(() => {
    template = synthesized.templates[stage];
    stack = synthesized.stacks[stage];
    const analyticsId = logicalIdOf(stack, stack.consumers.analytics.handler.function);
    const env = resourcesOf(template, 'AWS::Lambda::Function')[analyticsId]!.Properties!.Environment.Variables;
    events = { namespace: env.POWERTOOLS_METRICS_NAMESPACE, service: env.POWERTOOLS_SERVICE_NAME, stage: env.STAGE };
    const dashboards = dashboardsOf(template);
    expect(dashboards).toHaveLength(1);
    widgets = dashboards[0]!.widgets;
    alarms = alarmQueries(template);
  });

  it('names the dashboard after the stage; the analytics metrics are BcAgent / bc-agent-consumers-analytics / the stage', () => {
    expect(dashboardsOf(template)[0]!.name).toBe(`bc-agent-${stage}-operations`);
    expect(events).toEqual({ namespace: 'BcAgent', service: 'bc-agent-consumers-analytics', stage });
  });

  it('graphs plans by outcome per minute and the saga executions by outcome', () => {
    const plans = widget('Plans by outcome');
    expect(ids(plans.metrics)).toEqual(ids(['succeeded', 'cancelled', 'failed'].map((outcome) => event('PlanOutcome', { outcome }))));
    expect(plans.metrics.every((m) => m.statistic === 'Sum' && m.period === 60)).toBe(true);

    const saga = `\${Ref:${logicalIdOf(stack, stack.saga.stateMachine)}}`;
    expect(ids(widget('Saga outcomes (purchase order)').metrics)).toEqual(
      ids(
        ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((metricName) => ({
          namespace: 'AWS/States',
          metricName,
          dimensions: { StateMachineArn: saga },
        })),
      ),
    );
  });

  it('graphs task durations p50/p95/p99 for every task type', () => {
    for (const taskType of TASK_TYPES) {
      const durations = widget(`Task duration: ${taskType}`);
      expect(durations.metrics.map((m) => m.statistic)).toEqual(['p50', 'p95', 'p99']);
      expect(new Set(ids(durations.metrics))).toEqual(new Set([identityOf(event('TaskDuration', { taskType }))]));
    }
  });

  it('graphs BC latency p50/p95 by outcome and BC errors', () => {
    const latency = widget('BC latency');
    expect(latency.metrics.map((m) => `${m.dimensions.outcome} ${m.statistic}`)).toEqual(['success p50', 'success p95', 'error p50', 'error p95']);
    expect(new Set(ids(latency.metrics))).toEqual(new Set(['success', 'error'].map((outcome) => identityOf(event('BcOperationLatency', { outcome })))));
    expect(ids(widget('BC calls and errors').metrics)).toEqual(
      ids([event('Events', { eventName: 'bc:operation:error' }), event('Events', { eventName: 'bc:operation:success' })]),
    );
  });

  it('graphs breaker transitions and the latest breaker state carried forward', () => {
    expect(ids(widget('Breaker transitions').metrics)).toEqual(ids(['closed', 'half-open', 'open'].map((to) => event('BreakerTransitions', { to }))));
    const state = widget('Breaker state (worst breaker)');
    expect(state.expressions).toEqual(['FILL(state, REPEAT)']);
    expect(ids(state.metrics)).toEqual([identityOf(event('BreakerState', {}))]);
    expect(state.metrics[0]!.statistic).toBe('Maximum');
  });

  it('graphs the depth of every DLQ of the stack', () => {
    const dlqs = deadLetterQueueIds(template);
    // 4 worker types × 2 lanes + every event consumer's DLQ.
    expect(dlqs.length).toBeGreaterThanOrEqual(8 + Object.keys(stack.consumers).length);
    expect(ids(widget('DLQ depth (messages visible)').metrics)).toEqual(
      ids(dlqs.map((id) => ({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: `\${GetAtt:${id}.QueueName}` } }))),
    );
  });

  it('graphs rollbacks by outcome, the incomplete count and stuck plans', () => {
    expect(ids(widget('Rollbacks').metrics)).toEqual(
      ids([
        ...['succeeded', 'partial', 'repaired'].map((status) => event('RollbackOutcome', { status })),
        event('Events', { eventName: 'rollback:compensation-failed' }),
      ]),
    );
    const incomplete = widget('Rollbacks incomplete (in range)');
    expect(incomplete.type).toBe('metric');
    expect(incomplete.raw.setPeriodToTimeRange).toBe(true);
    expect(ids(incomplete.metrics)).toContain(identityOf(event('RollbackOutcome', { status: 'partial' })));
    expect(ids(widget('Stuck plans found by the sweeper').metrics)).toEqual([
      identityOf({ namespace: 'BcAgent', metricName: 'StuckPlansFound', dimensions: { service: 'plan-sweeper', stage } }),
    ]);
  });

  it('alarms on an open breaker, a failed compensation and stuck plans, each at ≥ 1 per period', () => {
    const byId = (prefix: string) => {
      const found = alarms.filter((a) => a.logicalId.startsWith(`Alarms${prefix}`));
      expect(found, prefix).toHaveLength(1);
      return found[0]!;
    };
    const common = { statistic: 'Sum', period: 300, threshold: 1, comparison: 'GreaterThanOrEqualToThreshold' };
    expect(byId('BreakerOpen')).toMatchObject({ ...event('BreakerTransitions', { to: 'open' }), ...common });
    expect(identityOf(byId('BreakerOpen'))).toBe(identityOf(event('BreakerTransitions', { to: 'open' })));
    expect(identityOf(byId('CompensationFailed'))).toBe(identityOf(event('Events', { eventName: 'rollback:compensation-failed' })));
    expect(byId('CompensationFailed')).toMatchObject(common);
    const stuck = byId('StuckPlans');
    expect(identityOf(stuck)).toBe(identityOf({ namespace: 'BcAgent', metricName: 'StuckPlansFound', dimensions: { service: 'plan-sweeper', stage } }));
    expect(stuck).toMatchObject(common);
    expect(stuck.description).toBe(`bc-agent ${stage}: the plan sweeper found plans whose progress stalled`);
  });

  it('alarms on any message in every DLQ of the stack, and shows every alarm on the dashboard', () => {
    const dlqAlarms = alarms.filter((a) => a.metricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms.map((a) => a.dimensions.QueueName).sort()).toEqual(deadLetterQueueIds(template).map((id) => `\${GetAtt:${id}.QueueName}`).sort());
    for (const alarm of dlqAlarms) expect(alarm).toMatchObject({ namespace: 'AWS/SQS', statistic: 'Maximum', threshold: 1 });
    const status = widgets.find((w) => w.type === 'alarm');
    expect(status?.raw.alarms.map(String).sort()).toEqual(alarms.map((a) => `\${GetAtt:${a.logicalId}.Arn}`).sort());
  });
});

describe('operations view with alarms switched off', () => {
  it('keeps the dashboard and makes no alarm', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new BcAgentStack(app, 'BcAgent-dev', { config: configFor('dev', { alarms: { enabled: false } }) });
    const template = Template.fromStack(stack);
    expect(Object.keys(resourcesOf(template, 'AWS::CloudWatch::Alarm'))).toEqual([]);
    const [dashboard] = dashboardsOf(template);
    expect(dashboard!.widgets.some((w) => w.title === 'DLQ depth (messages visible)' && w.metrics.length >= 8)).toBe(true);
    expect(dashboard!.widgets.some((w) => w.type === 'alarm')).toBe(false);
  });
});
