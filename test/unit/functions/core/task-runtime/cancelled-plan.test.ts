// The worker side of a cancelled plan and of a retry notice: a task:created delivered after DELETE /v1/plans/{id}
// makes no BC call, and a transient failure leaves its notice on the task for the plan view.
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpToolError } from '../../../../../functions/core/mcp/index.js';
import { cancelPlan } from '../../../../../functions/core/cancel/index.js';
import { createSqsBatchHandler } from '../../../../../functions/core/queue/index.js';
import type { StateStore } from '../../../../../functions/core/store/index.js';
import { queryExecutor } from '../../../../../functions/core/tasks/index.js';
import { createTaskRecordHandler, type TaskRunnerDeps } from '../../../../../functions/core/task-runtime/index.js';
import { recordingPublisher, silentLogger, storePlan, TENANT, taskCreated, testOnce, testStore } from '../../../../support/execution.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { fakeMcp, recordingSqs, sqsRecord, type FakeMcp } from '../../../../support/workers.js';

let dynamo: TestDynamo;
let store: StateStore;
beforeAll(async () => {
  dynamo = await startDynamo();
  store = testStore(dynamo);
});
afterAll(async () => {
  await dynamo?.stop();
});

function worker(mcp: FakeMcp) {
  const deps: TaskRunnerDeps = {
    store,
    publisher: recordingPublisher(),
    logger: silentLogger(),
    once: testOnce(dynamo, 'cancel-task'),
    mcp,
    executors: { query: queryExecutor() },
    maxReceiveCount: 3,
    random: () => 1,
  };
  const handle = createSqsBatchHandler(createTaskRecordHandler(deps), { sqs: recordingSqs().client, logger: silentLogger() });
  return (...records: SQSEvent['Records']) => handle({ Records: records });
}

const listCustomers = {
  summary: 'list customers',
  tasks: [{ id: 't1', type: 'query', description: 'List customers', tool: 'bc_query_entity', arguments: { entity: 'customers', top: 5 } }],
} as const;

describe('a worker and a cancelled plan', () => {
  it('does not run a task whose plan was cancelled before the message arrived', async () => {
    const mcp = fakeMcp(() => ({ value: [] }));
    const plan = await storePlan(store, listCustomers);
    const outcome = await cancelPlan(
      { store, publisher: recordingPublisher(), approvals: { close: async () => undefined, current: async () => undefined }, logger: silentLogger() },
      { sub: 'alice', tenantId: TENANT, roles: [] },
      plan.planId,
      plan.correlationId,
    );
    expect(outcome.cancelledTasks).toEqual([{ taskId: 't1', previousStatus: 'dispatched' }]);
    expect(await worker(mcp)(sqsRecord(taskCreated(plan, 't1')))).toEqual({ batchItemFailures: [] });
    expect(mcp.calls).toEqual([]);
    expect((await store.plans.getPlan(TENANT, plan.planId))!.tasks[0]!.status).toBe('cancelled');
  });
});

describe('a retry notice', () => {
  it('is kept on the task with the time of the next attempt', async () => {
    const mcp = fakeMcp(() => {
      throw new McpToolError('bc_query_entity', 'Internal_ServiceUnavailable', 'BC is down', true, 503);
    });
    const plan = await storePlan(store, listCustomers);
    const before = Date.now();
    const result = await worker(mcp)(sqsRecord(taskCreated(plan, 't1')));
    const after = Date.now();
    expect(result.batchItemFailures).toHaveLength(1);
    const task = (await store.plans.getPlan(TENANT, plan.planId))!.tasks[0]!;
    expect(task.status).toBe('running');
    expect(task.retry).toMatchObject({ attempt: 1, reason: expect.stringMatching(/^Business Central is unavailable right now; retrying in \d+ s \(attempt 1 of 3\)\.$/) });
    const delaySeconds = Number(/retrying in (\d+) s/.exec(task.retry!.reason)![1]);
    const attemptedAt = Date.parse(task.retry!.nextAttemptAt) - delaySeconds * 1000;
    expect(attemptedAt).toBeGreaterThanOrEqual(before);
    expect(attemptedAt).toBeLessThanOrEqual(after);
  });
});
