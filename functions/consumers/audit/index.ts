// EventBridge rule target: every bc-agent event into the audit table, idempotent on eventId.
import { positiveIntEnv, requiredEnv } from '../../core/config/index.js';
import { createLogger } from '../../core/observability/index.js';
import { eventRuntime } from '../../core/runtime/index.js';
import { createDocumentClient } from '../../core/store/index.js';
import { AuditLog, DEFAULT_AUDIT_RETENTION_DAYS } from './audit-log.js';

const logger = createLogger('audit');
const auditLog = new AuditLog(createDocumentClient(), requiredEnv('AUDIT_TABLE'), positiveIntEnv('AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_RETENTION_DAYS));

export const handler = eventRuntime({ logger }, async (event) => {
  // Errors other than a duplicate propagate: EventBridge retries, then the target's DLQ keeps the event.
  const { outcome, readable } = await auditLog.record(event);
  if (!readable) logger.warn('event without a readable envelope recorded apart', { eventName: event['detail-type'], source: event.source, id: event.id });
  logger.debug('audit', { eventName: event['detail-type'], outcome });
});
