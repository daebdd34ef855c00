// Reading a plan's story from AUDIT_TABLE (written by the audit consumer, functions/consumers/audit): one
// partition per tenant and plan, sorted by occurredAt, so a page of the story is one Query.
//
//   AUDIT_TABLE  pk TENANT#<t>#PLAN#<p>   sk <occurredAt>#<eventId>
import type { ApiSchemas } from '../http/index.js';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const auditPlanPk = (tenantId: string, planId: string) => `TENANT#${tenantId}#PLAN#${planId}`;

/** One recorded event as a reader sees it (the detail parsed back from its exact JSON text): an event of the API's `PlanEvents`. */
export type StoryEvent = ApiSchemas['PlanEvents']['events'][number];

export interface StoryPage {
  events: StoryEvent[];
  /** The last sort key of this page: pass it as `after` for the next page. */
  next?: string;
}

export class AuditStoryReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Up to `limit` events of the plan in the order they happened, after the sort key `after`. */
  async page(tenantId: string, planId: string, limit: number, after?: string): Promise<StoryPage> {
    const pk = auditPlanPk(tenantId, planId);
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: limit,
        ...(after ? { ExclusiveStartKey: { pk, sk: after } } : {}),
      }),
    );
    const events = (out.Items ?? []).map((item): StoryEvent => {
      let detail: unknown;
      try {
        detail = JSON.parse(String(item.detail));
      } catch {
        detail = item.detail;
      }
      return {
        eventId: String(item.eventId),
        name: String(item.name),
        source: String(item.source),
        occurredAt: String(item.occurredAt),
        ...(item.taskId ? { taskId: String(item.taskId) } : {}),
        ...(item.correlationId ? { correlationId: String(item.correlationId) } : {}),
        ...(item.causationId ? { causationId: String(item.causationId) } : {}),
        detail,
      };
    });
    const last = out.LastEvaluatedKey?.sk;
    return { events, ...(typeof last === 'string' ? { next: last } : {}) };
  }
}
