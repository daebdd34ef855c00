// The breaker record in DynamoDB: one item per dependency key. Every transition is a conditional write, so
// concurrent Lambdas agree on one outcome and exactly one of them reports it.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerRecord {
  state: BreakerState;
  /** Epoch ms of failures counted while closed (trimmed to the rolling window). */
  failures: number[];
  openedAt?: number;
  openUntil?: number;
  probeOwner?: string;
  probeLeaseUntil?: number;
  version: number;
}

const CLOSED: BreakerRecord = { state: 'closed', failures: [], version: 0 };

function toRecord(item: Record<string, unknown> | undefined): BreakerRecord {
  if (!item) return CLOSED;
  return {
    state: (item.state as BreakerState | undefined) ?? 'closed',
    failures: Array.isArray(item.failures) ? (item.failures as number[]) : [],
    openedAt: item.openedAt as number | undefined,
    openUntil: item.openUntil as number | undefined,
    probeOwner: item.probeOwner as string | undefined,
    probeLeaseUntil: item.probeLeaseUntil as number | undefined,
    version: typeof item.version === 'number' ? item.version : 0,
  };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export class BreakerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(key: string): Promise<BreakerRecord> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }));
    return toRecord(Item);
  }

  /** Appends a failure while closed; undefined when the breaker is no longer closed (nothing to count). */
  async appendFailure(key: string, at: number): Promise<BreakerRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression:
            'SET failures = list_append(if_not_exists(failures, :empty), :at), version = if_not_exists(version, :zero) + :one, #state = if_not_exists(#state, :closed), updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(#state) OR #state = :closed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':empty': [], ':at': [at], ':zero': 0, ':one': 1, ':closed': 'closed', ':now': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Drops failures older than the window, if nobody changed the record meanwhile (best effort). */
  async trimFailures(key: string, version: number, keep: number[]): Promise<void> {
    await this.conditional({
      Key: { pk: key },
      UpdateExpression: 'SET failures = :keep, version = version + :one',
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':keep': keep, ':one': 1, ':version': version },
    });
  }

  /** closed → open; true only for the caller whose write made the transition. */
  async open(key: string, at: number, openUntil: number): Promise<BreakerRecord | undefined> {
    return this.transition(key, at, {
      set: '#state = :open, openedAt = :at, openUntil = :until, failures = :empty',
      remove: 'probeOwner, probeLeaseUntil',
      condition: '#state = :closed',
      values: { ':open': 'open', ':closed': 'closed', ':until': openUntil, ':empty': [] },
    });
  }

  /**
   * Takes the single probe lease: from open once its timeout has passed, or from half-open when the previous
   * probe's lease expired (a crashed probe cannot wedge the breaker).
   */
  async acquireProbe(key: string, owner: string, at: number, leaseUntil: number): Promise<BreakerRecord | undefined> {
    return this.transition(key, at, {
      set: '#state = :half, probeOwner = :owner, probeLeaseUntil = :lease',
      condition: '(#state = :open AND openUntil <= :at) OR (#state = :half AND probeLeaseUntil <= :at)',
      values: { ':half': 'half-open', ':open': 'open', ':owner': owner, ':lease': leaseUntil },
    });
  }

  /** half-open → closed after the probe succeeded; only the lease holder may close. */
  async close(key: string, owner: string, at: number): Promise<BreakerRecord | undefined> {
    return this.transition(key, at, {
      set: '#state = :closed, failures = :empty',
      remove: 'probeOwner, probeLeaseUntil, openedAt, openUntil',
      condition: '#state = :half AND probeOwner = :owner',
      values: { ':closed': 'closed', ':half': 'half-open', ':owner': owner, ':empty': [] },
    });
  }

  /** Ends the lease without a verdict (the probe never reached the dependency): the next caller may probe. */
  async releaseProbe(key: string, owner: string, at: number): Promise<BreakerRecord | undefined> {
    return this.transition(key, at, {
      set: 'probeLeaseUntil = :at',
      remove: 'probeOwner',
      condition: '#state = :half AND probeOwner = :owner',
      values: { ':half': 'half-open', ':owner': owner },
    });
  }

  /** half-open → open after the probe failed; only the lease holder may reopen. */
  async reopen(key: string, owner: string, at: number, openUntil: number): Promise<BreakerRecord | undefined> {
    return this.transition(key, at, {
      set: '#state = :open, openedAt = :at, openUntil = :until',
      remove: 'probeOwner, probeLeaseUntil',
      condition: '#state = :half AND probeOwner = :owner',
      values: { ':open': 'open', ':half': 'half-open', ':owner': owner, ':until': openUntil },
    });
  }

  /**
   * A state transition at `at`: its `set` and `remove` clauses, plus what every transition writes (the version bump
   * and updatedAt), if `condition` holds. `#state` names the state attribute; `:at` is the time.
   */
  private transition(key: string, at: number, change: { set: string; remove?: string; condition: string; values: Record<string, unknown> }): Promise<BreakerRecord | undefined> {
    return this.conditional({
      Key: { pk: key },
      UpdateExpression: `SET ${change.set}, version = version + :one, updatedAt = :at${change.remove ? ` REMOVE ${change.remove}` : ''}`,
      ConditionExpression: change.condition,
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ...change.values, ':at': at, ':one': 1 },
    });
  }

  private async conditional(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'ReturnValues'>): Promise<BreakerRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(new UpdateCommand({ ...input, TableName: this.tableName, ReturnValues: 'ALL_NEW' }));
      return toRecord(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
