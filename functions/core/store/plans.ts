// Plans and their tasks. A plan and its tasks are one item, so writing them is atomic by construction (one
// conditional put) and every task transition is a conditional update of that item — no transaction needed,
// which also keeps the code identical on DynamoDB and on the local endpoint.
import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expiresAt, isConditionalCheckFailed } from './client.js';
import { PLAN_SK, planPk } from './keys.js';
import {
  PLAN_TRANSITIONS_FROM,
  TASK_TRANSITIONS_FROM,
  TERMINAL_PLAN_STATUSES,
  TERMINAL_TASK_STATUSES,
  type ErrorInfo,
  type NewPlan,
  type PlanStatus,
  type PlanSummary,
  type StoredPlan,
  type StoredTask,
  type TaskStatus,
  type Transition,
} from './types.js';

/** Plans a single item can safely hold (the 400 KB item limit, arguments included). */
export const MAX_TASKS_PER_PLAN = 50;

interface PlanItem extends Omit<StoredPlan, 'tasks'> {
  pk: string;
  sk: string;
  tasks: Record<string, StoredTask>;
  taskOrder: string[];
  expiresAt: number;
}

export class PlanConflictError extends Error {
  override readonly name = 'PlanConflictError';
}

export interface TaskTransitionOptions {
  /** Statuses the task may be in for this change; defaults to every allowed predecessor of `to`. */
  from?: readonly TaskStatus[];
  resultRef?: string;
  error?: ErrorInfo;
  attempt?: number;
  now?: Date;
}

export interface PlanTransitionOptions {
  from?: readonly PlanStatus[];
  response?: string;
  error?: ErrorInfo;
  now?: Date;
}

function toPlan(item: PlanItem): StoredPlan {
  const { pk: _pk, sk: _sk, tasks, taskOrder, expiresAt: _ttl, ...plan } = item;
  return { ...plan, tasks: taskOrder.map((id) => tasks[id]!).filter(Boolean) };
}

/** Builds `SET a = :a, b = :b` with every name aliased (several are DynamoDB reserved words). */
class UpdateBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private n = 0;

  name(attribute: string): string {
    const alias = `#n${Object.keys(this.names).length}`;
    this.names[alias] = attribute;
    return alias;
  }
  value(value: unknown): string {
    const alias = `:v${this.n++}`;
    this.values[alias] = value;
    return alias;
  }
  set(path: string, value: unknown, ifNotExists = false): void {
    const v = this.value(value);
    this.sets.push(ifNotExists ? `${path} = if_not_exists(${path}, ${v})` : `${path} = ${v}`);
  }
  in(path: string, options: readonly string[]): string {
    return `${path} IN (${options.map((o) => this.value(o)).join(', ')})`;
  }
  expression(): string {
    return `SET ${this.sets.join(', ')}`;
  }
}

