// Human approval of every Business Central write (architecture §11, issue 6). One module that the write
// worker (through the gate), the purchase-order saga (request with its task token), the orchestrator's
// approvals routes (list, decide) and the expiry sweep all use.
import { requiredEnv } from '../config/index.js';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventPublisher } from '../events/index.js';
import { createDocumentClient } from '../store/index.js';
import { ApprovalService } from './service.js';
import { approvalSettingsFromEnv, type ApprovalSettings } from './settings.js';
import { ApprovalStore } from './store.js';
import { stepFunctionsWaiter, type SagaWaiter, type WaiterCheck } from './waiters.js';
export { ApprovalStore, type DecisionFields } from './store.js';

export interface ApprovalServiceOptions {
  publisher: EventPublisher;
  db?: DynamoDBDocumentClient;
  /** APPROVALS_TABLE when absent. */
  tableName?: string;
  /** APPROVAL_* variables when absent. */
  settings?: ApprovalSettings;
  /** Step Functions (the saga's task tokens); a client from the environment when absent. */
  sfn?: SFNClient;
  saga?: SagaWaiter;
  /** Whether the write an approval releases can still run (planWaiterCheck over the state store). */
  waiting?: WaiterCheck;
  now?: () => Date;
}

/** The approval service of a Lambda: table and settings from its environment (docs/internals.md). */
export function createApprovalService(options: ApprovalServiceOptions): ApprovalService {
  const now = options.now ?? (() => new Date());
  return new ApprovalService({
    store: new ApprovalStore(options.db ?? createDocumentClient(), options.tableName ?? requiredEnv('APPROVALS_TABLE')),
    publisher: options.publisher,
    settings: options.settings ?? approvalSettingsFromEnv(),
    saga: options.saga ?? stepFunctionsWaiter(options.sfn),
    ...(options.waiting ? { waiting: options.waiting } : {}),
    now,
  });
}
export { approvalGate, type ApprovalGate, type ApprovalSubject, type WriteOrigin } from './gate.js';
export { approvalIdForTask, operationHash, sagaApprovalIdForTask } from './operation.js';
export { APPROVAL_STATUSES, approvalKey, approvalStatusKey, type ApprovalRecord, type ApprovalView } from './record.js';
export { ApprovalError, type ApprovalRequest, ApprovalService, AUTO_APPROVER, MAX_LISTED } from './service.js';
export { type ApprovalSettings, approvalSettingsFromEnv, autoApprovalRule, DEFAULT_APPROVAL_SETTINGS } from './settings.js';
export { APPROVAL_NOT_GRANTED, planWaiterCheck, type SagaApprovalOutput, type SagaWaiter } from './waiters.js';
