// The audit log: every event on the bus, once. Records are keyed by tenant and plan so a plan's whole story
// is one query, ordered by time; the key holds the eventId, so a redelivered event hits the same key and the
// conditional put makes it a no-op.
//
//   AUDIT_TABLE  pk TENANT#<t>#PLAN#<p>   sk <occurredAt>#<eventId>
//   events whose envelope is unreadable:  pk UNREADABLE#<yyyy-mm-dd>   sk <time>#<EventBridge id>
import { PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { envelopeSchema, type Envelope } from '../../core/events/index.js';
import { expiresAt, isConditionalCheckFailed } from '../../core/store/index.js';

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

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
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...record, expiresAt: expiresAt(now, this.retentionDays) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { outcome: 'recorded', readable: Boolean(envelope) };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { outcome: 'duplicate', readable: Boolean(envelope) };
      throw error;
    }
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
