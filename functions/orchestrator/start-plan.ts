// A chat message becomes a plan: plan it (one call into the planner), validate, persist, dispatch the first
// dependency level. Nothing is written until the plan is known to be valid, so a rejected message leaves no
// trace; a planner that cannot answer ends in a stored, failed plan with a readable reason.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createEvent, taskCreatedFields, type DomainEvent, type EventContext, type EventPublisher } from '../core/events/index.js';
import { BC_TASK_TYPES, validatePlan, type Plan, type PlanProblem } from '../core/plan/index.js';
import { emitMetric, MetricUnit, type Metrics } from '../core/observability/index.js';
import type { Planner } from '../core/planner/index.js';
import { MAX_TASKS_PER_PLAN, type Message, type NewTask, type StateStore, type StoredPlan } from '../core/store/index.js';
import { type TaskStatus } from '../core/events/index.js';

/** Turns of the session the planner sees, newest last. */
const HISTORY_TURNS = 20;

export interface StartPlanDeps {
  store: StateStore;
  planner: Planner;
  publisher: EventPublisher;
  logger: Logger;
  /** Plans started and planning latency (EMF); optional so core tests need not capture them. */
  metrics?: Metrics;
  now?: () => Date;
  /**
   * Per-user BC access (BC_ACCESS=delegated): stores the caller's delegated BC grant for the plan's tasks, from
   * their API token, before anything of the plan is stored. Absent: BC is called as the app.
   */
  delegation?: BcDelegationPort;
}

/** What start-plan needs of functions/core/bc's BcDelegation (./delegation.ts); refusals are DelegationRefusedError. */
export interface BcDelegationPort {
  accept(tenantId: string, userId: string, assertion: string): Promise<unknown>;
}

