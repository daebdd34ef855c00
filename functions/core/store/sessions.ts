// Sessions and their messages: one partition per (tenant, session), messages sorted by time.
import { GetCommand, PutCommand, QueryCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expiresAt, isConditionalCheckFailed } from './client.js';
import { MESSAGE_SK_PREFIX, messageSk, SESSION_SK, sessionPk, USER_SESSION_SK_PREFIX, userPk, userSessionSk } from './keys.js';
import type { Message, Session } from './types.js';

function toMessage(item: Message): Message {
  const { messageId, role, text, createdAt, planId, createdBy } = item;
  return { messageId, role, text, createdAt, ...(planId ? { planId } : {}), ...(createdBy ? { createdBy } : {}) };
}

/** One page of a user's sessions, newest first; `cursor` continues it (opaque to callers). */
export interface SessionPage {
  sessions: Session[];
  cursor?: Record<string, unknown>;
}

export class SessionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = 90,
  ) {}

  /** Creates the session unless it exists; returns it either way. */
  async ensureSession(tenantId: string, sessionId: string, createdBy: string, now = new Date()): Promise<{ session: Session; created: boolean }> {
    const session: Session = { tenantId, sessionId, createdBy, createdAt: now.toISOString() };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: sessionPk(tenantId, sessionId), sk: SESSION_SK, ...session, expiresAt: expiresAt(now, this.retentionDays) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      // The starter's list of sessions (GET /v1/sessions): written once, by the call that created the session.
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: userPk(tenantId, createdBy), sk: userSessionSk(session.createdAt, sessionId), ...session, expiresAt: expiresAt(now, this.retentionDays) },
        }),
      );
      return { session, created: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.getSession(tenantId, sessionId);
      return { session: existing ?? session, created: false };
    }
  }

  /**
   * The session (undefined when it does not exist yet) and its newest `newest` messages, oldest of them first,
   * in one Query: read newest-first, the session item (sk SESSION) sorts after every message (MSG#…), so it
   * comes first, then the messages.
   */
  async openSession(tenantId: string, sessionId: string, newest: number): Promise<{ session?: Session; messages: Message[] }> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': sessionPk(tenantId, sessionId) },
        ConsistentRead: true,
        ScanIndexForward: false,
        Limit: newest + 1,
      }),
    );
    let session: Session | undefined;
    const messages: Message[] = [];
    for (const item of out.Items ?? []) {
      if (item.sk === SESSION_SK) {
        const { tenantId: t, sessionId: s, createdBy, createdAt } = item as Session;
        session = { tenantId: t, sessionId: s, createdBy, createdAt };
      } else if (typeof item.sk === 'string' && item.sk.startsWith(MESSAGE_SK_PREFIX) && messages.length < newest) {
        messages.push(toMessage(item as Message));
      }
    }
    return { ...(session ? { session } : {}), messages: messages.reverse() };
  }

  async getSession(tenantId: string, sessionId: string): Promise<Session | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: sessionPk(tenantId, sessionId), sk: SESSION_SK }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { tenantId: t, sessionId: s, createdBy, createdAt } = Item as Session;
    return { tenantId: t, sessionId: s, createdBy, createdAt };
  }

  /** Appends a message; the message id makes a retried append a no-op rather than a duplicate. */
  async appendMessage(tenantId: string, sessionId: string, message: Message, now = new Date()): Promise<Message> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: sessionPk(tenantId, sessionId),
            sk: messageSk(message.createdAt, message.messageId),
            ...message,
            expiresAt: expiresAt(now, this.retentionDays),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    return message;
  }

  /**
   * Messages in the order they were written, oldest first; with `newest`, only that many of the latest (read
   * newest-first from the key order, so a long session costs one small query).
   */
  async listMessages(tenantId: string, sessionId: string, options: { newest?: number } = {}): Promise<Message[]> {
    const messages: Message[] = [];
    const pages = paginateQuery(
      { client: this.db, ...(options.newest ? { pageSize: options.newest } : {}) },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': sessionPk(tenantId, sessionId), ':prefix': MESSAGE_SK_PREFIX },
        ConsistentRead: true,
        ...(options.newest ? { ScanIndexForward: false } : {}),
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) messages.push(toMessage(item as Message));
      if (options.newest && messages.length >= options.newest) break;
    }
    return options.newest ? messages.slice(0, options.newest).reverse() : messages;
  }

  /** The sessions `subject` started in the tenant, newest first, `limit` per page. */
  async listByUser(tenantId: string, subject: string, limit: number, cursor?: Record<string, unknown>): Promise<SessionPage> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': userPk(tenantId, subject), ':prefix': USER_SESSION_SK_PREFIX },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    const sessions = (out.Items ?? []).map((item) => {
      const { tenantId: t, sessionId, createdBy, createdAt } = item as Session;
      return { tenantId: t, sessionId, createdBy, createdAt };
    });
    return { sessions, ...(out.LastEvaluatedKey ? { cursor: out.LastEvaluatedKey } : {}) };
  }

  /** Whether a page cursor was issued for this user's list (a forged or foreign cursor is refused). */
  isOwnCursor(tenantId: string, subject: string, cursor: Record<string, unknown>): boolean {
    const keys = Object.keys(cursor).sort();
    return (
      keys.join(',') === 'pk,sk' &&
      cursor.pk === userPk(tenantId, subject) &&
      typeof cursor.sk === 'string' &&
      cursor.sk.startsWith(USER_SESSION_SK_PREFIX)
    );
  }
}
