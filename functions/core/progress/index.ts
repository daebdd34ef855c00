// The progress package's public surface.
export { markdownTable } from './answer.js';
export { advance, dispatchTasks, handlePlanEvent, type PlanProgressDeps, PROGRESS_ONCE, type ProgressResult, recordCompletion } from './plan-progress.js';
