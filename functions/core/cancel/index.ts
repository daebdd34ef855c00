// Cancelling a plan (DELETE /v1/plans/{planId}) and finding the approval a task waits on. Its own package so
// that the orchestrator does not load plan progress (and with it the MCP client) to cancel.
export { CANCELLED_CODE, CancelError, type CancelErrorKind, type CancelDeps, type Canceller, type CancelOutcome, cancelPlan } from './cancel-plan.js';
export { approvalIdOfTask } from './task-approval.js';
