// Public surface of the purchase-order saga's domain logic (the step function is functions/saga-steps/purchase-order).
export { runSagaStep, type PurchaseOrderSagaDeps } from './purchase-order.js';
export { sagaDepsFromEnv, withSagaContext, SAGA_COMPONENT, type SagaDepsOverrides } from './deps.js';
export { SAGA_STEPS, COMPENSATION_ORDER, sagaContextSchema, purchaseOrderSchema, type SagaStep, type SagaContext, type PurchaseOrderRequest } from './schema.js';
export { SAGA_ERROR_NAMES, SagaStepError, BcTransientError, toStepError, invalidInput as invalidInputError } from './errors.js';
export { orderKeyFor, approvalIdFor, operationHashOf, ORDER_KEY_FIELD } from './identity.js';
export { guardedSagaBc, type SagaBc } from './documents.js';
export { RepairStore, repairDue, repairOne, repairIdOf, REPAIR_PK, type RepairRecord, type RepairDeps, type RepairOutcome } from './repair.js';
export { compensatingSagaBc } from './documents.js';
export { parkAbandonedExecutions } from './abandoned.js';
export { causeMessage, succeededResultFromOutput } from './outcome.js';
export { ROLLBACK_PENDING_ERROR, SAGA_FAIL_ERRORS } from './repair-contract.js';
export { sagaShape, sagaReservationsFromEnv, compensationsFrom, SAGA_RESERVATIONS_ENV, ALL_FORWARD_STEPS, COMPENSATION_OF, type SagaShape, type ForwardStep } from './shape.js';
export { asRequester, type RequesterAccess } from './requester.js';
