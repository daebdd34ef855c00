// Parked rollbacks (issue 9): a compensation the execution gave up on, or a saga execution that ended without
// running its compensation, leaves a repair record in the state table; the scheduled repair sweep
// (functions/consumers/saga-repair) runs the compensations again until BC is as it was, then announces
// rollback:completed with `repaired: true`.
//
// Records (STATE_TABLE): pk `SAGA_REPAIR`, sk `<tenantId>#<taskId>` (one per saga task: parking twice merges).
//   status 'pending' → 'repaired' (announced=false → true once rollback:completed is out; then kept 30 days by TTL).
// The compensations parked are those of the stage's saga shape (shape.ts: without reservations there is no
// releaseReservations); a record is repaired by running exactly the compensations it lists.
// Two sweeps at once: each record is taken with a lease (conditional write on leaseUntil); only the lease
// holder writes the outcome, and every compensation is idempotent, so a lease lost mid-run only repeats work.
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createEvent, type EventPublisher } from '../events/index.js';
import type { ErrorInfo } from '../events/index.js';
import { deleteLines, deleteOrder, releaseReservations, type CompensationInput } from './compensations.js';
import type { SagaBc } from './documents.js';
import { COMPENSATION_ORDER, type CreatedOrder, type PurchaseOrderRequest, type SagaContext, type ValidatedOrder } from './schema.js';
import { sagaShape } from './shape.js';

export const REPAIR_PK = 'SAGA_REPAIR';
export type Compensation = (typeof COMPENSATION_ORDER)[number];
export type RepairStatus = 'pending' | 'repaired';

export interface RepairRecord {
  repairId: string;
  status: RepairStatus;
  context: SagaContext;
  order: PurchaseOrderRequest;
  validated?: ValidatedOrder;
  created?: CreatedOrder;
  executionId?: string;
  /** Why it was parked: the compensations the execution gave up on, or how the execution ended. */
  reason: string;
  /** Compensations still to run, in running order (every one runs on each attempt; they are idempotent). */
  remaining: Compensation[];
  attempts: number;
  nextAttemptAt: number;
  lastError?: ErrorInfo;
  announced?: boolean;
  createdAt: string;
  updatedAt: string;
}

export const repairIdOf = (context: Pick<SagaContext, 'tenantId' | 'taskId'>) => `${context.tenantId}#${context.taskId}`;

/** What a parked rollback starts from: the saga's state as the record keeps it, and what failed. */
export interface ParkRequest extends Pick<RepairRecord, 'context' | 'order' | 'validated' | 'created' | 'executionId' | 'reason'> {
  /** Compensations known to have failed (the repair runs all of them anyway). */
  failed: readonly string[];
}

export interface RepairStoreOptions {
  db: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
  /** The stage's saga shape (SAGA_RESERVATIONS): whether releaseReservations is one of its compensations. Default true. */
  reservations?: boolean;
}

/** The repair records in DynamoDB. */
export class RepairStore {
  private readonly now: () => number;
  /** The compensations of the stage's saga, in running order: what a parked rollback runs. */
  readonly compensationOrder: readonly Compensation[];
  constructor(private readonly options: RepairStoreOptions) {
    this.now = options.now ?? Date.now;
    this.compensationOrder = sagaShape(options.reservations ?? true).compensationOrder;
  }

