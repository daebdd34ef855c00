// The task-runtime package's public surface.
export { argumentsForTransport, resolveTaskArguments } from './arguments.js';
export type { BcCaller } from './bc-calls.js';
export { PermanentTaskError } from './failures.js';
export { AlreadyRunningError, createOnce, type Once } from './once.js';
export type { TaskExecutor, TaskRunnerDeps } from './run-task.js';
export { DEFAULT_TASK_LEASE_SECONDS } from './run-task.js';
export { createTaskRecordHandler, type TaskWorkerOptions } from './task-worker.js';
