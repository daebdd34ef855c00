// The progress package's public surface.
export { markdownTable } from './answer.js';
export { advance, dispatchTasks, handlePlanEvent, type PlanProgressDeps, type ProgressResult, recordCompletion } from './plan-progress.js';
