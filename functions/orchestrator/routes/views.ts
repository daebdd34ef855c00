// What the API shows of stored plans and sessions (the contract of ARCHITECTURE §5).
import type { PlanWithResults, SessionView, TaskWithResult } from '../../core/store/index.js';

/** A task as shown: with its result, or with why the result was left out of this response. */
export type ShownTask = TaskWithResult & { resultOmitted?: { bytes: number; reason: string } };
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
      ...(task.result !== undefined ? { result: task.result } : {}),
      ...(task.resultOmitted !== undefined ? { resultOmitted: task.resultOmitted } : {}),
      ...(task.error !== undefined ? { error: task.error } : {}),
    })),
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
