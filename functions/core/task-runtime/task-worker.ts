// The record handler every worker shares: parse the event on the message, honour the task's delay, run the
// task (or, for the write worker, resume a write whose approval was granted).
import { causedBy, taskCreatedFields, type EventDetail } from '../events/index.js';
import { RetryLaterError, receiveCountOf, type RecordHandler } from '../queue/index.js';
import { resolveTaskArguments } from './arguments.js';
import { parseBusMessage } from './bus-message.js';
import { PermanentTaskError } from './failures.js';
import { abandonDispatchedTask, runTask, type TaskRunnerDeps } from './run-task.js';
import { SAGA_TOOL } from '../plan/index.js';
import { withBcPriority } from '../capacity/index.js';

export interface TaskWorkerOptions {
  /** The write worker also receives approval:granted and resumes the approved single write. */
  resumeOnApproval?: boolean;
}

export function createTaskRecordHandler(deps: TaskRunnerDeps, options: TaskWorkerOptions = {}): RecordHandler {
  const now = deps.now ?? (() => new Date());
  return async (record) => {
    let message;
    try {
      message = parseBusMessage(record.body);
    } catch (error) {
      // Retrying cannot fix a malformed message; it is logged and dropped rather than cycled to the DLQ.
      if (error instanceof PermanentTaskError) {
        deps.logger.error('malformed message dropped', { messageId: record.messageId, error: error.message });
        return;
      }
      throw error;
    }
    const receiveCount = receiveCountOf(record);

    if (message.name === 'task:created') {
      const detail = message.detail as EventDetail<'task:created'>;
      // EventBridge delivers at once; the delay is applied here by hiding the message until it is due.
      const dueAt = Date.parse(detail.occurredAt) + detail.task.delaySeconds * 1000;
      const wait = Math.ceil((dueAt - now().getTime()) / 1000);
      const delivery = { task: detail.task, events: causedBy(detail), receiveCount, dispatchedAt: detail.occurredAt };
      if (wait > 0) {
        // Each wait costs a receive: on the last one the message goes to the DLQ, and a task left `dispatched`
        // would hold its plan in `running` forever. It ends failed instead, saying why.
        if (receiveCount >= deps.maxReceiveCount) {
          const message = `Not run: its delay of ${detail.task.delaySeconds} s outlasted the ${deps.maxReceiveCount} deliveries of its queue message; the message was moved to the dead-letter queue.`;
          await abandonDispatchedTask(deps, delivery, { code: 'DelayNotHonoured', message });
          throw new RetryLaterError(message, 0);
        }
        throw new RetryLaterError(`task ${detail.task.id} is delayed`, wait);
      }
      // The task's lane reaches the BC capacity governor (through the MCP server's x-bc-priority header).
      return withBcPriority(detail.task.priority, () => runTask(deps, delivery));
    }

    if (message.name === 'approval:granted' && options.resumeOnApproval) {
      const detail = message.detail as EventDetail<'approval:granted'>;
      const plan = await deps.store.plans.getPlan(detail.tenantId, detail.planId);
      const stored = plan?.tasks.find((t) => t.id === detail.taskId);
      // A saga's approval resumes the state machine (task token), not this worker.
      if (!plan || !stored || stored.type !== 'write' || stored.tool === SAGA_TOOL) return;
      const { task } = taskCreatedFields(stored, await resolveTaskArguments(deps.store, plan, stored));
      // The person has waited already: the approved write is high priority for BC capacity too.
      return withBcPriority('high', () => runTask(deps, {
        task: { ...task, dependsOn: task.dependsOn ?? [] },
        events: causedBy(detail),
        receiveCount,
        dispatchedAt: stored.updatedAt,
        resume: true,
        approvedBy: detail.decidedBy,
      }));
    }
    deps.logger.debug('message ignored', { name: message.name });
  };
}
