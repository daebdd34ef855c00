// The write worker: validates, writes only what a person approved (exactly that operation, through the
// approvals gate over APPROVALS_TABLE), starts the purchase-order saga for saga tasks, and resumes an
// approved write on approval:granted.
import { requiredEnv } from '../../core/config/index.js';
import { approvalGate, createApprovalService } from '../../core/approvals/index.js';
import { publisherFromEnv } from '../../core/events/index.js';
import { sagaStarter } from '../../core/tasks/index.js';
import { writeExecutor } from '../../core/tasks/index.js';

import { mcpClientFromEnv } from '../mcp.js';
import { createWorkerHandler } from '../runtime.js';

const gate = approvalGate(createApprovalService({ publisher: publisherFromEnv('worker.write') }));
const executor = writeExecutor({ gate, startSaga: sagaStarter(requiredEnv('PURCHASE_ORDER_SAGA_ARN')) });
export const handler = createWorkerHandler({ type: 'write', executor, mcp: mcpClientFromEnv, options: { resumeOnApproval: true } });