/** BC would not act for the caller (the on-behalf-of exchange was refused); nothing has been written. */
export class DelegationRefusedError extends Error {
  override readonly name = 'DelegationRefusedError';
  constructor(
    readonly code: string,
    message: string,
    /** The identity provider could not answer: trying again may work. */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export interface StartPlanInput {
  tenantId: string;
  sessionId: string;
  userId: string;
  text: string;
  correlationId: string;
  /** The caller's bearer token, the on-behalf-of assertion; used at once and never stored. */
  userAssertion?: string;
}

/** The planner produced a plan that must not run; nothing has been written. */
export class PlanRejectedError extends Error {
  override readonly name = 'PlanRejectedError';
  constructor(readonly problems: PlanProblem[]) {
    super(`the plan is not valid: ${problems.map((p) => p.message).join('; ')}`);
  }
}

/** The plan was stored but its first tasks could not be dispatched; it has been marked failed. */
export class DispatchFailedError extends Error {
  override readonly name = 'DispatchFailedError';
}

type Decision =
  | { kind: 'run'; plan: Plan; levels: string[][] }
  | { kind: 'reply'; text: string }
  | { kind: 'failed'; reason: string };

async function decide(deps: StartPlanDeps, input: StartPlanInput, messages: Message[]): Promise<Decision> {
  const history = messages.map(({ role, text }) => ({ role, text }));
  let outcome;
  try {
    outcome = await deps.planner.plan(input.text, { tenantId: input.tenantId, sessionId: input.sessionId, history });
  } catch (error) {
    deps.logger.error('planner failed', { error: error as Error });
    return { kind: 'failed', reason: 'The planner is not available right now; please try again in a moment.' };
  }
  if (outcome.kind === 'reply') return outcome;
  if (outcome.kind === 'failed') {
    if (outcome.problems && outcome.problems.length > 0) throw new PlanRejectedError(outcome.problems);
    return { kind: 'failed', reason: outcome.reason };
  }
  // Whatever the planner checked, the plan that runs is the one validated here.
  const validation = validatePlan(outcome.plan, { maxTasks: MAX_TASKS_PER_PLAN });
  if (!validation.ok) throw new PlanRejectedError(validation.problems);
  return { kind: 'run', plan: validation.plan, levels: validation.levels };
}

function toNewTasks(plan: Plan, levels: string[][]): NewTask[] {
  const levelOf = new Map(levels.flatMap((ids, level) => ids.map((id) => [id, level] as const)));
  return plan.tasks.map((task) => ({
    id: task.id,
    type: task.type,
    description: task.description,
    tool: task.tool,
    arguments: task.arguments,
    dependsOn: task.dependsOn,
    critical: task.critical,
    priority: task.priority,
    delaySeconds: task.delaySeconds,
    level: levelOf.get(task.id) ?? 0,
  }));
}

/** Fails a stored plan that will not run (its events were not, or not all, published) and cancels its tasks. */
async function abandonPlan(deps: StartPlanDeps, plan: StoredPlan, code: string, reason: string): Promise<void> {
  await deps.store.plans.transitionPlan(plan.tenantId, plan.planId, 'failed', { response: reason, error: { code, message: reason } });
  for (const task of plan.tasks) await deps.store.plans.transitionTask(plan.tenantId, plan.planId, task.id, 'cancelled');
}

async function delegate(delegation: BcDelegationPort, input: StartPlanInput): Promise<void> {
  if (!input.userAssertion) throw new DelegationRefusedError('BcSignInRequired', 'Business Central is called on your behalf here, and the request carried no bearer token to act with.', false);
  await delegation.accept(input.tenantId, input.userId, input.userAssertion);
}

export async function startPlan(deps: StartPlanDeps, input: StartPlanInput): Promise<StoredPlan> {
  const now = deps.now ?? (() => new Date());
  // One read: whether the session exists, and the history the planner sees.
  const opened = await deps.store.sessions.openSession(input.tenantId, input.sessionId, HISTORY_TURNS);
  const planningStarted = Date.now();
  const decision = await decide(deps, input, opened.messages);
  const planningMs = Date.now() - planningStarted;
  // A plan that will call BC needs the caller's delegated grant first: refused, nothing of the plan is stored.
  const callsBc = decision.kind === 'run' && decision.plan.tasks.some((task) => BC_TASK_TYPES.includes(task.type));
  if (callsBc && deps.delegation) await delegate(deps.delegation, input);

  const planId = randomUUID();
  const messageId = randomUUID();
  deps.logger.appendPersistentKeys({ planId });
  const context: EventContext = {
    tenantId: input.tenantId,
    sessionId: input.sessionId,
    planId,
    correlationId: input.correlationId,
    causationId: messageId,
  };

  const tasks = decision.kind === 'run' ? toNewTasks(decision.plan, decision.levels) : [];
  const levels = decision.kind === 'run' ? decision.levels : [];
  // The first level is dispatched with the plan itself: a reader never sees a running plan with nothing moving.
  const initialTaskStatus: Record<string, TaskStatus> = Object.fromEntries((levels[0] ?? []).map((id) => [id, 'dispatched']));

  if (!opened.session) await deps.store.sessions.ensureSession(input.tenantId, input.sessionId, input.userId, now());
  // The plan before the message that points at it: a failure between the two never leaves a message whose
  // plan does not exist. A plan whose message could not be stored is failed before anything is published.
  const plan = await deps.store.plans.createPlan(
    input.tenantId,
    {
      planId,
      sessionId: input.sessionId,
      messageId,
      correlationId: input.correlationId,
      createdBy: input.userId,
      planner: deps.planner.name,
      status: decision.kind === 'run' ? 'running' : decision.kind === 'reply' ? 'succeeded' : 'failed',
      ...(decision.kind === 'run' ? { summary: decision.plan.summary } : {}),
      ...(decision.kind === 'reply' ? { response: decision.text } : {}),
      ...(decision.kind === 'failed' ? { response: decision.reason, error: { code: 'PlanningFailed', message: decision.reason } } : {}),
      levels,
      tasks,
      initialTaskStatus,
    },
    now(),
  );
  try {
    await deps.store.sessions.appendMessage(input.tenantId, input.sessionId, {
      messageId,
      role: 'user',
      text: input.text,
      createdAt: now().toISOString(),
      planId,
      createdBy: input.userId,
    });
  } catch (error) {
    if (decision.kind === 'run') {
      await abandonPlan(deps, plan, 'StoreFailed', 'The message could not be stored; please send it again.').catch((cause: unknown) =>
        deps.logger.error('could not fail the plan of an unstored message', { error: cause as Error }),
      );
    }
    throw error;
  }
  if (decision.kind === 'reply') {
    await deps.store.sessions.appendMessage(input.tenantId, input.sessionId, {
      messageId: randomUUID(),
      role: 'assistant',
      text: decision.text,
      createdAt: now().toISOString(),
      planId,
    });
  }

  const started = createEvent(
    'agent:started',
    {
      messageId,
      planner: deps.planner.name,
      ...(plan.summary ? { summary: plan.summary } : {}),
      taskCount: tasks.length,
      levelCount: levels.length,
    },
    context,
  );
  const next = { ...context, causationId: started.detail.eventId };
  const events: DomainEvent[] = [started];
  if (decision.kind === 'reply') events.push(createEvent('agent:completed', { status: 'succeeded', response: decision.text, durationMs: 0 }, next));
  if (decision.kind === 'failed') events.push(createEvent('agent:error', { error: { code: 'PlanningFailed', message: decision.reason } }, next));
  for (const task of plan.tasks.filter((t) => t.status === 'dispatched')) {
    // The first level depends on nothing, so its arguments hold no $ref to resolve.
    events.push(createEvent('task:created', taskCreatedFields(task, task.arguments), { ...next, taskId: task.id }));
  }

  try {
    await deps.publisher.publish(events);
  } catch (error) {
    deps.logger.error('could not dispatch the plan', { error: error as Error });
    if (decision.kind === 'run') {
      const reason = 'The plan could not be dispatched; please send the message again.';
      await abandonPlan(deps, plan, 'DispatchFailed', reason);
      throw new DispatchFailedError(reason);
    }
    // A reply or a planning failure is already complete in the store; only its events are missing.
  }
  if (deps.metrics) {
    emitMetric(deps.metrics, 'PlansStarted', MetricUnit.Count, 1, { planner: deps.planner.name, outcome: decision.kind });
    emitMetric(deps.metrics, 'PlanningLatency', MetricUnit.Milliseconds, planningMs, { planner: deps.planner.name });
  }
  return plan;
}
