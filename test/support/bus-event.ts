// Wraps a domain event the way an EventBridge rule delivers it to a Lambda target.
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import type { DomainEvent } from '../../functions/core/events/index.js';

export function busEvent(event: DomainEvent, source = 'bc-agent.orchestrator'): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': event.name,
    source,
    account: '000000000000',
    time: event.detail.occurredAt.replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail: event.detail,
  };
}
