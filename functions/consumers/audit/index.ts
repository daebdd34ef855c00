// SQS target (the audit queue, fed by the bus rule for every bc-agent event): every event into the audit
// table, idempotent on eventId, a batch at a time (queue-batch.ts).
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { positiveIntEnv, requiredEnv } from '../../core/config/index.js';
import { createLogger, resetCorrelation } from '../../core/observability/index.js';
import { createDocumentClient } from '../../core/store/index.js';
import { AuditLog, DEFAULT_AUDIT_RETENTION_DAYS } from './audit-log.js';
import { recordQueueBatch } from './queue-batch.js';

const logger = createLogger('audit');
const auditLog = new AuditLog(createDocumentClient(), requiredEnv('AUDIT_TABLE'), positiveIntEnv('AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_RETENTION_DAYS));

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  resetCorrelation(logger);
  return recordQueueBatch(auditLog, event.Records, logger);
}
