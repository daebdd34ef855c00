// Plans and their tasks. A plan and its tasks are one item, so writing them is atomic by construction (one
// conditional put) and every task transition is a conditional update of that item — no transaction needed,
// which also keeps the code identical on DynamoDB and on the local endpoint.
import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, paginateQuery, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expiresAt, isConditionalCheckFailed } from './client.js';
import { PLAN_SK, planPk, SWEEP_INDEX, SWEEP_SHARDS, sweepPk, sweepShardOf } from './keys.js';
import {
  PLAN_TRANSITIONS_FROM,
  TASK_TRANSITIONS_FROM,
  TERMINAL_PLAN_STATUSES,
  TERMINAL_TASK_STATUSES,
  type ErrorInfo,
  type NewPlan,
  type PlanStatus,
  type PlanSummary,
  type RetryNote,
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
  /** Index bySweepAt (keys.ts): present only while the plan is not final. */
  sweepPk?: string;
  sweepAt?: string;
  /** Who announces the ended plan holds this claim until then (claimAnnouncement). */
  announceBy?: string;
}

/** A newly created plan is first looked at by the plan sweeper this long after its creation. */
export const FIRST_SWEEP_SECONDS = 60;

/**
 * Results up to this size are kept on their task in the plan item, written by the transition that records
 * the task's end (no result items, no read to use them); larger ones are stored beside the plan (ResultStore).
 * 50 tasks × 8 KB stays near the 400 KB item limit; a plan that would pass it stores the result instead
 * (PlanItemTooLargeError).
 */
export const INLINE_RESULT_BYTES = 8 * 1024;

/** The change would make the plan item larger than DynamoDB's 400 KB: store the result beside the plan instead. */
export class PlanItemTooLargeError extends Error {
  override readonly name = 'PlanItemTooLargeError';
}

/** DynamoDB's (and dynalite's) refusal of an item over 400 KB. */
function isItemTooLarge(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | null;
  return e?.name === 'ValidationException' && /item size/i.test(e.message ?? '');
}

/** How a conditional write ended: the plan after it (ALL_NEW) or before it (ALL_OLD), or nothing. */
type Returned = 'ALL_NEW' | 'ALL_OLD' | 'NONE';

/** A live plan as the sweep index lists it. */
export interface SweepEntry {
  tenantId: string;
  planId: string;
  sweepAt: string;
}

export class PlanConflictError extends Error {
  override readonly name = 'PlanConflictError';
}

export interface TaskTransitionOptions {
  /** Statuses the task may be in for this change; defaults to every allowed predecessor of `to`. */
  from?: readonly TaskStatus[];
  /** A small result kept on the task itself (see INLINE_RESULT_BYTES); exclusive with `resultRef`. */
  result?: unknown;
  resultRef?: string;
  error?: ErrorInfo;
  attempt?: number;
  /** Only if the task's updatedAt is still this (it made no progress since the caller read it). */
  unchangedSince?: string;
  /** Only while the plan has not ended (a worker starting a task it has not read first). */
  whilePlanLive?: boolean;
  now?: Date;
}

export interface PlanTransitionOptions {
  from?: readonly PlanStatus[];
  response?: string;
  error?: ErrorInfo;
  /** Ending the plan: the caller announces the end, and holds the claim until then (see claimAnnouncement). */
  announceBy?: Date;
  now?: Date;
}

/**
 * How long a claim to announce a plan's end holds: shorter than the plan sweeper's first look at an ended
 * plan (FIRST_SWEEP_SECONDS), so an announcer that died is replaced by the sweeper.
 */
export const ANNOUNCE_CLAIM_SECONDS = 30;

function toPlan(item: PlanItem): StoredPlan {
  const { pk: _pk, sk: _sk, tasks, taskOrder, expiresAt: _ttl, sweepPk: _sweepPk, sweepAt: _sweepAt, announceBy: _announceBy, ...plan } = item;
  return { ...plan, tasks: taskOrder.map((id) => tasks[id]!).filter(Boolean) };
}