export class PlanStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = 90,
  ) {}

  /** Writes a new plan with all its tasks in one conditional put. */
  async createPlan(tenantId: string, plan: NewPlan, now = new Date()): Promise<StoredPlan> {
    if (plan.tasks.length > MAX_TASKS_PER_PLAN) {
      throw new RangeError(`a plan holds at most ${MAX_TASKS_PER_PLAN} tasks (got ${plan.tasks.length})`);
    }
    const at = now.toISOString();
    const tasks: Record<string, StoredTask> = {};
    for (const task of plan.tasks) {
      tasks[task.id] = { ...task, status: plan.initialTaskStatus?.[task.id] ?? 'pending', attempt: 1, updatedAt: at };
    }
    const { initialTaskStatus: _initial, tasks: _tasks, ...fields } = plan;
    const item: PlanItem = {
      pk: planPk(tenantId, plan.planId),
      sk: PLAN_SK,
      ...fields,
      tenantId,
      tasks,
      taskOrder: plan.tasks.map((t) => t.id),
      createdAt: at,
      updatedAt: at,
      expiresAt: expiresAt(now, this.retentionDays),
    };
    try {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new PlanConflictError(`plan ${plan.planId} already exists`);
      throw error;
    }
    return toPlan(item);
  }

  async getPlan(tenantId: string, planId: string): Promise<StoredPlan | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: planPk(tenantId, planId), sk: PLAN_SK }, ConsistentRead: true }),
    );
    return Item ? toPlan(Item as PlanItem) : undefined;
  }

  /** Status, summary and creation time of several plans (missing ones are skipped). */
  async summaries(tenantId: string, planIds: string[]): Promise<PlanSummary[]> {
    const found = new Map<string, PlanSummary>();
    const unique = [...new Set(planIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((id) => ({ pk: planPk(tenantId, id), sk: PLAN_SK }));
      while (keys && keys.length > 0) {
        const out: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ProjectionExpression: 'planId, #s, summary, createdAt',
                ExpressionAttributeNames: { '#s': 'status' },
              },
            },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(item.planId as string, item as PlanSummary);
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return unique.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
  }

  /**
   * Moves one task to `to` if, and only if, it is currently in one of the allowed statuses. Of concurrent
   * callers exactly one gets `transitioned: true`.
   */
  async transitionTask(
    tenantId: string,
    planId: string,
    taskId: string,
    to: TaskStatus,
    options: TaskTransitionOptions = {},
  ): Promise<Transition<StoredPlan>> {
    const from = options.from ?? TASK_TRANSITIONS_FROM[to];
    if (from.length === 0) throw new Error(`no task may move to ${to}`);
    const at = (options.now ?? new Date()).toISOString();
    const u = new UpdateBuilder();
    const task = `${u.name('tasks')}.${u.name(taskId)}`;
    const status = `${task}.${u.name('status')}`;
    u.set(status, to);
    u.set(`${task}.${u.name('updatedAt')}`, at);
    u.set(u.name('updatedAt'), at);
    if (to === 'running') u.set(`${task}.${u.name('startedAt')}`, at, true);
    if (TERMINAL_TASK_STATUSES.includes(to)) u.set(`${task}.${u.name('completedAt')}`, at);
    if (options.resultRef !== undefined) u.set(`${task}.${u.name('resultRef')}`, options.resultRef);
    if (options.error !== undefined) u.set(`${task}.${u.name('error')}`, options.error);
    if (options.attempt !== undefined) u.set(`${task}.${u.name('attempt')}`, options.attempt);
    const condition = u.in(status, from);
    return this.update(tenantId, planId, u, condition);
  }

  /** Moves the plan to `to` if it is in one of the allowed statuses (exactly one concurrent caller wins). */
  async transitionPlan(
    tenantId: string,
    planId: string,
    to: PlanStatus,
    options: PlanTransitionOptions = {},
  ): Promise<Transition<StoredPlan>> {
    const from = options.from ?? PLAN_TRANSITIONS_FROM[to];
    if (from.length === 0) throw new Error(`no plan may move to ${to}`);
    const u = new UpdateBuilder();
    const status = u.name('status');
    u.set(status, to);
    const at = (options.now ?? new Date()).toISOString();
    u.set(u.name('updatedAt'), at);
    if (TERMINAL_PLAN_STATUSES.includes(to)) u.set(u.name('endedAt'), at, true);
    if (options.response !== undefined) u.set(u.name('response'), options.response);
    if (options.error !== undefined) u.set(u.name('error'), options.error);
    return this.update(tenantId, planId, u, u.in(status, from));
  }

  private async update(tenantId: string, planId: string, u: UpdateBuilder, condition: string): Promise<Transition<StoredPlan>> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planPk(tenantId, planId), sk: PLAN_SK },
          UpdateExpression: u.expression(),
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeNames: u.names,
          ExpressionAttributeValues: u.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { transitioned: true, record: toPlan(out.Attributes as PlanItem) };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { transitioned: false };
      throw error;
    }
  }
}
