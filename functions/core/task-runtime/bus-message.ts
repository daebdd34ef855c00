// What arrives on a worker queue: an EventBridge event (the rule's SQS target sends the whole event as the
// body). Parsed and validated against the catalogue, so a worker acts only on well-formed events.
import { isEventName, parseEventDetail, type EventDetail, type EventName } from '../events/index.js';
import { PermanentTaskError } from './failures.js';

export interface BusMessage<N extends EventName = EventName> {
  name: N;
  detail: EventDetail<N>;
}

export function parseBusMessage(body: string): BusMessage {
  let event: { 'detail-type'?: unknown; detail?: unknown };
  try {
    event = JSON.parse(body) as typeof event;
  } catch {
    throw new PermanentTaskError('MalformedMessage', 'the message body is not JSON');
  }
  const name = event?.['detail-type'];
  if (!isEventName(name)) throw new PermanentTaskError('MalformedMessage', `the message is not a known event (detail-type ${JSON.stringify(name)})`);
  try {
    return { name, detail: parseEventDetail(name, event.detail) } as BusMessage;
  } catch (error) {
    throw new PermanentTaskError('MalformedMessage', (error as Error).message);
  }
}
