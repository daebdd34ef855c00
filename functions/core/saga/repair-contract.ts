// Names the state machine (lib/constructs/purchase-order-saga.ts) and the repair sweep share: the errors of
// the saga's own Fail states. An execution that ended with any other error never ran its compensation.
export const ROLLBACK_PENDING_ERROR = 'PurchaseOrderRollbackPending';
export const SAGA_FAIL_ERRORS = ['PurchaseOrderSagaFailed', 'PurchaseOrderNotExecuted', ROLLBACK_PENDING_ERROR] as const;
