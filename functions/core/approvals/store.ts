// APPROVALS_TABLE access. Every change of status is a conditional write from `pending`, so of two concurrent
// deciders exactly one wins and a decision, once made, is final.
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../store/index.js';
import {
  approvalKey,
  approvalStatusKey,
  fromItem,
  toItem,
  type ApprovalRecord,
  type ApprovalStatus,
  type DecidedStatus,
} from './record.js';

/** A filtered list reads at most this many pages of this many items (a bounded read, whatever the filter drops). */
const MAX_LIST_PAGES = 10;
const MAX_LIST_PAGE_ITEMS = 500;

export interface DecisionFields {
  status: DecidedStatus;
  decidedBy: string;
  decidedAt: string;
  decisionEventId: string;
  reason?: string;
  autoApprovedBy?: string;
}

export class ApprovalStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates the record unless one with its id exists: true when this call created it. */
  async create(record: ApprovalRecord): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(tenantId: string, approvalId: string): Promise<ApprovalRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: approvalKey(tenantId, approvalId), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  /**
   * A tenant's approvals in one status, oldest request first, at most `limit`; without those `excludeRequestedBy`
   * asked for (filtered in DynamoDB, so they do not crowd out the rest), reading at most MAX_LIST_PAGES pages.
   */
  listByStatus(tenantId: string, status: ApprovalStatus, limit: number, excludeRequestedBy?: string): Promise<ApprovalRecord[]> {
    return this.queryByStatus(tenantId, status, limit, excludeRequestedBy === undefined ? undefined : { operator: '<>', requestedBy: excludeRequestedBy });
  }

  /**
   * A tenant's approvals in one status that `requestedBy` asked for, oldest request first, at most `limit`
   * (filtered in DynamoDB, reading at most MAX_LIST_PAGES pages).
   */
  listRequestedBy(tenantId: string, status: ApprovalStatus, requestedBy: string, limit: number): Promise<ApprovalRecord[]> {
    return this.queryByStatus(tenantId, status, limit, { operator: '=', requestedBy });
  }

  private async queryByStatus(
    tenantId: string,
    status: ApprovalStatus,
    limit: number,
    requester?: { operator: '=' | '<>'; requestedBy: string },
  ): Promise<ApprovalRecord[]> {
    const records: ApprovalRecord[] = [];
    let start: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byStatus',
          KeyConditionExpression: 'gsi1pk = :pk',
          ...(requester ? { FilterExpression: `requestedBy ${requester.operator} :requester` } : {}),
          ExpressionAttributeValues: {
            ':pk': approvalStatusKey(tenantId, status),
            ...(requester ? { ':requester': requester.requestedBy } : {}),
          },
          // A filtered page may hold fewer matches than it read: read whole pages until `limit` matched.
          Limit: requester ? MAX_LIST_PAGE_ITEMS : limit - records.length,
          ExclusiveStartKey: start,
        }),
      );
      records.push(...(page.Items ?? []).map(fromItem).slice(0, limit - records.length));
      start = page.LastEvaluatedKey;
    } while (start && records.length < limit && ++pages < MAX_LIST_PAGES);
    return records;
  }

  /**
   * Records a decision if the approval is still pending and, for a person's decision, still within its
   * deadline; an expiry only once the deadline has passed. The updated record, or undefined if it was not
   * pending (or the deadline test failed): the caller re-reads to see why.
   */
  async decide(record: ApprovalRecord, fields: DecisionFields, now: Date): Promise<ApprovalRecord | undefined> {
    const values: Record<string, unknown> = {
      ':status': fields.status,
      ':gsi1pk': approvalStatusKey(record.tenantId, fields.status),
      ':decidedBy': fields.decidedBy,
      ':decidedAt': fields.decidedAt,
      ':eventId': fields.decisionEventId,
      ':pending': 'pending',
      ':now': Math.floor(now.getTime() / 1000),
    };
    const sets = ['#status = :status', 'gsi1pk = :gsi1pk', 'decidedBy = :decidedBy', 'decidedAt = :decidedAt', 'decisionEventId = :eventId'];
    if (fields.reason) {
      sets.push('reason = :reason');
      values[':reason'] = fields.reason;
    }
    if (fields.autoApprovedBy) {
      sets.push('autoApprovedBy = :auto');
      values[':auto'] = fields.autoApprovedBy;
    }
    const deadline = fields.status === 'expired' ? 'expiresAt <= :now' : 'expiresAt > :now';
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(record.tenantId, record.approvalId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `#status = :pending AND ${deadline}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * Closes an approval whose waiter is gone (it is `from`, pending or just granted): it becomes `expired` with
   * `closedReason`, and counts as told (there is nothing to tell). The updated record, or undefined if it
   * changed meanwhile.
   */
  async close(record: ApprovalRecord, from: 'pending' | 'granted', reason: string, now: Date): Promise<ApprovalRecord | undefined> {
    const at = now.toISOString();
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(record.tenantId, record.approvalId),
          UpdateExpression: 'SET #status = :expired, gsi1pk = :gsi1pk, closedReason = :reason, decidedAt = if_not_exists(decidedAt, :at), decidedBy = if_not_exists(decidedBy, :by), toldAt = :at',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':expired': 'expired',
            ':gsi1pk': approvalStatusKey(record.tenantId, 'expired'),
            ':reason': reason,
            ':at': at,
            ':by': 'system:waiter-gone',
            ':from': from,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** A retried saga step waits on a new task token: it replaces the old one while the approval is pending. */
  async replaceTaskToken(record: ApprovalRecord, taskToken: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(record.tenantId, record.approvalId),
          UpdateExpression: 'SET taskToken = :token',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': taskToken, ':pending': 'pending' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Records that the decision was announced, so the sweep stops retrying it. */
  async markTold(record: ApprovalRecord, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: approvalKey(record.tenantId, record.approvalId),
        UpdateExpression: 'SET toldAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at.toISOString() },
      }),
    ).catch((error: unknown) => {
      // Deleted by TTL meanwhile: nothing left to mark.
      if (!isConditionalCheckFailed(error)) throw error;
    });
  }

  /**
   * What the sweep must act on, in every tenant: pending approvals whose deadline has passed, and decisions
   * recorded before `settledBefore` that were never announced (their decider failed midway). A filtered scan:
   * the table holds only live approvals (TTL removes the rest), so it stays small.
   */
  async *needingSweep(now: Date, settledBefore: Date): AsyncGenerator<ApprovalRecord> {
    const pages = paginateScan(
      { client: this.db },
      {
        TableName: this.tableName,
        FilterExpression:
          '(#status = :pending AND expiresAt <= :now) OR (#status <> :pending AND attribute_not_exists(toldAt) AND decidedAt <= :settled)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':now': Math.floor(now.getTime() / 1000), ':settled': settledBefore.toISOString() },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) yield fromItem(item);
  }
}
