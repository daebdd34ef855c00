// Where a person's delegated BC grant waits between the message that created it and the work that uses it: one
// item per tenant and user in the delegations table, the refresh token sealed (envelope.ts), with a DynamoDB TTL.
// An item past its expiry is treated as absent even before DynamoDB's sweep deletes it.
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SealedSecret } from './envelope.js';

export interface StoredDelegation {
  tenantId: string;
  userId: string;
  refreshToken: SealedSecret;
  /** ISO time of the on-behalf-of exchange. */
  grantedAt: string;
  /** Epoch seconds; the table's TTL attribute. */
  expiresAt: number;
}

export interface DelegationStore {
  put(delegation: StoredDelegation): Promise<void>;
  get(tenantId: string, userId: string, nowMs: number): Promise<StoredDelegation | undefined>;
  delete(tenantId: string, userId: string): Promise<void>;
}

const keyOf = (tenantId: string, userId: string) => ({ pk: `DELEGATION#${tenantId}#${userId}` });

export function dynamoDelegationStore(db: DynamoDBDocumentClient, tableName: string): DelegationStore {
  return {
    async put(delegation) {
      await db.send(new PutCommand({ TableName: tableName, Item: { ...keyOf(delegation.tenantId, delegation.userId), ...delegation } }));
    },
    async get(tenantId, userId, nowMs) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: keyOf(tenantId, userId), ConsistentRead: true }));
      if (!Item || typeof Item.expiresAt !== 'number' || Item.expiresAt * 1000 <= nowMs) return undefined;
      return { tenantId, userId, refreshToken: Item.refreshToken as SealedSecret, grantedAt: String(Item.grantedAt), expiresAt: Item.expiresAt };
    },
    async delete(tenantId, userId) {
      await db.send(new DeleteCommand({ TableName: tableName, Key: keyOf(tenantId, userId) }));
    },
  };
}
