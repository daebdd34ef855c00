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
    return this.conditional({
      Key: { pk: key },
      UpdateExpression: 'SET #state = :open, openedAt = :at, openUntil = :until, failures = :empty, version = version + :one, updatedAt = :at REMOVE probeOwner, probeLeaseUntil',
      ConditionExpression: '#state = :closed',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':open': 'open', ':closed': 'closed', ':at': at, ':until': openUntil, ':empty': [], ':one': 1 },
    });
  }

  /**
   * Takes the single probe lease: from open once its timeout has passed, or from half-open when the previous
   * probe's lease expired (a crashed probe cannot wedge the breaker).
   */
  async acquireProbe(key: string, owner: string, at: number, leaseUntil: number): Promise<BreakerRecord | undefined> {
    return this.conditional({
      Key: { pk: key },
      UpdateExpression: 'SET #state = :half, probeOwner = :owner, probeLeaseUntil = :lease, version = version + :one, updatedAt = :at',
      ConditionExpression: '(#state = :open AND openUntil <= :at) OR (#state = :half AND probeLeaseUntil <= :at)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':half': 'half-open', ':open': 'open', ':owner': owner, ':lease': leaseUntil, ':at': at, ':one': 1 },
    });
  }

  /** half-open → closed after the probe succeeded; only the lease holder may close. */
  async close(key: string, owner: string, at: number): Promise<BreakerRecord | undefined> {
    return this.conditional({
      Key: { pk: key },
      UpdateExpression: 'SET #state = :closed, failures = :empty, version = version + :one, updatedAt = :at REMOVE probeOwner, probeLeaseUntil, openedAt, openUntil',
      ConditionExpression: '#state = :half AND probeOwner = :owner',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':closed': 'closed', ':half': 'half-open', ':owner': owner, ':empty': [], ':one': 1, ':at': at },
    });
  }

  /** Ends the lease without a verdict (the probe never reached the dependency): the next caller may probe. */
  async releaseProbe(key: string, owner: string, at: number): Promise<BreakerRecord | undefined> {
    return this.conditional({
      Key: { pk: key },
      UpdateExpression: 'SET probeLeaseUntil = :at, version = version + :one, updatedAt = :at REMOVE probeOwner',
      ConditionExpression: '#state = :half AND probeOwner = :owner',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':half': 'half-open', ':owner': owner, ':at': at, ':one': 1 },
    });
  }

  /** half-open → open after the probe failed; only the lease holder may reopen. */
  async reopen(key: string, owner: string, at: number, openUntil: number): Promise<BreakerRecord | undefined> {
    return this.conditional({
      Key: { pk: key },
      UpdateExpression: 'SET #state = :open, openedAt = :at, openUntil = :until, version = version + :one, updatedAt = :at REMOVE probeOwner, probeLeaseUntil',
      ConditionExpression: '#state = :half AND probeOwner = :owner',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':open': 'open', ':half': 'half-open', ':owner': owner, ':at': at, ':until': openUntil, ':one': 1 },
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
