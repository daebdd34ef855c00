// The progress package's public surface.
export { markdownTable } from './answer.js';
export { advance, dispatchTasks, handlePlanEvent, type PlanProgressDeps, PROGRESS_ONCE, type ProgressResult, recordCompletion } from './plan-progress.js';
export { CANCELLED_CODE, CancelError, type CancelErrorKind, type CancelDeps, type Canceller, type CancelOutcome, cancelPlan } from './cancel-plan.js';
export { approvalIdOfTask } from './task-approval.js';
