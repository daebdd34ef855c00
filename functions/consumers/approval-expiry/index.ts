// Scheduled sweep (EventBridge schedule, every minute): expires every pending approval whose deadline has
// passed, in every tenant, so that a write nobody decided ends (approval:expired, on which plan progress
// fails the task; a waiting saga is failed with ApprovalNotGranted) even if no one looks at it. Reads and decisions expire overdue approvals too; this
// catches the rest, and announces any decision whose announcement failed after it was recorded.
import { createApprovalService } from '../../core/approvals/index.js';
import { publisherFromEnv } from '../../core/events/index.js';
import { createLogger } from '../../core/observability/index.js';
import { scheduleRuntime } from '../../core/runtime/index.js';

const logger = createLogger('approval-expiry');
const publisher = publisherFromEnv('approvals');
const approvals = createApprovalService({ publisher });

export const handler = scheduleRuntime({ logger, report: 'approval sweep' }, async () => ({ expired: await approvals.expireOverdue() }));
