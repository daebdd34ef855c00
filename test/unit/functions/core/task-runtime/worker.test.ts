// The workers' record handling against the real store and idempotency table on dynalite, with a fake MCP
// client that counts calls: at-least-once delivery never repeats a BC call, partial batch responses, backoff
// through the visibility timeout, the last attempt marking the task failed, permanent failures, writes that
// wait for approval without touching BC, and delays.
import { describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { createEvent } from '../../../../../functions/core/events/index.js';
import { analysisExecutor, validationExecutor, writeExecutor } from '../../../../../functions/core/tasks/index.js';
import { approvalsNotAvailable, queryExecutor } from '../../../../../functions/core/tasks/index.js';
import { createTaskRecordHandler, type TaskRunnerDeps } from '../../../../../functions/core/task-runtime/index.js';
import { type ApprovalGate } from '../../../../../functions/core/approvals/index.js';
import { McpToolError, toolErrorFromResult } from '../../../../../functions/core/mcp/index.js';
import { NoCapacityError } from '../../../../../functions/core/bc/index.js';
import { toolErrorFrom } from '../../../../../functions/mcp-server/tool-result.js';
import { createSqsBatchHandler } from '../../../../../functions/core/queue/index.js';
import type { StateStore } from '../../../../../functions/core/store/index.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { withTestStore, recordingPublisher, silentLogger, storePlan, TENANT, taskCreated, testOnce, type RecordingPublisher } from '../../../../support/execution.js';
import { fakeMcp, recordingSqs, sqsRecord, type FakeMcp } from '../../../../support/workers.js';

let dynamo: TestDynamo;
let store: StateStore;
withTestStore((fixture) => ({ dynamo, store } = fixture));

const customers = { value: [{ id: '1', number: 'C1', displayName: 'Adatum' }], count: 1 };

function worker(mcp: FakeMcp, overrides: Partial<TaskRunnerDeps> = {}, gate: ApprovalGate = approvalsNotAvailable) {
  const publisher = recordingPublisher();
  const sqs = recordingSqs();
  const deps: TaskRunnerDeps = {
    store,
    publisher,
    logger: silentLogger(),
    once: testOnce(dynamo, 'task'),
    mcp,
    executors: { query: queryExecutor(), write: writeExecutor({ gate }), analysis: analysisExecutor(), validation: validationExecutor() },
    maxReceiveCount: 3,
    random: () => 1,
    ...overrides,
  };
  const handle = createSqsBatchHandler(createTaskRecordHandler(deps), { sqs: sqs.client, logger: silentLogger() });
  return { handle: (...records: SQSEvent['Records']) => handle({ Records: records }), publisher: publisher as RecordingPublisher, sqs };
}

const listCustomers = {
  summary: 'list customers',
  tasks: [{ id: 't1', type: 'query', description: 'List customers', tool: 'bc_query_entity', arguments: { entity: 'customers', top: 5 } }],
} as const;

describe('workers', () => {
  it('the same message delivered twice, or at once, makes one MCP call while the first delivery holds the task', async () => {
    const mcp = fakeMcp(() => customers);
    const w = worker(mcp);
    const plan = await storePlan(store, listCustomers);
    const record = sqsRecord(taskCreated(plan, 't1'));
    expect(await w.handle(record)).toEqual({ batchItemFailures: [] });
    // Redelivered while the first delivery's lease holds (its completion not recorded yet): acknowledged.
    expect(await w.handle({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } })).toEqual({ batchItemFailures: [] });

    expect(mcp.calls).toHaveLength(1);
    expect(mcp.calls[0]).toEqual({ tool: 'bc_query_entity', args: { entity: 'customers', top: 5 } });
    expect(w.publisher.named('task:completed').map((e) => e.detail.result)).toEqual([{ value: customers.value, count: 1 }]);
    expect(w.publisher.named('bc:operation:start')).toHaveLength(1);
    expect(w.publisher.named('task:updated').map((e) => e.detail.status)).toEqual(['running']);

    // Two deliveries at the same moment: one runs it.
    const other = await storePlan(store, listCustomers);
    const twin = sqsRecord(taskCreated(other, 't1'));
    await Promise.all([w.handle(twin), w.handle({ ...twin, messageId: 'twin-2' })]);
    expect(mcp.calls).toHaveLength(2);

    // Once its completion is recorded, a late duplicate is acknowledged without running.
    await store.plans.transitionTask(TENANT, plan.planId, 't1', 'succeeded', { result: { value: customers.value, count: 1 } });
    expect(await w.handle({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '3' } })).toEqual({ batchItemFailures: [] });
    expect(mcp.calls).toHaveLength(2);
  });

  it('a delivery after the worker holding the task died runs it again once the lease has lapsed', async () => {
    const mcp = fakeMcp(() => customers);
    const plan = await storePlan(store, listCustomers);
    // The first delivery started the task and died before reporting (the task stays running, leased).
    const started = new Date();
    expect((await store.plans.startTask(TENANT, plan.planId, 't1', ['dispatched'], 1, new Date(started.getTime() + 60_000), started)).transitioned).toBe(true);
    const record = sqsRecord(taskCreated(plan, 't1'), 2);
    // The queue brings the message back after its visibility timeout (6 × the worker's timeout), past the lease.
    const later = worker(mcp, { now: () => new Date(started.getTime() + 6 * 60_000) });
    expect(await later.handle(record)).toEqual({ batchItemFailures: [] });
    expect(mcp.calls).toHaveLength(1);
    expect(later.publisher.named('task:completed').map((e) => e.detail.status)).toEqual(['succeeded']);
  });

  it('follows nextLink up to the requested top', async () => {
    const pages = [
      { value: [{ n: 1 }, { n: 2 }], nextLink: 'https://bc/next1' },
      { value: [{ n: 3 }, { n: 4 }], nextLink: 'https://bc/next2' },
    ];
    const mcp = fakeMcp((_tool, args) => (args.nextLink ? pages[1] : pages[0]));
    const w = worker(mcp);
    const plan = await storePlan(store, { summary: 'list', tasks: [{ id: 't1', type: 'query', description: 'List', tool: 'bc_query_entity', arguments: { entity: 'items', top: 3 } }] });
    await w.handle(sqsRecord(taskCreated(plan, 't1')));
    expect(mcp.calls.map((c) => c.args)).toEqual([{ entity: 'items', top: 3 }, { entity: 'items', nextLink: 'https://bc/next1' }]);
    expect(w.publisher.named('task:completed')[0]!.detail.result).toEqual({ value: [{ n: 1 }, { n: 2 }, { n: 3 }] });
  });

  it('reports only the failed record of a batch and sets its visibility by backoff', async () => {
    const mcp = fakeMcp((_tool, args) => {
      if (args.entity === 'vendors') throw new McpToolError('bc_query_entity', 'DependencyUnavailable', 'circuit open', true, 503);
      return customers;
    });
    const w = worker(mcp);
    const plan = await storePlan(store, {
      summary: 'two lists',
      tasks: [
        { id: 't1', type: 'query', description: 'List customers', tool: 'bc_query_entity', arguments: { entity: 'customers' } },
        { id: 't2', type: 'query', description: 'List vendors', tool: 'bc_query_entity', arguments: { entity: 'vendors' } },
      ],
    });
    const ok = sqsRecord(taskCreated(plan, 't1'));
    const failing = sqsRecord(taskCreated(plan, 't2'), 2);
    const response = await w.handle(ok, failing);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
    // Second receive, random() = 1: the full ceiling 2 · 2^(2−1) = 4 s.
    expect(w.sqs.visibility.get(failing.receiptHandle)).toBe(4);
    expect(w.sqs.visibility.has(ok.receiptHandle)).toBe(false);
    const retry = w.publisher.named('task:updated').find((e) => e.detail.taskId === 't2' && e.detail.previousStatus === 'running');
    expect(retry?.detail.reason).toBe('Business Central is unavailable right now; retrying in 4 s (attempt 2 of 3).');
    expect(w.publisher.named('bc:operation:error')[0]!.detail).toMatchObject({ retryable: true, error: { code: 'DependencyUnavailable', httpStatus: 503 } });
    expect((await store.plans.getPlan(TENANT, plan.planId))!.tasks[1]!.status).toBe('running');
  });

  it('waits at least as long as the MCP server said capacity returns (no BC capacity before the deadline)', async () => {
    // What the MCP server sends when its governor refused: the error and, in _meta, when to try again.
    const refusal = toolErrorFromResult('bc_query_entity', toolErrorFrom(new NoCapacityError('No BC capacity before the deadline: the BC request rate is spent', 45_000)));
    expect(refusal).toMatchObject({ code: 'Client_NoCapacityBeforeDeadline', retryable: true, retryAfterMs: 45_000 });
    const w = worker(fakeMcp(() => { throw refusal; }));
    const plan = await storePlan(store, { summary: 'list', tasks: [{ id: 't1', type: 'query', description: 'List', tool: 'bc_query_entity', arguments: { entity: 'items' } }] });
    const record = sqsRecord(taskCreated(plan, 't1'));
    expect((await w.handle(record)).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    // The backoff alone would be at most 2 s on a first receive.
    expect(w.sqs.visibility.get(record.receiptHandle)).toBe(45);
    expect(w.publisher.named('task:updated').at(-1)!.detail.reason).toMatch(/retrying in 45 s/);
  });

  it('on the last attempt marks the task failed, says so, and lets the message go to the DLQ', async () => {
    const mcp = fakeMcp(() => {
      throw new McpToolError('bc_query_entity', 'Internal_ServiceUnavailable', 'BC is down', true, 503);
    });
    const w = worker(mcp);
    const plan = await storePlan(store, listCustomers);
    const last = sqsRecord(taskCreated(plan, 't1'), 3);
    expect((await w.handle(last)).batchItemFailures).toEqual([{ itemIdentifier: last.messageId }]);
    expect(w.sqs.visibility.get(last.receiptHandle)).toBe(0);

    const task = (await store.plans.getPlan(TENANT, plan.planId))!.tasks[0]!;
    expect(task.status).toBe('failed');
    expect(task.error?.code).toBe('RetriesExhausted');
    const failed = w.publisher.named('task:updated').find((e) => e.detail.status === 'failed');
    expect(failed?.detail.reason).toMatch(/Gave up after 3 attempts .*dead-letter queue/);
    expect(w.publisher.named('task:completed')[0]!.detail).toMatchObject({ status: 'failed', error: { code: 'RetriesExhausted' }, attempt: 3 });

    // The redelivered message (after a redrive) finds the task finished and calls nothing.
    await w.handle(sqsRecord(taskCreated(plan, 't1'), 1));
    expect(mcp.calls).toHaveLength(1);
  });

  it('a transient failure gives the task back, so its retry runs at once rather than after the lease', async () => {
    let failNext = true;
    const mcp = fakeMcp(() => {
      if (failNext) {
        failNext = false;
        throw new McpToolError('bc_query_entity', 'Internal_ServiceUnavailable', 'BC is down', true, 503);
      }
      return customers;
    });
    const w = worker(mcp);
    const plan = await storePlan(store, listCustomers);
    const first = sqsRecord(taskCreated(plan, 't1'), 1);
    expect((await w.handle(first)).batchItemFailures).toEqual([{ itemIdentifier: first.messageId }]);
    expect(await w.handle(sqsRecord(taskCreated(plan, 't1'), 2, first.messageId))).toEqual({ batchItemFailures: [] });
    expect(mcp.calls).toHaveLength(2);
    expect(w.publisher.named('task:completed').map((e) => e.detail.status)).toEqual(['succeeded']);
  });

  it('completes a task as failed at once on a permanent error', async () => {
    const mcp = fakeMcp(() => {
      throw new McpToolError('bc_query_entity', 'BadRequest_NotFound', 'no such field', false, 400);
    });
    const w = worker(mcp);
    const plan = await storePlan(store, listCustomers);
    expect((await w.handle(sqsRecord(taskCreated(plan, 't1')))).batchItemFailures).toEqual([]);
    expect(w.publisher.named('task:completed')[0]!.detail).toMatchObject({ status: 'failed', error: { code: 'BadRequest_NotFound', message: 'no such field' } });
  });

  it('a write stops at awaiting_approval with a summary and never reaches BC', async () => {
    const mcp = fakeMcp(() => ({ id: 'new' }));
    const w = worker(mcp);
    const plan = await storePlan(store, {
      summary: 'create customer',
      tasks: [{ id: 't1', type: 'write', description: 'Create customer', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam', email: 'ap@fabrikam.example' } } }],
    });
    await w.handle(sqsRecord(taskCreated(plan, 't1')));
    expect(mcp.calls).toHaveLength(0);
    expect((await store.plans.getPlan(TENANT, plan.planId))!.tasks[0]!.status).toBe('awaiting_approval');
    const waiting = w.publisher.named('task:updated').find((e) => e.detail.status === 'awaiting_approval');
    expect(waiting?.detail.reason).toBe("Waiting for approval: Create a customer in customers with displayName = 'Fabrikam', email = 'ap@fabrikam.example'.");
    expect(w.publisher.named('task:completed')).toHaveLength(0);
  });

  it('an approved write is written once, bound to the exact operation', async () => {
    const mcp = fakeMcp(() => ({ id: 'new', number: 'C9', displayName: 'Fabrikam' }));
    const seen: string[] = [];
    const gate: ApprovalGate = {
      decisionFor: async (subject) => {
        seen.push(subject.operationHash);
        return { status: 'granted', approvalId: 'a1' };
      },
      request: async () => ({ status: 'none' }),
      boundOperation: async () => undefined,
    };
    const w = worker(mcp, {}, gate);
    const plan = await storePlan(store, {
      summary: 'create customer',
      tasks: [{ id: 't1', type: 'write', description: 'Create customer', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } }],
    });
    const record = sqsRecord(taskCreated(plan, 't1'));
    await w.handle(record);
    await w.handle({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } });
    expect(mcp.calls).toEqual([{ tool: 'bc_create_entity', args: { entity: 'customers', data: { displayName: 'Fabrikam' } } }]);
    expect(seen[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an invalid write before asking anyone', async () => {
    const mcp = fakeMcp(() => ({}));
    const w = worker(mcp);
    const plan = await storePlan(store, {
      summary: 'create vendor',
      tasks: [{ id: 't1', type: 'write', description: 'Create vendor', tool: 'bc_create_entity', arguments: { entity: 'vendors', data: { email: 'not-an-address' } } }],
    });
    await w.handle(sqsRecord(taskCreated(plan, 't1')));
    expect(mcp.calls).toHaveLength(0);
    const done = w.publisher.named('task:completed')[0]!.detail;
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('ValidationFailed');
    expect(done.error?.message).toContain("'email' is not a valid e-mail address");
    expect(done.error?.message).toContain("'displayName' is required");
  });

  it('honours delaySeconds by hiding the message until the task is due', async () => {
    const mcp = fakeMcp(() => customers);
    const w = worker(mcp);
    const plan = await storePlan(store, {
      summary: 'later',
      tasks: [{ id: 't1', type: 'query', description: 'Later', tool: 'bc_query_entity', delaySeconds: 120, arguments: { entity: 'customers' } }],
    });
    const record = sqsRecord(taskCreated(plan, 't1'));
    expect((await w.handle(record)).batchItemFailures).toHaveLength(1);
    expect(w.sqs.visibility.get(record.receiptHandle)).toBeGreaterThan(110);
    expect(mcp.calls).toHaveLength(0);
  });

  it('a task still delayed on its last receive ends failed (the plan must not wait for a dead-lettered message)', async () => {
    const mcp = fakeMcp(() => customers);
    const w = worker(mcp);
    const plan = await storePlan(store, {
      summary: 'much later',
      tasks: [{ id: 't1', type: 'query', description: 'Later', tool: 'bc_query_entity', delaySeconds: 86_400, arguments: { entity: 'customers' } }],
    });
    const last = sqsRecord(taskCreated(plan, 't1'), 3);
    expect((await w.handle(last)).batchItemFailures).toEqual([{ itemIdentifier: last.messageId }]);
    expect(mcp.calls).toHaveLength(0);

    const task = (await store.plans.getPlan(TENANT, plan.planId))!.tasks[0]!;
    expect(task.status).toBe('failed');
    expect(task.error?.code).toBe('DelayNotHonoured');
    expect(w.publisher.named('task:updated').map((e) => [e.detail.previousStatus, e.detail.status])).toEqual([['dispatched', 'failed']]);
    expect(w.publisher.named('task:completed').map((e) => e.detail)).toMatchObject([{ status: 'failed', error: { code: 'DelayNotHonoured' } }]);
  });

  it('analyses the referenced result it was dispatched with, and validates data without BC', async () => {
    const w = worker(fakeMcp(() => customers));
    const plan = await storePlan(store, {
      summary: 'analyze and validate',
      tasks: [
        { id: 't1', type: 'query', description: 'Vendors', tool: 'bc_query_entity', arguments: { entity: 'vendors' } },
        { id: 't2', type: 'analysis', description: 'By balance', tool: 'analyze', dependsOn: ['t1'], arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' } },
        { id: 't3', type: 'validation', description: 'Check', tool: 'validate_entity', arguments: { entity: 'customers', data: { displayName: 'X', email: 'bad' } } },
      ],
    });
    await store.plans.transitionTask(TENANT, plan.planId, 't2', 'dispatched');
    const dispatched = taskCreated(plan, 't2');
    dispatched.detail.task.arguments = { source: { value: [{ number: 'V1', balance: 10 }, { number: 'V2', balance: 30 }] }, entity: 'vendors', by: 'balance' };
    await w.handle(sqsRecord(dispatched), sqsRecord(taskCreated(plan, 't3')));
    const results = Object.fromEntries(w.publisher.named('task:completed').map((e) => [e.detail.taskId, e.detail.result as Record<string, any>]));
    expect(results.t2).toMatchObject({ entity: 'vendors', records: 2, narrator: 'statistics', summary: { kind: 'numeric', sum: 40, mean: 20, median: 20 } });
    expect(results.t3).toEqual({ entity: 'customers', valid: false, problems: [{ field: 'email', rule: 'email', message: "'email' is not a valid e-mail address" }] });
  });

  it('drops a malformed message instead of cycling it', async () => {
    const w = worker(fakeMcp(() => customers));
    const record = { ...sqsRecord(createEvent('agent:started', { messageId: 'm', planner: 'offline', taskCount: 0, levelCount: 0 }, { tenantId: TENANT, sessionId: 's', planId: 'p', correlationId: 'c', causationId: 'x' })), body: '{not json' };
    expect(await w.handle(record)).toEqual({ batchItemFailures: [] });
  });
});
