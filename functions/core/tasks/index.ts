// The tasks package's public surface.
export { approvalsNotAvailable } from './approval-gate.js';
export { analysisExecutor } from './analysis.js';
export { queryExecutor } from './query.js';
export { sagaExecutionLookup, type SagaExecutionLookup, type SagaExecutionStatus, sagaStarter } from './saga-start.js';
export { describeStatistics, fieldStatistics } from './statistics.js';
export { validationExecutor } from './validation.js';
export { validateRecord } from './validation-rules.js';
export { writeExecutor, type PurchaseOrderSagaInput } from './write.js';
export { summarizeWrite } from './write-summary.js';
export { preparePosting, type PreparedPosting } from './posting.js';