  /**
   * Parks a rollback: creates the record, or (parked again by the same task) keeps the one there. A record
   * already repaired is reopened: something failed to undo after the last repair.
   */
  async park(request: ParkRequest): Promise<RepairRecord> {
    const at = this.now();
    const iso = new Date(at).toISOString();
    const repairId = repairIdOf(request.context);
    const { Attributes } = await this.options.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk: REPAIR_PK, sk: repairId },
        UpdateExpression:
          'SET repairId = :id, #status = :pending, #context = :context, #order = :order, #reason = :reason, #remaining = :remaining, ' +
          'attempts = if_not_exists(attempts, :zero), nextAttemptAt = :at, announced = :false, createdAt = if_not_exists(createdAt, :iso), updatedAt = :iso' +
          (request.validated ? ', validated = :validated' : '') +
          (request.created ? ', created = :created' : '') +
          (request.executionId ? ', executionId = :executionId' : '') +
          ' REMOVE expiresAt',
        // status, order and context are DynamoDB reserved words; reason and remaining aliased alike.
        ExpressionAttributeNames: { '#status': 'status', '#order': 'order', '#context': 'context', '#reason': 'reason', '#remaining': 'remaining' },
        ExpressionAttributeValues: {
          ':id': repairId,
          ':pending': 'pending',
          ':context': request.context,
          ':order': request.order,
          ':reason': request.reason,
          // Everything from the first failed compensation on: an earlier one succeeded and stays done.
          ':remaining': remainingFrom(request.failed, this.compensationOrder),
          ':zero': 0,
          ':at': at,
          ':false': false,
          ':iso': iso,
          ...(request.validated ? { ':validated': request.validated } : {}),
          ...(request.created ? { ':created': request.created } : {}),
          ...(request.executionId ? { ':executionId': request.executionId } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as RepairRecord;
  }

  async get(repairId: string): Promise<RepairRecord | undefined> {
    const { Item } = await this.options.db.send(new GetCommand({ TableName: this.options.tableName, Key: { pk: REPAIR_PK, sk: repairId }, ConsistentRead: true }));
    return Item as RepairRecord | undefined;
  }

  /** Up to `limit` records due now: pending ones whose next attempt is due, and repaired ones not yet announced. */
  async due(limit: number): Promise<RepairRecord[]> {
    const found: RepairRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.db.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '(#status = :pending AND nextAttemptAt <= :now) OR (#status = :repaired AND announced = :false)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pk': REPAIR_PK, ':pending': 'pending', ':repaired': 'repaired', ':false': false, ':now': this.now() },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      found.push(...((page.Items ?? []) as RepairRecord[]));
      start = page.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found.slice(0, limit);
  }

