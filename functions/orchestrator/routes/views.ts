// What the API shows of stored plans and sessions (the contract of ARCHITECTURE §5).
import type { RecordLink } from '../../core/record-links/index.js';
import type { PlanWithResults, SessionView, TaskWithResult } from '../../core/store/index.js';
import type { StatusReason } from './plan-details.js';

/** A task as shown: with its result, or with why the result was left out of this response. */
export type ShownTask = TaskWithResult & { resultOmitted?: { bytes: number; reason: string }; statusReason?: StatusReason; links?: RecordLink[] };

/** Links in a plan's answer at most (each task's own list is capped too). */
const MAX_ANSWER_LINKS = 100;

/** The records the answer names: every task's links, each record once. */
function answerLinks(tasks: ShownTask[]): RecordLink[] {
  const seen = new Map<string, RecordLink>();
  for (const link of tasks.flatMap((t) => t.links ?? [])) if (seen.size < MAX_ANSWER_LINKS && !seen.has(link.url)) seen.set(link.url, link);
  return [...seen.values()];
}
export type PlanViewInput = Omit<PlanWithResults, 'tasks'> & { tasks: ShownTask[] };

export function planView(plan: PlanViewInput) {
  return {
    planId: plan.planId,
    sessionId: plan.sessionId,
    status: plan.status,
    ...(plan.summary !== undefined ? { summary: plan.summary } : {}),
    ...(plan.response !== undefined ? { response: plan.response } : {}),
    ...(plan.error !== undefined ? { error: plan.error } : {}),
    tasks: plan.tasks.map((task) => ({
      id: task.id,
      type: task.type,
      ...(task.description !== undefined ? { description: task.description } : {}),
      tool: task.tool,
      dependsOn: task.dependsOn,
      status: task.status,
      ...(task.statusReason !== undefined ? { statusReason: task.statusReason } : {}),
      ...(task.result !== undefined ? { result: task.result } : {}),
      ...(task.links !== undefined && task.links.length > 0 ? { links: task.links } : {}),
      ...(task.resultOmitted !== undefined ? { resultOmitted: task.resultOmitted } : {}),
      ...(task.error !== undefined ? { error: task.error } : {}),
    })),
    ...(answerLinks(plan.tasks).length > 0 ? { links: answerLinks(plan.tasks) } : {}),
    createdAt: plan.createdAt,
    updatedAt: plan.updatedAt,
  };
}

export function sessionView(view: SessionView) {
  return {
    sessionId: view.session.sessionId,
    createdAt: view.session.createdAt,
    messages: view.messages.map((m) => ({
      messageId: m.messageId,
      role: m.role,
      text: m.text,
      createdAt: m.createdAt,
      ...(m.planId ? { planId: m.planId } : {}),
    })),
    plans: view.plans,
  };
}
