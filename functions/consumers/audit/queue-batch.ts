// The audit consumer's queue side: EventBridge delivers every event to the audit queue (the rule's SQS
// target puts the whole event in the body), the queue hands the consumer up to 100 at once, and they are
// written with a few BatchWriteItem calls instead of one PutItem each. Messages whose events were not
// written are reported back (partial batch response) and come again; after MAX_RECEIVE_COUNT, the DLQ.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeEvent, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { AuditLog } from './audit-log.js';

export async function recordQueueBatch(auditLog: AuditLog, records: readonly SQSRecord[], logger: Logger): Promise<SQSBatchResponse> {
  const events: EventBridgeEvent<string, unknown>[] = [];
  const messageIds: string[] = [];
  // Only the bus's rule sends here, so a body that is not an event is a defect: it goes back and, after the
  // queue's receives, to the DLQ where an operator sees it, rather than being dropped.
  const notEvents: string[] = [];
  for (const record of records) {
    let event: EventBridgeEvent<string, unknown> | undefined;
    try {
      event = JSON.parse(record.body) as EventBridgeEvent<string, unknown>;
    } catch {
      event = undefined;
    }
    if (typeof event?.['detail-type'] !== 'string' || typeof event.source !== 'string') {
      logger.error('audit queue message is not an EventBridge event; left for the DLQ', { messageId: record.messageId });
      notEvents.push(record.messageId);
      continue;
    }
    events.push(event);
    messageIds.push(record.messageId);
  }
  const { failed, unreadable } = await auditLog.recordAll(events);
  for (const index of unreadable) {
    logger.warn('event without a readable envelope recorded apart', { eventName: events[index]!['detail-type'], source: events[index]!.source, id: events[index]!.id });
  }
  if (failed.size > 0) logger.warn('audit records not written; their messages come again', { failed: failed.size, of: events.length });
  logger.debug('audit', { recorded: events.length - failed.size });
  return { batchItemFailures: [...notEvents, ...[...failed].map((index) => messageIds[index]!)].map((itemIdentifier) => ({ itemIdentifier })) };
}
