// The audit log: every event on the bus, once. Records are keyed by tenant and plan so a plan's whole story
// is one query, ordered by time; the key holds the eventId, so a redelivered event hits the same key (a no-op
// for the conditional put of `record`, an overwrite with the same content for the batch of `recordAll`).
//
//   AUDIT_TABLE  pk TENANT#<t>#PLAN#<p>   sk <occurredAt>#<eventId>
//   events whose envelope is unreadable:  pk UNREADABLE#<yyyy-mm-dd>   sk <time>#<EventBridge id>
import { BatchWriteCommand, PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { envelopeSchema, type Envelope } from '../../core/events/index.js';
import { expiresAt, isConditionalCheckFailed } from '../../core/store/index.js';

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_ATTEMPTS = 4;

export interface AuditRecord {
  eventId: string;
  name: string;
  source: string;
  occurredAt: string;
  tenantId?: string;
  sessionId?: string;
  planId?: string;
  taskId?: string;
  correlationId?: string;
  causationId?: string;
  /** The event's detail as published (JSON text: exact, whatever its shape). */
  detail: string;
  recordedAt: string;
}

export type AuditOutcome = 'recorded' | 'duplicate';

import { auditPlanPk } from '../../core/audit/index.js';
export { auditPlanPk };

export class AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = DEFAULT_AUDIT_RETENTION_DAYS,
  ) {}

  /** Records one bus event; a second delivery of the same event is reported as a duplicate, not an error. */
  async record(event: EventBridgeEvent<string, unknown>, now = new Date()): Promise<{ outcome: AuditOutcome; readable: boolean }> {
    const { item, readable } = this.itemOf(event, now);
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return { outcome: 'recorded', readable };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { outcome: 'duplicate', readable };
      throw error;
    }
  }

  /**
   * Records many bus events with BatchWriteItem, 25 a call (the audit queue hands the consumer up to 100 at
   * once). The key holds the eventId, so a redelivered event overwrites its own record with the same content
   * (only recordedAt moves): still one record per event, without a conditional write per event. Returns the
   * events that could not be written (their messages come back from the queue).
   */
  async recordAll(events: readonly EventBridgeEvent<string, unknown>[], now = new Date()): Promise<{ failed: Set<number>; unreadable: number[] }> {
    const unreadable: number[] = [];
    // One request per key: a batch may hold the same event twice (a redelivery next to its first delivery).
    const byKey = new Map<string, { item: Record<string, unknown>; indexes: number[] }>();
    events.forEach((event, index) => {
      const { item, readable } = this.itemOf(event, now);
      if (!readable) unreadable.push(index);
      const key = `${item.pk as string}\u0000${item.sk as string}`;
      const entry = byKey.get(key);
      if (entry) entry.indexes.push(index);
      else byKey.set(key, { item, indexes: [index] });
    });
    const failed = new Set<number>();
    const entries = [...byKey.values()];
    for (let i = 0; i < entries.length; i += BATCH_WRITE_LIMIT) {
      let pending = entries.slice(i, i + BATCH_WRITE_LIMIT);
      try {
        // DynamoDB may hand back unprocessed items under load: resend only those, a few times.
        for (let attempt = 0; pending.length > 0 && attempt < UNPROCESSED_ATTEMPTS; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
          const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending.map(({ item }) => ({ PutRequest: { Item: item } })) } }));
          const left = new Set((out.UnprocessedItems?.[this.tableName] ?? []).map((r) => `${r.PutRequest?.Item?.pk as string}\u0000${r.PutRequest?.Item?.sk as string}`));
          pending = pending.filter(({ item }) => left.has(`${item.pk as string}\u0000${item.sk as string}`));
        }
      } catch {
        // The whole call failed: every event of this chunk comes back from the queue.
      }
      for (const { indexes } of pending) for (const index of indexes) failed.add(index);
    }
    return { failed, unreadable };
  }

  private itemOf(event: EventBridgeEvent<string, unknown>, now: Date): { item: Record<string, unknown>; readable: boolean } {
    const parsed = envelopeSchema.safeParse(event.detail);
    const envelope: Envelope | undefined = parsed.success ? parsed.data : undefined;
    const time = envelope?.occurredAt ?? event.time ?? now.toISOString();
    const record: AuditRecord = {
      eventId: envelope?.eventId ?? event.id,
      name: event['detail-type'],
      source: event.source,
      occurredAt: time,
      ...(envelope
        ? {
            tenantId: envelope.tenantId,
            sessionId: envelope.sessionId,
            planId: envelope.planId,
            ...(envelope.taskId ? { taskId: envelope.taskId } : {}),
            correlationId: envelope.correlationId,
            causationId: envelope.causationId,
          }
        : {}),
      detail: JSON.stringify(event.detail ?? null),
      recordedAt: now.toISOString(),
    };
    const key = envelope
      ? { pk: auditPlanPk(envelope.tenantId, envelope.planId), sk: `${time}#${envelope.eventId}` }
      : { pk: `UNREADABLE#${time.slice(0, 10)}`, sk: `${time}#${event.id}` };
    return { item: { ...key, ...record, expiresAt: expiresAt(now, this.retentionDays) }, readable: Boolean(envelope) };
  }

  /** A plan's events in the order they happened. */
  async story(tenantId: string, planId: string): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    const pages = paginateQuery(
      { client: this.db },
      { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': auditPlanPk(tenantId, planId) }, ConsistentRead: true },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, expiresAt: _ttl, ...record } = item;
        records.push(record as AuditRecord);
      }
    }
    return records;
  }
}
