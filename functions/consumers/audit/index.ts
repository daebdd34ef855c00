// SQS target (the audit queue, fed by the bus rule for every bc-agent event): every event into the audit
// table, idempotent on eventId, a batch at a time (queue-batch.ts).
import { positiveIntEnv, requiredEnv } from '../../core/config/index.js';
import { createLogger } from '../../core/observability/index.js';
import { sqsRuntime } from '../../core/runtime/index.js';
import { createDocumentClient } from '../../core/store/index.js';
import { AuditLog, DEFAULT_AUDIT_RETENTION_DAYS } from './audit-log.js';
import { recordQueueBatch } from './queue-batch.js';

const logger = createLogger('audit');
const auditLog = new AuditLog(createDocumentClient(), requiredEnv('AUDIT_TABLE'), positiveIntEnv('AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_RETENTION_DAYS));

export const handler = sqsRuntime({ logger }, (event) => recordQueueBatch(auditLog, event.Records, logger));