/** Builds `SET a = :a, b = :b` with every name aliased (several are DynamoDB reserved words). */
class UpdateBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
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
  add(path: string, value: number): void {
    const v = this.value(value);
    const zero = this.value(0);
    this.sets.push(`${path} = if_not_exists(${path}, ${zero}) + ${v}`);
  }
  remove(path: string): void {
    this.removes.push(path);
  }
  in(path: string, options: readonly string[]): string {
    return `${path} IN (${options.map((o) => this.value(o)).join(', ')})`;
  }
  expression(): string {
    const set = this.sets.length > 0 ? `SET ${this.sets.join(', ')}` : '';
    const remove = this.removes.length > 0 ? `REMOVE ${this.removes.join(', ')}` : '';
    return [set, remove].filter(Boolean).join(' ');
  }
}

/**
 * Sets one task's status at `at`, with the task's and the plan's updatedAt (and startedAt, once, when it starts
 * running); gives the task's and its status's attribute paths for the rest of the update.
 */
function setTaskStatus(u: UpdateBuilder, taskId: string, to: TaskStatus, at: string): { task: string; status: string } {
  const task = `${u.name('tasks')}.${u.name(taskId)}`;
  const status = `${task}.${u.name('status')}`;
  u.set(status, to);
  u.set(`${task}.${u.name('updatedAt')}`, at);
  u.set(u.name('updatedAt'), at);
  if (to === 'running') u.set(`${task}.${u.name('startedAt')}`, at, true);
  return { task, status };
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
      // Into the sweep index at once: a plan whose orchestrator dies right after this put is still found.
      ...(TERMINAL_PLAN_STATUSES.includes(plan.status)
        ? {}
        : { sweepPk: sweepPk(sweepShardOf(tenantId, plan.planId)), sweepAt: new Date(now.getTime() + FIRST_SWEEP_SECONDS * 1000).toISOString() }),
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
    const { task, status } = setTaskStatus(u, taskId, to, at);
    if (TERMINAL_TASK_STATUSES.includes(to)) u.set(`${task}.${u.name('completedAt')}`, at);
    if (options.result !== undefined) u.set(`${task}.${u.name('result')}`, options.result);
    if (options.resultRef !== undefined) u.set(`${task}.${u.name('resultRef')}`, options.resultRef);
    if (options.error !== undefined) u.set(`${task}.${u.name('error')}`, options.error);
    if (options.attempt !== undefined) u.set(`${task}.${u.name('attempt')}`, options.attempt);
    let condition = u.in(status, from);
    if (options.unchangedSince !== undefined) condition += ` AND ${task}.${u.name('updatedAt')} = ${u.value(options.unchangedSince)}`;
    if (options.whilePlanLive) condition += ` AND NOT (${u.in(u.name('status'), TERMINAL_PLAN_STATUSES)})`;
    return this.update(tenantId, planId, u, condition);
  }

  /**
   * A worker starts a task without reading the plan first: one conditional write moves it to running (from
   * one of `from`, while the plan is live) and takes the task's run lease until `leaseUntil`, and returns the
   * plan as it was before, so the caller knows the task's previous status. A task already running is taken
   * over only once its lease has lapsed (its worker died, or gave it back for a retry: noteRetry), so two
   * deliveries of one task never run it at the same time. Untransitioned: unknown, not runnable, being run,
   * or its plan ended.
   */
  async startTask(
    tenantId: string,
    planId: string,
    taskId: string,
    from: readonly TaskStatus[],
    attempt: number,
    leaseUntil: Date,
    now = new Date(),
  ): Promise<Transition<StoredPlan>> {
    const u = new UpdateBuilder();
    const at = now.toISOString();
    const { task, status } = setTaskStatus(u, taskId, 'running', at);
    const lease = `${task}.${u.name('leaseUntil')}`;
    u.set(`${task}.${u.name('attempt')}`, attempt);
    u.set(lease, leaseUntil.toISOString());
    const free = `(${status} <> ${u.value('running')} OR attribute_not_exists(${lease}) OR ${lease} < ${u.value(at)})`;
    const condition = `${u.in(status, from)} AND ${free} AND NOT (${u.in(u.name('status'), TERMINAL_PLAN_STATUSES)})`;
    return this.update(tenantId, planId, u, condition, 'ALL_OLD');
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
    if (TERMINAL_PLAN_STATUSES.includes(to)) {
      u.set(u.name('endedAt'), at, true);
      // An ended plan stays in the sweep index until its end is announced (leaveSweep): if the announcement
      // is lost (a crash right after this write), the sweeper finds the plan and makes it good.
      u.set(u.name('sweepAt'), new Date(Date.parse(at) + FIRST_SWEEP_SECONDS * 1000).toISOString());
    }
    if (options.response !== undefined) u.set(u.name('response'), options.response);
    if (options.error !== undefined) u.set(u.name('error'), options.error);
    if (options.announceBy !== undefined) u.set(u.name('announceBy'), options.announceBy.toISOString());
    return this.update(tenantId, planId, u, u.in(status, from));
  }

  /**
   * The right to announce an ended plan's end (answer message, agent:completed or agent:error), held in the
   * plan item until `until`: granted when the end is not announced yet (the plan is still in the sweep index)
   * and nobody holds an unexpired claim. The transition that ends a plan takes it in the same write
   * (`announceBy`); this is for whoever finds an ended plan unannounced later (a retry, the sweeper).
   */
  async claimAnnouncement(tenantId: string, planId: string, until: Date, now = new Date()): Promise<boolean> {
    const u = new UpdateBuilder();
    const claim = u.name('announceBy');
    u.set(claim, until.toISOString());
    const condition = `attribute_exists(${u.name('sweepPk')}) AND ${u.in(u.name('status'), TERMINAL_PLAN_STATUSES)} AND (attribute_not_exists(${claim}) OR ${claim} < ${u.value(now.toISOString())})`;
    return (await this.update(tenantId, planId, u, condition, 'NONE')).transitioned;
  }

  /** Gives a claim back after an announcement failed, so the event's retry announces at once. */
  async releaseAnnouncement(tenantId: string, planId: string, until: Date): Promise<void> {
    const u = new UpdateBuilder();
    const claim = u.name('announceBy');
    u.remove(claim);
    await this.update(tenantId, planId, u, `${claim} = ${u.value(until.toISOString())}`, 'NONE');
  }

  /**
   * Puts a task this caller dispatched back to pending after its task:created could not be published, so the
   * event's retry dispatches it again (only if nothing happened to it since: same status and updatedAt).
   */
  async undispatch(tenantId: string, planId: string, taskId: string, dispatchedAt: string): Promise<boolean> {
    const u = new UpdateBuilder();
    const task = `${u.name('tasks')}.${u.name(taskId)}`;
    u.set(`${task}.${u.name('status')}`, 'pending');
    const condition = `${task}.${u.name('status')} = ${u.value('dispatched')} AND ${task}.${u.name('updatedAt')} = ${u.value(dispatchedAt)}`;
    return (await this.update(tenantId, planId, u, condition, 'NONE')).transitioned;
  }

  /**
   * Live plans the sweeper should look at by `now` (sweepAt ≤ now), oldest first, one Query per shard and
   * page of the sparse index bySweepAt; at most `limit`.
   */
  async dueForSweep(now: Date, limit: number): Promise<SweepEntry[]> {
    const due: SweepEntry[] = [];
    for (let shard = 0; shard < SWEEP_SHARDS && due.length < limit; shard++) {
      const pages = paginateQuery(
        { client: this.db, pageSize: Math.min(limit, 100) },
        {
          TableName: this.tableName,
          IndexName: SWEEP_INDEX,
          KeyConditionExpression: 'sweepPk = :pk AND sweepAt <= :now',
          ExpressionAttributeValues: { ':pk': sweepPk(shard), ':now': now.toISOString() },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          due.push({ tenantId: item.tenantId as string, planId: item.planId as string, sweepAt: item.sweepAt as string });
          if (due.length >= limit) break;
        }
        if (due.length >= limit) break;
      }
    }
    return due;
  }

  /**
   * Sets when the sweeper looks at a live plan next. Conditional on the plan still being live and in the
   * index, so it never puts an ended plan back; returns false when it was not.
   */
  async scheduleSweep(tenantId: string, planId: string, at: Date): Promise<boolean> {
    const u = new UpdateBuilder();
    u.set(u.name('sweepAt'), at.toISOString());
    const condition = `attribute_exists(${u.name('sweepPk')}) AND NOT (${u.in(u.name('status'), TERMINAL_PLAN_STATUSES)})`;
    return (await this.update(tenantId, planId, u, condition, 'NONE')).transitioned;
  }

  /** Takes an ended (and announced) plan out of the sweep index; a no-op if it is not there. */
  async leaveSweep(tenantId: string, planId: string): Promise<void> {
    const u = new UpdateBuilder();
    u.remove(u.name('sweepPk'));
    u.remove(u.name('sweepAt'));
    u.remove(u.name('announceBy'));
    const condition = `attribute_exists(${u.name('sweepPk')}) AND ${u.in(u.name('status'), TERMINAL_PLAN_STATUSES)}`;
    await this.update(tenantId, planId, u, condition, 'NONE');
  }

  /**
   * Puts a task that is still as the sweeper saw it (same status and updatedAt) back to `dispatched`, counts
   * the re-dispatch and restarts its clock. Of concurrent sweepers exactly one wins (`transitioned`).
   */
  async markRedispatched(tenantId: string, planId: string, task: Pick<StoredTask, 'id' | 'status' | 'updatedAt'>, now = new Date()): Promise<Transition<StoredPlan>> {
    const u = new UpdateBuilder();
    const path = `${u.name('tasks')}.${u.name(task.id)}`;
    const at = now.toISOString();
    u.set(`${path}.${u.name('status')}`, 'dispatched');
    u.add(`${path}.${u.name('redispatches')}`, 1);
    u.set(`${path}.${u.name('updatedAt')}`, at);
    u.set(u.name('updatedAt'), at);
    const condition = `${path}.${u.name('status')} = ${u.value(task.status)} AND ${path}.${u.name('updatedAt')} = ${u.value(task.updatedAt)}`;
    return this.update(tenantId, planId, u, condition);
  }

  /**
   * Keeps a transient failure's retry notice on the task (the plan view shows it as the task's statusReason)
   * while the task is still running that attempt, and gives its run lease back so the retry may start it;
   * false when it moved on meanwhile.
   */
  async noteRetry(tenantId: string, planId: string, taskId: string, note: RetryNote): Promise<boolean> {
    const u = new UpdateBuilder();
    const task = `${u.name('tasks')}.${u.name(taskId)}`;
    u.set(`${task}.${u.name('retry')}`, note);
    u.remove(`${task}.${u.name('leaseUntil')}`);
    const condition = `${task}.${u.name('status')} = ${u.value('running')} AND ${task}.${u.name('attempt')} = ${u.value(note.attempt)}`;
    return (await this.update(tenantId, planId, u, condition, 'NONE')).transitioned;
  }

  private async update(tenantId: string, planId: string, u: UpdateBuilder, condition: string, returnValues: Returned = 'ALL_NEW'): Promise<Transition<StoredPlan>> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planPk(tenantId, planId), sk: PLAN_SK },
          UpdateExpression: u.expression(),
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeNames: u.names,
          ExpressionAttributeValues: u.values,
          ReturnValues: returnValues,
        }),
      );
      return { transitioned: true, ...(out.Attributes ? { record: toPlan(out.Attributes as PlanItem) } : {}) };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { transitioned: false };
      if (isItemTooLarge(error)) throw new PlanItemTooLargeError(`plan ${planId} would pass the item size limit`, { cause: error });
      throw error;
    }
  }
}
