export * from './catalogue.js';
export { createEvent, causedBy, parseEventDetail, EventValidationError, type EventContext, type CreateEventOptions } from './create-event.js';
export * from './payload.js';
export * from './publisher.js';
export { taskCreatedFields, type DispatchableTask } from './task-events.js';
