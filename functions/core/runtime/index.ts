// Handler runtimes, one per kind of Lambda trigger: the per-invocation chores (correlation reset, Lambda
// context on the logger and the Once, the BC deadline) done once, so a handler only translates between its
// event and the core (docs/internals.md, "Handler runtimes").
export { lambdaRuntime, runInvocation, type InvocationContext, type LambdaHandler, type RuntimeOptions } from './invocation.js';
export { sqsRuntime, sqsBatchRuntime } from './sqs.js';
export { eventRuntime, scheduleRuntime, correlationOf, type BusEvent, type ScheduledHandler, type ScheduleRuntimeOptions } from './events.js';
export { stepRuntime, type StepTask } from './step.js';
export { httpRuntime } from './http.js';
export { webSocketRuntime } from './websocket.js';
