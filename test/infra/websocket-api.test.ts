// The WebSocket push construct in every stage: routes and their responses, the stage and its logs, the
// connections table, the ordered push path (rule → FIFO queue → notifier), environment and least privilege.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSHED_EVENTS } from '../../functions/core/push/message.js';
import { STAGES, type Stage } from '../../lib/config.js';
import { EVENT_SOURCE_PREFIX } from '../../lib/constructs/event-bus.js';
import { PUSH_MESSAGE_GROUP, WEBSOCKET_STAGE } from '../../lib/constructs/websocket-api.js';
import { logicalIdOf, referencedId, referencedIds, resourcesOf, synthesizeApp, type SynthesizedApp } from './support.js';

let synthesized: SynthesizedApp;
beforeAll(() => {
  synthesized = synthesizeApp({ bundle: false, validateTemplates: false });
});
afterAll(() => synthesized?.cleanup());

describe.each(STAGES)('WebSocket push, BcAgent-%s', (stage: Stage) => {
  const parts = () => {
    const stack = synthesized.stacks[stage];
    const template = synthesized.templates[stage];
    const push = stack.push;
    return {
      stack,
      template,
      push,
      apiId: logicalIdOf(stack, push.api),
      routesFn: logicalIdOf(stack, push.routes.function),
      notifierFn: logicalIdOf(stack, push.notifier.function),
      tableId: logicalIdOf(stack, push.connections),
    };
  };

  it('routes $connect, $disconnect, subscribe and $default to the routes function; subscribe and $default answer', () => {
    const { template, apiId, routesFn } = parts();
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    const routes = Object.entries(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).filter(([, r]) => referencedId(r.Properties!.ApiId) === apiId);
    expect(routes.map(([, r]) => r.Properties!.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect', 'subscribe']);
    const integrations = resourcesOf(template, 'AWS::ApiGatewayV2::Integration');
    for (const [, route] of routes) {
      const integrationId = JSON.stringify(route.Properties!.Target).match(/"Ref":"([^"]+)"/)![1]!;
      expect(JSON.stringify(integrations[integrationId]!.Properties!.IntegrationUri)).toContain(routesFn);
      const answers = ['subscribe', '$default'].includes(route.Properties!.RouteKey);
      expect(route.Properties!.RouteResponseSelectionExpression, route.Properties!.RouteKey).toBe(answers ? '$default' : undefined);
    }
    expect(Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::RouteResponse'))).toHaveLength(2);
  });

  it(`serves stage ${WEBSOCKET_STAGE}, throttled like the HTTP API, with access logs that leave the token out`, () => {
    const { template, apiId, stack } = parts();
    const stages = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage')).filter((s) => referencedId(s.Properties!.ApiId) === apiId);
    expect(stages).toHaveLength(1);
    const props = stages[0]!.Properties!;
    expect(props.StageName).toBe(WEBSOCKET_STAGE);
    expect(props.AutoDeploy).toBe(true);
    expect(props.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: stack.config.api.throttle.rateLimit, ThrottlingBurstLimit: stack.config.api.throttle.burstLimit });
    expect(props.AccessLogSettings.DestinationArn).toBeDefined();
    expect(props.AccessLogSettings.Format).toContain('$context.connectionId');
    expect(props.AccessLogSettings.Format).not.toMatch(/querystring|token/i);
  });

  it('keeps connections in a table with TTL and a keys-only bySession index, under the stage\'s data policy', () => {
    const { template, tableId, stack } = parts();
    const table = resourcesOf(template, 'AWS::DynamoDB::Table')[tableId]!;
    expect(table.Properties!.KeySchema).toEqual([{ AttributeName: 'connectionId', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    expect(table.Properties!.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties!.GlobalSecondaryIndexes).toEqual([
      { IndexName: 'bySession', KeySchema: [{ AttributeName: 'sessionKey', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
    ]);
    expect(table.DeletionPolicy).toBe(stack.config.retention.removalPolicy === 'retain' ? 'Retain' : 'Delete');
  });

  it('sends exactly the pushed events of the bus to a FIFO queue in one message group, drained by the notifier in batches', () => {
    const { template, stack, push, notifierFn } = parts();
    const queueId = logicalIdOf(stack, push.queue);
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule')).filter((r) => r.Properties!.Targets.some((t: any) => referencedId(t.Arn) === queueId));
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties!;
    expect(referencedId(rule.EventBusName)).toBe(logicalIdOf(stack, stack.backbone.bus));
    expect(rule.EventPattern).toEqual({ source: [{ prefix: EVENT_SOURCE_PREFIX }], 'detail-type': [...PUSHED_EVENTS] });
    expect(rule.Targets[0]).toMatchObject({ SqsParameters: { MessageGroupId: PUSH_MESSAGE_GROUP } });
    expect(rule.Targets[0].RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(resourcesOf(template, 'AWS::SQS::Queue')[referencedId(rule.Targets[0].DeadLetterConfig.Arn)!]!.Properties!.FifoQueue).toBeUndefined();
    const queue = resourcesOf(template, 'AWS::SQS::Queue')[queueId]!.Properties!;
    expect(queue).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: true });
    expect(resourcesOf(template, 'AWS::SQS::Queue')[referencedId(queue.RedrivePolicy.deadLetterTargetArn)!]!.Properties!.FifoQueue).toBe(true);
    const mapping = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).find((m) => referencedId(m.Properties!.EventSourceArn) === queueId)!;
    expect(referencedId(mapping.Properties!.FunctionName)).toBe(notifierFn);
    expect(mapping.Properties!.BatchSize).toBe(10);
  });

  it('gives the routes function the token settings and the notifier the stage\'s callback URL', () => {
    const { template, stack, routesFn, notifierFn, tableId, apiId } = parts();
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const routesEnv = functions[routesFn]!.Properties!.Environment.Variables;
    expect(routesEnv).toMatchObject({
      CONNECTIONS_TABLE: { Ref: tableId },
      JWT_ISSUER: stack.config.jwt.issuer,
      JWT_AUDIENCE: stack.config.jwt.audience.join(','),
      JWT_TENANT_CLAIM: expect.any(String),
      JWT_SUBJECT_CLAIM: expect.any(String),
    });
    expect(routesEnv.JWT_JWKS_URL).toBeUndefined(); // discovered from the issuer, as API Gateway does
    const notifierEnv = functions[notifierFn]!.Properties!.Environment.Variables;
    expect(notifierEnv.CONNECTIONS_TABLE).toEqual({ Ref: tableId });
    const callback = JSON.stringify(notifierEnv.WEBSOCKET_CALLBACK_URL);
    expect(callback).toContain('https://');
    expect(callback).toContain(apiId);
    expect(callback).toContain('.execute-api.');
    // Both read the stage's subscriber window: the notifier caches by it, the routes tell subscribers liveFrom by it.
    const window = String(stack.config.push.subscriberCacheSeconds);
    expect(notifierEnv.PUSH_SUBSCRIBER_CACHE_SECONDS).toBe(window);
    expect(routesEnv.PUSH_SUBSCRIBER_CACHE_SECONDS).toBe(window);
  });

  it('lets only the notifier manage connections, and only the two push functions touch the connections table', () => {
    const { template, stack, push, tableId } = parts();
    const notifierRole = logicalIdOf(stack, push.notifier.role);
    const routesRole = logicalIdOf(stack, push.routes.role);
    for (const [id, policy] of Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))) {
      const role = referencedId(policy.Properties!.Roles[0]);
      const statements: any[] = policy.Properties!.PolicyDocument.Statement;
      const manages = statements.filter((s) => [s.Action].flat().includes('execute-api:ManageConnections'));
      if (role === notifierRole) {
        expect(manages, id).toHaveLength(1);
        expect(JSON.stringify(manages[0].Resource)).toContain(`/${WEBSOCKET_STAGE}/*/@connections/*`);
      } else {
        expect(manages, id).toHaveLength(0);
      }
      if (referencedIds(policy.Properties!.PolicyDocument).includes(tableId)) expect([notifierRole, routesRole], id).toContain(role);
    }
  });
});
