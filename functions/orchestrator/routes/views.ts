// What the API shows of stored plans and sessions (the contract of ARCHITECTURE §5).
import type { PlanWithResults, SessionView } from '../../core/store/index.js';

export function planView(plan: PlanWithResults) {
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
