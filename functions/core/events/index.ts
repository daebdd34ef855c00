export { createEvent, causedBy, parseEventDetail, EventValidationError, type EventContext, type CreateEventOptions } from './create-event.js';
export { taskCreatedFields, type DispatchableTask } from './task-events.js';
export { type DispatchedTask, type DomainEvent, type Envelope, envelopeSchema, type ErrorInfo, EVENT_NAMES, eventCatalogue, type EventDetail, type EventFields, type EventName, idSchema, isEventName, type PlanStatus, type TaskStatus, type TaskType } from './catalogue.js';
export { inlineOrStored, jsonByteLength, MAX_DETAIL_BYTES, MAX_INLINE_RESULT_BYTES, type ResultPayload } from './payload.js';
export { createPublisher, type EventPublisher, EventPublishError, packBatches, publisherFromEnv, type PublisherOptions } from './publisher.js';
