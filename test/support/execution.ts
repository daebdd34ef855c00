// Shared by the execution and worker tests: a publisher that records what it would send (validated like the
// real one), a plan builder over the real store on dynalite, and Once on the idempotency table.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { createEvent, parseEventDetail, type DomainEvent, type EventDetail, type EventFields, type EventName, type EventPublisher } from '../../functions/core/events/index.js';
import { createOnce, type Once } from '../../functions/core/task-runtime/index.js';
import { createLogger } from '../../functions/core/observability/index.js';
import { createStateStore, type NewTask, type StateStore, type StoredPlan } from '../../functions/core/store/index.js';
import { validatePlan, type PlanInput } from '../../functions/core/plan/index.js';
import { afterAll, beforeAll } from 'vitest';
import { startDynamo, type TestDynamo } from './dynamo.js';

export const TENANT = 'contoso';

export const silentLogger = () => {
  const logger = createLogger('execution-test');
  logger.setLogLevel('SILENT');
  return logger;
};

export interface RecordingPublisher extends EventPublisher {
  events: DomainEvent[];
  named<N extends EventName>(name: N): DomainEvent<N>[];
  /** PutEvents calls a real publisher would have made (one per publish of ≤ 10 events). */
  calls: number;
}

export function recordingPublisher(): RecordingPublisher {
  const events: DomainEvent[] = [];
  let calls = 0;
  return {
    source: 'bc-agent.test',
    events,
    get calls() {
      return calls;
    },
    named: <N extends EventName>(name: N) => events.filter((e) => e.name === name) as DomainEvent<N>[],
    async publish(batch) {
      calls += Math.ceil(batch.length / 10);
      for (const event of batch) events.push({ name: event.name, detail: parseEventDetail(event.name, event.detail) } as DomainEvent);
      return { published: batch.length, failed: [], putEventsCalls: Math.ceil(batch.length / 10) };
    },
  };
}

export function testStore(dynamo: TestDynamo): StateStore {
  return createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc });
}

/** Starts dynalite and the state store on it before the file's tests (handing both to `use`) and stops it after. */
export function withTestStore(use: (fixture: { dynamo: TestDynamo; store: StateStore }) => void): void {
  let dynamo: TestDynamo | undefined;
  beforeAll(async () => {
    dynamo = await startDynamo();
    use({ dynamo, store: testStore(dynamo) });
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
}

/** Once on the test idempotency table, with a Lambda context so in-progress records expire as on AWS. */
export function testOnce(dynamo: TestDynamo, keyPrefix: string): Once {
  const once = createOnce({ tableName: dynamo.tables.IDEMPOTENCY_TABLE, client: dynamo.client, keyPrefix, expiresAfterSeconds: 3600 });
  once.registerLambdaContext({ getRemainingTimeInMillis: () => 30_000 } as Context);
  return once;
}

/** Validates a plan as the orchestrator does and stores it with its first level dispatched. */
export async function storePlan(store: StateStore, input: PlanInput | Readonly<Record<string, unknown>>, createdBy = 'alice'): Promise<StoredPlan> {
  const validation = validatePlan(input);
  if (!validation.ok) throw new Error(validation.problems.map((p) => p.message).join('; '));
  const levelOf = new Map(validation.levels.flatMap((ids, level) => ids.map((id) => [id, level] as const)));
  const tasks: NewTask[] = validation.plan.tasks.map((t) => ({ ...t, level: levelOf.get(t.id) ?? 0 }));
  return store.plans.createPlan(TENANT, {
    planId: randomUUID(),
    sessionId: 's1',
    messageId: randomUUID(),
    correlationId: `corr-${randomUUID()}`,
    createdBy,
    status: 'running',
    planner: 'offline',
    summary: validation.plan.summary,
    levels: validation.levels,
    tasks,
    initialTaskStatus: Object.fromEntries((validation.levels[0] ?? []).map((id) => [id, 'dispatched'])),
  });
}

/** The task:created event the orchestrator would have published for a level-0 task. */
export function taskCreated(plan: StoredPlan, taskId: string): DomainEvent<'task:created'> {
  const task = plan.tasks.find((t) => t.id === taskId)!;
  return createEvent(
    'task:created',
    {
      task: {
        id: task.id, type: task.type, tool: task.tool, arguments: task.arguments, dependsOn: task.dependsOn, priority: task.priority,
        delaySeconds: task.delaySeconds, critical: task.critical, attempt: task.attempt, level: task.level,
      },
    },
    { tenantId: TENANT, sessionId: plan.sessionId, planId: plan.planId, taskId, correlationId: plan.correlationId, causationId: plan.messageId },
  );
}

/** The task:completed a worker publishes for `taskId` of `plan` (succeeded unless `fields` say otherwise). */
export function completed(plan: StoredPlan, taskId: string, fields: Partial<EventFields<'task:completed'>> = {}): EventDetail<'task:completed'> {
  const task = plan.tasks.find((t) => t.id === taskId)!;
  return createEvent(
    'task:completed',
    { taskType: task.type, status: 'succeeded', attempt: 1, durationMs: 5, ...fields } as EventFields<'task:completed'>,
    { tenantId: TENANT, sessionId: plan.sessionId, planId: plan.planId, taskId, correlationId: plan.correlationId, causationId: plan.messageId },
  ).detail;
}
