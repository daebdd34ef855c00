// The write worker: validates, writes only what a person approved (exactly that operation), starts the
// purchase-order saga for saga tasks, and resumes an approved write on approval:granted.
import { approvalsNotAvailable, sagaStarter, writeExecutor } from '../../core/execution/index.js';
import { requireEnv } from '../../core/store/index.js';
import { createWorkerHandler } from '../runtime.js';

// Until the approvals work provides its gate over APPROVALS_TABLE, nothing is approved: writes wait.
const executor = writeExecutor({ gate: approvalsNotAvailable, startSaga: sagaStarter(requireEnv('PURCHASE_ORDER_SAGA_ARN')) });
export const handler = createWorkerHandler({ type: 'write', executor, usesBc: true, options: { resumeOnApproval: true } });
