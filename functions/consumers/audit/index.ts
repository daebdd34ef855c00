// EventBridge rule target: every bc-agent event into the audit table, idempotent on eventId.
import type { EventBridgeEvent } from 'aws-lambda';
import { positiveIntEnv, requiredEnv } from '../../core/config/index.js';
import { createLogger, resetCorrelation, setCorrelation } from '../../core/observability/index.js';
import { createDocumentClient } from '../../core/store/index.js';
import { AuditLog, DEFAULT_AUDIT_RETENTION_DAYS } from './audit-log.js';

const logger = createLogger('audit');
const auditLog = new AuditLog(createDocumentClient(), requiredEnv('AUDIT_TABLE'), positiveIntEnv('AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_RETENTION_DAYS));

export async function handler(event: EventBridgeEvent<string, unknown>): Promise<void> {
  resetCorrelation(logger);
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof detail[key] === 'string' ? (detail[key] as string) : undefined);
  setCorrelation(logger, { correlationId: text('correlationId'), tenantId: text('tenantId'), planId: text('planId'), taskId: text('taskId') });
  // Errors other than a duplicate propagate: EventBridge retries, then the target's DLQ keeps the event.
  const { outcome, readable } = await auditLog.record(event);
  if (!readable) logger.warn('event without a readable envelope recorded apart', { eventName: event['detail-type'], source: event.source, id: event.id });
  logger.debug('audit', { eventName: event['detail-type'], outcome });
}
