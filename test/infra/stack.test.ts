// Template assertions for every stage (issue 2 item 6): dead-letter queues everywhere, partial batch
// responses, retry and visibility rules, data retention, API authorization, runtime, environment and IAM scope.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT, STAGES, VISIBILITY_TIMEOUT_FACTOR, WORKER_TYPES, type Stage } from '../../lib/config.js';
import { API_ROUTES } from '../../lib/constructs/api.js';
import { matchesEventPattern } from '../../local/aws/event-pattern.js';
import {
  logicalIdOf,
  referencedId,
  referencedIds,
  resourcesOf,
  synthesizeApp,
  type CfnResource,
  type SynthesizedApp,
} from './support.js';

let synthesized: SynthesizedApp;
beforeAll(() => {
  // The one synthesis that bundles and validates the templates against CloudFormation's schemas.
  synthesized = synthesizeApp({ bundle: true, validateTemplates: true });
});
afterAll(() => synthesized?.cleanup());

const template = (stage: Stage) => synthesized.templates[stage];

/** Actions AWS only grants on Resource "*"; any other statement must name its resources. */
const STAR_ONLY_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // No resource-level permissions: the operations route reads the stage's metrics (GET /v1/metrics).
  'cloudwatch:GetMetricData',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

describe.each(STAGES)('BcAgent-%s', (stage) => {
  it('gives every queue a DLQ after exactly 3 receives, or is itself a DLQ of something', () => {
    const t = template(stage);
    const queues = resourcesOf(t, 'AWS::SQS::Queue');
    const dlqIds = new Set<string>();
    for (const queue of Object.values(queues)) {
      const redrive = queue.Properties?.RedrivePolicy;
      if (redrive) {
        expect(redrive.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
        dlqIds.add(referencedId(redrive.deadLetterTargetArn)!);
      }
    }
    for (const rule of Object.values(resourcesOf(t, 'AWS::Events::Rule'))) {
      for (const target of rule.Properties!.Targets) dlqIds.add(referencedId(target.DeadLetterConfig?.Arn)!);
    }
    for (const fn of Object.values(resourcesOf(t, 'AWS::Lambda::Function'))) {
      const dlq = fn.Properties!.DeadLetterConfig?.TargetArn;
      if (dlq) dlqIds.add(referencedId(dlq)!);
    }
    for (const [id, queue] of Object.entries(queues)) {
      const isDlq = dlqIds.has(id);
      expect(isDlq || queue.Properties?.RedrivePolicy !== undefined, `${id} has no DLQ and is none`).toBe(true);
      // Every queue, DLQs included, is encrypted and TLS-only.
      expect(queue.Properties?.SqsManagedSseEnabled, id).toBe(true);
    }
    // 4 worker types × 2 lanes × (queue + DLQ) + 6 consumer DLQs (audit, analytics, plan progress, approval expiry, saga repair, plan sweeper)
    // + the WebSocket push queue, its DLQ and the push rule's delivery DLQ + the audit queue.
    expect(Object.keys(queues)).toHaveLength(WORKER_TYPES.length * 2 * 2 + 6 + 3 + 1);
    for (const policy of Object.values(resourcesOf(t, 'AWS::SQS::QueuePolicy'))) {
      expect(JSON.stringify(policy.Properties!.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('gives every rule target a DLQ and a retry policy', () => {
    const rules = resourcesOf(template(stage), 'AWS::Events::Rule');
    expect(Object.keys(rules).length).toBeGreaterThanOrEqual(12);
    for (const [id, rule] of Object.entries(rules)) {
      for (const target of rule.Properties!.Targets) {
        expect(target.DeadLetterConfig?.Arn, `${id} target has no DLQ`).toBeDefined();
        expect(target.RetryPolicy?.MaximumRetryAttempts, `${id} target has no retry policy`).toBeGreaterThan(0);
      }
      // Schedules live on the default bus; everything that reacts to events is on the custom bus.
      if (rule.Properties!.ScheduleExpression === undefined) {
        expect(rule.Properties!.EventBusName, `${id} is not on the custom bus`).toBeDefined();
      }
    }
  });

  it('maps each worker lane with partial batch responses, a concurrency cap, and visibility ≥ 6× timeout', () => {
    const t = template(stage);
    const functions = resourcesOf(t, 'AWS::Lambda::Function');
    const queues = resourcesOf(t, 'AWS::SQS::Queue');
    const mappings = Object.values(resourcesOf(t, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(WORKER_TYPES.length * 2 + 1 + 1); // + the WebSocket notifier's push queue + the audit queue
    const config = synthesized.stacks[stage].config;
    for (const mapping of mappings) {
      const props = mapping.Properties!;
      expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(props.ScalingConfig?.MaximumConcurrency).toBeGreaterThanOrEqual(2);
      const fn = functions[referencedId(props.FunctionName)!]!;
      const queue = queues[referencedId(props.EventSourceArn)!]!;
      expect(queue.Properties!.VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * fn.Properties!.Timeout);
    }
    for (const type of WORKER_TYPES) {
      const worker = synthesized.stacks[stage].workers[type];
      const fnId = logicalIdOf(synthesized.stacks[stage], worker.handler.function);
      const caps = mappings
        .filter((m) => referencedId(m.Properties!.FunctionName) === fnId)
        .map((m) => m.Properties!.ScalingConfig.MaximumConcurrency)
        .sort();
      expect(caps).toEqual([config.workers[type].highMaxConcurrency, config.workers[type].maxConcurrency].sort());
    }
  });

  it('sweeps overdue approvals every minute, with a DLQ on the scheduled target', () => {
    for (const stage of STAGES) {
      const stack = synthesized.stacks[stage];
      const fnId = logicalIdOf(stack, stack.consumers.approvalExpiry.handler.function);
      // (The saga repair sweep has its own minute schedule: test/infra/saga.test.ts.)
      const scheduled = Object.values(template(stage).findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(1 minute)' } })).filter(
        (rule) => rule.Properties.Targets.some((target: any) => referencedId(target.Arn) === fnId),
      );
      expect(scheduled).toHaveLength(1);
      const [target] = scheduled[0]!.Properties.Targets;
      expect(referencedId(target.Arn)).toBe(fnId);
      expect(target.DeadLetterConfig).toBeDefined();
    }
  });

  it('routes task:created to exactly one lane by task type and priority, and events to their consumers', () => {
    const stack = synthesized.stacks[stage];
    // Event-driven rules only: scheduled ones (the approval sweep) have no pattern.
    const rules = Object.values(resourcesOf(template(stage), 'AWS::Events::Rule')).filter((rule) => rule.Properties!.EventPattern);
    /** Logical ids of the targets of every rule that matches `event` (EventBridge's matching, as the local cloud implements it). */
    const targetsOf = (event: Record<string, unknown>): string[] =>
      rules
        .filter((rule) => matchesEventPattern(withAccount(rule.Properties!.EventPattern), { account: ACCOUNT, ...event }))
        .flatMap((rule) => rule.Properties!.Targets.map((target: any) => referencedId(target.Arn)!));
    const laneQueue = (type: (typeof WORKER_TYPES)[number], lane: 'high' | 'normal') =>
      logicalIdOf(stack, stack.workers[type].lanes[lane].queue);
    const workerQueues = new Set(WORKER_TYPES.flatMap((type) => [laneQueue(type, 'high'), laneQueue(type, 'normal')]));
    // The audit consumer's rule targets its queue (batched writes), the others' their function.
    const consumer = (name: keyof typeof stack.consumers) =>
      logicalIdOf(stack, name === 'audit' ? stack.consumers.audit.queue : stack.consumers[name].handler.function);

    for (const type of WORKER_TYPES) {
      for (const priority of ['high', 'normal', undefined]) {
        const targets = targetsOf({
          source: 'bc-agent.orchestrator',
          'detail-type': 'task:created',
          detail: { taskId: 't1', task: { id: 't1', type, ...(priority ? { priority } : {}) } },
        });
        expect(targets.filter((t) => workerQueues.has(t)), `${type}/${priority}`).toEqual([
          laneQueue(type, priority === 'high' ? 'high' : 'normal'),
        ]);
        expect(targets).toContain(consumer('audit'));
        expect(targets).toContain(consumer('analytics'));
        expect(targets).not.toContain(consumer('planProgress'));
      }
    }
    // A granted single write resumes in the write worker's high lane; plan progress sees it too.
    expect(targetsOf({ source: 'bc-agent.orchestrator', 'detail-type': 'approval:granted', detail: { taskId: 't1' } })).toEqual(
      expect.arrayContaining([laneQueue('write', 'high'), consumer('planProgress'), consumer('audit')]),
    );
    expect(targetsOf({ source: 'bc-agent.worker.query', 'detail-type': 'task:completed', detail: {} })).toContain(consumer('planProgress'));
    // Something outside the system reaches analytics only.
    expect(targetsOf({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: {} })).toEqual([
      consumer('analytics'),
    ]);
  });

  it('keeps data in prod and staging (RETAIN, PITR, deletion protection) and drops it in dev', () => {
    const tables = Object.values(resourcesOf(template(stage), 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(7); // + the WebSocket connections table and the delegated BC grants
    for (const table of tables) {
      expect(table.Properties!.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties!.SSESpecification?.SSEEnabled).toBe(true);
      const pitr = table.Properties!.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled;
      if (stage === 'dev') {
        expect(table.DeletionPolicy).toBe('Delete');
        expect(pitr).toBe(false);
      } else {
        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.UpdateReplacePolicy).toBe('Retain');
        expect(pitr).toBe(true);
        expect(table.Properties!.DeletionProtectionEnabled).toBe(true);
      }
    }
    template(stage).hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }] })],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    template(stage).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
  });

  it('puts the JWT authorizer on every route but GET /v1/health', () => {
    const t = template(stage);
    const httpApiId = logicalIdOf(synthesized.stacks[stage], synthesized.stacks[stage].api.httpApi);
    const routes = Object.values(resourcesOf(t, 'AWS::ApiGatewayV2::Route')).filter((r) => referencedId(r.Properties!.ApiId) === httpApiId);
    expect(routes.map((r) => r.Properties!.RouteKey).sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes) {
      const open = route.Properties!.RouteKey === 'GET /v1/health';
      expect(route.Properties!.AuthorizationType, route.Properties!.RouteKey).toBe(open ? 'NONE' : 'JWT');
      expect(route.Properties!.AuthorizerId === undefined, route.Properties!.RouteKey).toBe(open);
    }
    const config = synthesized.stacks[stage].config;
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: config.jwt.issuer, Audience: config.jwt.audience },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: config.api.throttle.rateLimit, ThrottlingBurstLimit: config.api.throttle.burstLimit },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('warns when a deployed stage still trusts the local issuer', () => {
    const warnings = Annotations.fromStack(synthesized.stacks[stage]).findWarning('*', Match.stringLikeRegexp('jwt\\.issuer'));
    expect(warnings.length).toBe(stage === 'dev' ? 0 : 1);
  });

  it('runs every function on nodejs24.x arm64 with X-Ray, its own log group and the common environment', () => {
    const functions = Object.entries(resourcesOf(template(stage), 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(15); // + the WebSocket routes and notifier
    for (const [id, fn] of functions) {
      const p = fn.Properties!;
      expect(p.Runtime, id).toBe('nodejs24.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.Handler, id).toBe('index.handler');
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(p.LoggingConfig?.LogGroup, id).toBeDefined();
      expect(p.Environment.Variables, id).toMatchObject({
        STAGE: stage,
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^bc-agent-/),
        POWERTOOLS_METRICS_NAMESPACE: 'BcAgent',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
    const retention = synthesized.stacks[stage].config.retention.logDays;
    for (const group of Object.values(resourcesOf(template(stage), 'AWS::Logs::LogGroup'))) {
      expect(group.Properties!.RetentionInDays).toBe(retention);
    }
  });

  it('sets the environment of docs/internals.md per function', () => {
    const stack = synthesized.stacks[stage];
    const env = (fn: { node: { defaultChild?: unknown } }) =>
      resourcesOf(template(stage), 'AWS::Lambda::Function')[logicalIdOf(stack, fn)]!.Properties!.Environment.Variables;
    expect(Object.keys(env(stack.orchestrator.function))).toEqual(
      expect.arrayContaining(['EVENT_BUS_NAME', 'STATE_TABLE', 'APPROVALS_TABLE', 'ANTHROPIC_MODEL', 'MAX_BODY_BYTES', 'MAX_TEXT_CHARS', 'MAX_TASKS_PER_PLAN']),
    );
    const mcp = env(stack.mcpServer.handler.function);
    expect(Object.keys(mcp)).toEqual(
      expect.arrayContaining(['BC_API_BASE_URL', 'BC_TENANT', 'BC_ENVIRONMENT', 'BC_CREDENTIALS_SECRET_ARN', 'BC_WRITABLE_ENTITY_SETS', 'BREAKERS_TABLE']),
    );
    const saga = env(stack.saga.steps.function);
    for (const bcEnv of [mcp, saga]) {
      expect(bcEnv).toMatchObject({ BC_TENANT: stack.config.bc.tenant, BC_ENVIRONMENT: stack.config.bc.environment });
      expect(referencedId(bcEnv.BC_CREDENTIALS_SECRET_ARN)).toBe(logicalIdOf(stack, stack.businessCentral.credentials));
    }
    expect(Object.keys(saga)).toEqual(expect.arrayContaining(['EVENT_BUS_NAME', 'STATE_TABLE', 'APPROVALS_TABLE', 'APPROVAL_TTL_MINUTES', 'BREAKERS_TABLE']));
    for (const type of WORKER_TYPES) {
      const workerEnv = env(stack.workers[type].handler.function);
      expect(workerEnv.EVENT_BUS_NAME, type).toEqual({ Ref: logicalIdOf(stack, stack.backbone.bus) });
      expect('MCP_SERVER_URL' in workerEnv, type).toBe(type === 'query' || type === 'write');
      expect(workerEnv.MAX_RECEIVE_COUNT, type).toBe(String(MAX_RECEIVE_COUNT));
    }
    expect(env(stack.workers.write.handler.function).PURCHASE_ORDER_SAGA_ARN).toEqual({ Ref: logicalIdOf(stack, stack.saga.stateMachine) });
    // The MCP URL is the function URL followed by `mcp`.
    expect(env(stack.workers.query.handler.function).MCP_SERVER_URL).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(stack, stack.mcpServer.functionUrl), 'FunctionUrl'] }, 'mcp']],
    });
    expect(env(stack.consumers.audit.handler.function)).toMatchObject({
      AUDIT_TABLE: { Ref: logicalIdOf(stack, stack.tables.audit) },
      AUDIT_RETENTION_DAYS: String(stack.config.retention.auditDays),
    });
    template(stage).hasResourceProperties('AWS::Events::EventBus', { Name: `bc-agent-${stage}` });
    template(stage).hasResourceProperties('AWS::Events::Archive', {
      RetentionDays: stack.config.retention.archiveDays,
    });
    template(stage).hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  it('scopes every IAM statement to named resources (Resource "*" only for actions that require it)', () => {
    const t = template(stage);
    const ids = new Set(Object.keys(resourcesOf(t)));
    for (const [id, policy] of Object.entries(resourcesOf(t, 'AWS::IAM::Policy'))) {
      for (const statement of policy.Properties!.PolicyDocument.Statement) {
        const actions: string[] = [statement.Action].flat();
        for (const action of actions) expect(action, `${id}: wildcard action`).not.toMatch(/(^\*$|:\*$)/);
        const resources: unknown[] = [statement.Resource].flat();
        for (const resource of resources) {
          if (resource === '*') {
            for (const action of actions) expect(STAR_ONLY_ACTIONS.has(action), `${id}: ${action} on *`).toBe(true);
          } else {
            // Every other resource is (a path inside) a resource of this stack or the configured secret.
            const refs = referencedIds(resource).filter((ref) => !ref.startsWith('AWS::'));
            expect(refs.length, `${id}: ${JSON.stringify(resource)} names no resource`).toBeGreaterThan(0);
            for (const ref of refs) expect(ids.has(ref), `${id}: unknown ${ref}`).toBe(true);
          }
        }
      }
    }
  });

  it('lets only the functions that call BC read its credentials and only the audit consumer write the audit table', () => {
    const stack = synthesized.stacks[stage];
    const policies = resourcesOf(template(stage), 'AWS::IAM::Policy');
    const secretId = logicalIdOf(stack, stack.businessCentral.credentials);
    const auditId = logicalIdOf(stack, stack.tables.audit);
    const roleOf = (policy: CfnResource) => referencedId(policy.Properties!.Roles[0]);
    const bcRoles = [logicalIdOf(stack, stack.mcpServer.handler.role), logicalIdOf(stack, stack.saga.steps.role), logicalIdOf(stack, stack.saga.repair.handler.role)];
    // Per-user BC access: the orchestrator (on-behalf-of) and the workers that reach BC (refresh) are clients too.
    bcRoles.push(logicalIdOf(stack, stack.orchestrator.role), logicalIdOf(stack, stack.workers.query.handler.role), logicalIdOf(stack, stack.workers.write.handler.role));
    const auditRole = logicalIdOf(stack, stack.consumers.audit.handler.role);
    const orchestratorRole = logicalIdOf(stack, stack.orchestrator.role);
    for (const [id, policy] of Object.entries(policies)) {
      const refs = referencedIds(policy.Properties!.PolicyDocument);
      if (refs.includes(secretId)) expect(bcRoles, id).toContain(roleOf(policy));
      if (refs.includes(auditId)) expect([auditRole, orchestratorRole], id).toContain(roleOf(policy));
    }
    // The orchestrator reads a plan's story (GET /v1/plans/{planId}/events) and nothing more.
    const orchestratorPolicy = Object.values(policies).find((p) => roleOf(p) === orchestratorRole)!;
    const readStatements = orchestratorPolicy.Properties!.PolicyDocument.Statement.filter((s: any) => referencedIds(s.Resource).includes(auditId));
    expect(readStatements.flatMap((s: any) => [s.Action].flat())).toEqual(['dynamodb:Query']);
    const auditPolicy = Object.values(policies).find((p) => roleOf(p) === auditRole)!;
    const auditStatements = auditPolicy.Properties!.PolicyDocument.Statement.filter((s: any) => referencedIds(s.Resource).includes(auditId));
    expect(auditStatements.flatMap((s: any) => [s.Action].flat()).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:PutItem']);
    // Nothing else in the audit consumer's policy names a table.
    const tableIds = Object.keys(resourcesOf(template(stage), 'AWS::DynamoDB::Table'));
    expect(referencedIds(auditPolicy.Properties!.PolicyDocument).filter((ref) => tableIds.includes(ref))).toEqual([auditId]);
  });
});

describe('bundles', () => {
  it('are minified ES modules with a require shim and a source map without the sources (no build metadata)', () => {
    const bundles = readdirSync(synthesized.outdir).filter((name) => name.startsWith('asset.'));
    expect(bundles.length).toBeGreaterThanOrEqual(10);
    for (const dir of bundles) {
      const files = readdirSync(join(synthesized.outdir, dir)).sort();
      expect(files).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(synthesized.outdir, dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __bcAgentCreateRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*as handler/);
      const map = JSON.parse(readFileSync(join(synthesized.outdir, dir, 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
      expect(map.sources.some((source) => source.includes('functions/'))).toBe(true);
      expect(map.sourcesContent).toBeUndefined();
    }
  });
});

const ACCOUNT = '123456789012';

/** The pattern with `{ Ref: AWS::AccountId }` replaced by the account the test events come from. */
function withAccount(pattern: unknown): object {
  return JSON.parse(JSON.stringify(pattern).replaceAll('{"Ref":"AWS::AccountId"}', JSON.stringify(ACCOUNT)));
}
