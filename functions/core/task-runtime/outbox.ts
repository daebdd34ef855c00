// Events a task execution produces, collected and published together: one PutEvents for a whole execution
// (≤ 10 events) instead of one per event. Each event keeps the time it happened.
import { createEvent, type DomainEvent, type EventContext, type EventFields, type EventName, type EventPublisher } from '../events/index.js';

export class Outbox {
  private readonly pending: DomainEvent[] = [];

  constructor(
    private readonly publisher: EventPublisher,
    readonly context: EventContext,
  ) {}

  add<N extends EventName>(name: N, fields: EventFields<N>, context: Partial<EventContext> = {}): DomainEvent<N> {
    const event = createEvent(name, fields, { ...this.context, ...context });
    this.pending.push(event);
    return event;
  }

  get size(): number {
    return this.pending.length;
  }

  /** Publishes what is pending (throws EventPublishError when EventBridge refuses some after retries). */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const events = this.pending.splice(0);
    await this.publisher.publish(events);
  }
}