  /** Takes the record for `leaseMs`, if it is still due and nobody else holds it; undefined otherwise. */
  async lease(repairId: string, owner: string, leaseMs: number): Promise<RepairRecord | undefined> {
    const at = this.now();
    try {
      const { Attributes } = await this.options.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: REPAIR_PK, sk: repairId },
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: '(#status = :pending OR (#status = :repaired AND announced = :false)) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':owner': owner, ':until': at + leaseMs, ':pending': 'pending', ':repaired': 'repaired', ':false': false, ':now': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as RepairRecord;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  /** The lease holder's outcome; false when the lease was lost (another sweep took over). */
  async settle(repairId: string, owner: string, change: { remaining: Compensation[]; status: RepairStatus; lastError?: ErrorInfo; nextAttemptAt?: number; announced?: boolean; expiresAt?: number }): Promise<boolean> {
    const at = this.now();
    const set = ['#remaining = :remaining', '#status = :status', 'updatedAt = :iso', 'attempts = attempts + :one'];
    const values: Record<string, unknown> = { ':remaining': change.remaining, ':status': change.status, ':iso': new Date(at).toISOString(), ':one': 1, ':owner': owner };
    if (change.lastError) (set.push('lastError = :lastError'), (values[':lastError'] = change.lastError));
    if (change.nextAttemptAt !== undefined) (set.push('nextAttemptAt = :next'), (values[':next'] = change.nextAttemptAt));
    if (change.announced !== undefined) (set.push('announced = :announced'), (values[':announced'] = change.announced));
    if (change.expiresAt !== undefined) (set.push('expiresAt = :expires'), (values[':expires'] = change.expiresAt));
    try {
      await this.options.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: REPAIR_PK, sk: repairId },
          UpdateExpression: `SET ${set.join(', ')} REMOVE leaseOwner, leaseUntil`,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeNames: { '#status': 'status', '#remaining': 'remaining' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

/**
 * The compensations from the first failed one on, in running order (all of them if none is named), out of
 * `order` (the stage's compensations; every one by default).
 */
export function remainingFrom(failed: readonly string[], order: readonly Compensation[] = COMPENSATION_ORDER): Compensation[] {
  const first = order.findIndex((step) => failed.includes(step));
  return [...order.slice(first === -1 ? 0 : first)];
}

const COMPENSATION_RUNNERS: Record<Compensation, (bc: SagaBc, input: CompensationInput) => Promise<unknown>> = {
  releaseReservations,
  deleteLines,
  deleteOrder,
};

export interface RepairDeps {
  store: RepairStore;
  /** BC for compensations (not refused by an open breaker). */
  bc: SagaBc;
  publisher: EventPublisher;
  now?: () => number;
  /** How long one sweep holds a record (≥ the time its compensations may take). */
  leaseMs?: number;
  /** Backoff between attempts: base · 2^attempts, capped. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Days a repaired record is kept before DynamoDB's TTL removes it. */
  keepDays?: number;
}

export interface RepairOutcome {
  repairId: string;
  outcome: 'repaired' | 'failed' | 'announced' | 'skipped';
  error?: ErrorInfo;
}

const errorInfo = (error: unknown): ErrorInfo => {
  const e = error as { name?: string; code?: unknown; message?: string };
  return { code: typeof e.code === 'string' ? e.code : (e.name ?? 'Error'), message: e.message ?? String(error) };
};

/** Runs one due record's compensations under a lease; announces the repair once BC is as before. */
export async function repairOne(deps: RepairDeps, due: RepairRecord, owner: string = randomUUID()): Promise<RepairOutcome> {
  const now = deps.now ?? Date.now;
  const record = await deps.store.lease(due.repairId, owner, deps.leaseMs ?? 120_000);
  if (!record) return { repairId: due.repairId, outcome: 'skipped' };
  if (record.status === 'pending') {
    const input: CompensationInput = {
      context: record.context,
      order: record.order,
      ...(record.validated ? { validated: record.validated } : {}),
      ...(record.created ? { created: record.created } : {}),
    };
    const remaining = [...record.remaining];
    while (remaining.length > 0) {
      try {
        await COMPENSATION_RUNNERS[remaining[0]!](deps.bc, input);
        remaining.shift();
      } catch (error) {
        const lastError = errorInfo(error);
        const delay = Math.min((deps.retryBaseMs ?? 30_000) * 2 ** record.attempts, deps.retryMaxMs ?? 15 * 60_000);
        await deps.store.settle(record.repairId, owner, { remaining, status: 'pending', lastError, nextAttemptAt: now() + delay });
        return { repairId: record.repairId, outcome: 'failed', error: lastError };
      }
    }
    const keep = Math.floor(now() / 1000) + (deps.keepDays ?? 30) * 86_400;
    if (!(await deps.store.settle(record.repairId, owner, { remaining: [], status: 'repaired', announced: false, expiresAt: keep }))) {
      return { repairId: record.repairId, outcome: 'skipped' };
    }
    // Announce under a fresh lease: the settle above released it.
    const again = await deps.store.lease(record.repairId, owner, deps.leaseMs ?? 120_000);
    if (!again) return { repairId: record.repairId, outcome: 'repaired' };
  }
  await announce(deps, record);
  await deps.store.settle(record.repairId, owner, { remaining: [], status: 'repaired', announced: true });
  return { repairId: record.repairId, outcome: record.status === 'pending' ? 'repaired' : 'announced' };
}

async function announce(deps: RepairDeps, record: RepairRecord): Promise<void> {
  const event = createEvent(
    'rollback:completed',
    {
      ...(record.executionId ? { executionId: record.executionId } : {}),
      status: 'succeeded',
      compensated: [...deps.store.compensationOrder],
      failed: [],
      repaired: true,
      repairId: record.repairId,
    },
    { ...record.context, causationId: record.context.taskId },
  );
  await deps.publisher.publish([event]);
}

/** One sweep over the due records (bounded by `limit`). */
export async function repairDue(deps: RepairDeps, limit = 25): Promise<RepairOutcome[]> {
  const owner = randomUUID();
  const outcomes: RepairOutcome[] = [];
  for (const record of await deps.store.due(limit)) outcomes.push(await repairOne(deps, record, owner));
  return outcomes;
}
