// The connections table of the WebSocket API (docs/internals.md):
//
//   connectionId <id>   sk CONNECTION                 who connected: tenantId, sub, connectedAt
//                       sk SESSION#<tenant>#<session> one subscription, carries sessionKey
//   every item: expiresAt (TTL) = connectedAt + API Gateway's 2-hour connection limit + a margin
//
// Index `bySession` (sparse, subscription items only): sessionKey `<tenant>#<session>` → the connections to
// push a session's events to. The tenant is part of the key, so an event reaches only its own tenant's
// subscribers whatever session id another tenant chose.
import { BatchWriteCommand, GetCommand, PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isSafeId } from '../store/index.js';

export const CONNECTION_SK = 'CONNECTION';
export const SESSION_INDEX = 'bySession';
/** API Gateway closes a WebSocket connection after 2 hours; records outlive that by a margin, then TTL removes them. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 15 * 60;

export const sessionKey = (tenantId: string, sessionId: string): string => `${tenantId}#${sessionId}`;
const subscriptionSk = (tenantId: string, sessionId: string): string => `SESSION#${sessionKey(tenantId, sessionId)}`;

export interface ConnectionRecord {
  connectionId: string;
  tenantId: string;
  sub: string;
  connectedAt: string;
}

export class ConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private expiresAt(): number {
    return Math.floor(this.now().getTime() / 1000) + CONNECTION_TTL_SECONDS;
  }

  async putConnection(record: ConnectionRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...record, sk: CONNECTION_SK, expiresAt: this.expiresAt() } }),
    );
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { connectionId, sk: CONNECTION_SK }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { tenantId, sub, connectedAt } = Item as ConnectionRecord;
    return { connectionId, tenantId, sub, connectedAt };
  }

  /** The sessions a connection is subscribed to. */
  async subscriptionsOf(connectionId: string): Promise<string[]> {
    const keys = await this.keysOf(connectionId);
    return keys.filter((key) => key.sk !== CONNECTION_SK).map((key) => key.sk.slice('SESSION#'.length));
  }

  /** Subscribes a connection to one of its tenant's sessions; idempotent. */
  async subscribe(connection: ConnectionRecord, sessionId: string): Promise<void> {
    if (!isSafeId(sessionId)) throw new Error(`invalid sessionId "${sessionId}"`);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          connectionId: connection.connectionId,
          sk: subscriptionSk(connection.tenantId, sessionId),
          sessionKey: sessionKey(connection.tenantId, sessionId),
          expiresAt: this.expiresAt(),
        },
      }),
    );
  }

  /** The connections subscribed to a tenant's session (the index is eventually consistent, like API Gateway's own view). */
  async subscribersOf(tenantId: string, sessionId: string): Promise<string[]> {
    const ids = new Set<string>();
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: SESSION_INDEX,
        KeyConditionExpression: 'sessionKey = :key',
        ExpressionAttributeValues: { ':key': sessionKey(tenantId, sessionId) },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) ids.add(String(item.connectionId));
    return [...ids];
  }

  /** Removes a connection and its subscriptions ($disconnect, or a post that found it gone). */
  async removeConnection(connectionId: string): Promise<number> {
    const keys = await this.keysOf(connectionId);
    for (let i = 0; i < keys.length; i += 25) {
      let requests: Record<string, unknown>[] = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      // BatchWrite may hand back unprocessed deletes under load: send them again until none remain.
      for (let round = 0; requests.length > 0; round += 1) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const { UnprocessedItems } = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
        if (round > 8) throw new Error(`could not remove connection ${connectionId}: deletes stayed unprocessed`);
      }
    }
    return keys.length;
  }

  private async keysOf(connectionId: string): Promise<Array<{ connectionId: string; sk: string }>> {
    const keys: Array<{ connectionId: string; sk: string }> = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'connectionId = :id',
        ExpressionAttributeValues: { ':id': connectionId },
        ProjectionExpression: 'connectionId, sk',
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) keys.push({ connectionId, sk: String(item.sk) });
    return keys;
  }
}
