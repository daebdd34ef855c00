// The shared budget in DynamoDB: one item per BC environment and identity (pk `CAPACITY#<scope>`, sk `GOVERNOR`,
// in STATE_TABLE or BC_GOVERNOR_TABLE), changed only by a conditional write on its version. A container first
// writes against the copy it last saw (one call when nobody else wrote since), and reads only after losing. When
// such blind writes keep losing (other containers write in between), it reads first instead: a lost write costs a
// call and write capacity for nothing.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CapacityState } from './state.js';

export const CAPACITY_SK = 'GOVERNOR';

export function capacityPk(scope: string): string {
  return `CAPACITY#${scope}`;
}

/** DynamoDB calls made, by kind (the bench reports calls per governed BC request). */
export interface StoreCounters {
  reads: number;
  writes: number;
  conflicts: number;
}

/** Other containers kept winning the race for the item: nothing was taken, look again shortly. */
export class CapacityContention extends Error {
  override readonly name = 'CapacityContention';
}

export class CapacityStore {
  readonly counters: StoreCounters = { reads: 0, writes: 0, conflicts: 0 };
  private cached?: CapacityState;
  /** Whether the cached copy is likely current: false after a write against it lost, true again once a read finds nobody wrote. */
  private trustCache = true;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly scope: string,
  ) {}

  async read(): Promise<CapacityState | undefined> {
    this.counters.reads++;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: capacityPk(this.scope), sk: CAPACITY_SK }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...state } = Item;
    return state as CapacityState;
  }

  /**
   * Applies `change` to the current state (or `initial()` when there is none) with a version condition,
   * retrying on a lost race; returns what `change` returned along with the written state.
   */
  async update<T>(
    initial: () => CapacityState,
    change: (state: CapacityState) => { state: CapacityState; result: T; write?: boolean },
    maxAttempts = 8,
  ): Promise<T> {
    let current = this.trustCache ? this.cached : undefined;
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      if (current === undefined) {
        const known = this.cached?.version;
        current = (await this.read()) ?? initial();
        fresh = true;
        if (known !== undefined && current.version === known) this.trustCache = true;
      }
      const { state, result, write } = change(current);
      if (write === false) {
        // Nothing to write: the answer stands if it came from a fresh read; from the cache it may be stale.
        if (fresh) {
          this.cached = current;
          return result;
        }
        current = undefined;
        continue;
      }
      try {
        this.counters.writes++;
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: capacityPk(this.scope), sk: CAPACITY_SK, ...state },
            ConditionExpression: current.version === 0 ? 'attribute_not_exists(pk) OR version = :v' : 'version = :v',
            ExpressionAttributeValues: { ':v': current.version },
          }),
        );
        this.cached = state;
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) && (error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
        this.counters.conflicts++;
        if (!fresh) this.trustCache = false;
        current = undefined;
        if (attempt >= maxAttempts) throw new CapacityContention(`BC capacity item ${this.scope} kept changing under ${maxAttempts} attempts to update it`);
      }
    }
  }
}
