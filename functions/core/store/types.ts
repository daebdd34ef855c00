// Records kept in STATE_TABLE and the status machines of plans and tasks.
import type { ErrorInfo, PlanStatus, TaskStatus, TaskType } from '../events/index.js';

export type { ErrorInfo, PlanStatus, TaskStatus, TaskType };

/** Allowed previous statuses for each task status (the conditional writes enforce these). */
export const TASK_TRANSITIONS_FROM: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: [],
  dispatched: ['pending'],
  running: ['dispatched', 'awaiting_approval'],
  awaiting_approval: ['dispatched', 'running'],
  succeeded: ['dispatched', 'running', 'awaiting_approval'],
  failed: ['dispatched', 'running', 'awaiting_approval'],
  cancelled: ['pending', 'dispatched', 'running', 'awaiting_approval'],
};

export const PLAN_TRANSITIONS_FROM: Record<PlanStatus, readonly PlanStatus[]> = {
  planning: [],
  running: ['planning', 'awaiting_approval'],
  awaiting_approval: ['planning', 'running'],
  succeeded: ['planning', 'running', 'awaiting_approval'],
  failed: ['planning', 'running', 'awaiting_approval'],
  cancelled: ['planning', 'running', 'awaiting_approval'],
};

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];
export const TERMINAL_PLAN_STATUSES: readonly PlanStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface Session {
  tenantId: string;
  sessionId: string;
  createdBy: string;
  createdAt: string;
}

export interface Message {
  messageId: string;
  role: 'user' | 'assistant';
  text: string;
  createdAt: string;
  /** The plan this message started, if any. */
  planId?: string;
  createdBy?: string;
}

/** A task as planned, before it runs. `arguments` may still hold `$ref`s. */
export interface NewTask {
  id: string;
  type: TaskType;
  description?: string;
  tool: string;
  arguments: Record<string, unknown>;
  dependsOn: string[];
  critical: boolean;
  priority: 'high' | 'normal';
  delaySeconds: number;
  /** Dependency level (0 = runs first). */
  level: number;
}

export interface StoredTask extends NewTask {
  status: TaskStatus;
  attempt: number;
  updatedAt: string;
  /** A small result, kept on the task (plans.ts INLINE_RESULT_BYTES). */
  result?: unknown;
  /** Reference of a larger result, stored beside the plan. */
  resultRef?: string;
  error?: ErrorInfo;
  startedAt?: string;
  completedAt?: string;
  /** How often the plan sweeper re-announced it (a task:created lost with its queue message). */
  redispatches?: number;
  /** While running: until when the delivery that started it holds it (PlanStore.startTask). */
  leaseUntil?: string;
  /** The last transient failure's notice (retry.ts): shown while `attempt` is still the one that failed. */
  retry?: RetryNote;
}

/** What a person reads while a task waits for its next attempt (the task:updated retry notice, kept). */
export interface RetryNote {
  /** The notice, e.g. "Business Central is unavailable right now; retrying in 2 s (attempt 1 of 3)." */
  reason: string;
  /** The attempt that failed. */
  attempt: number;
  /** When the queue delivers the task again (ISO). */
  nextAttemptAt: string;
}

export interface NewPlan {
  planId: string;
  sessionId: string;
  messageId: string;
  correlationId: string;
  createdBy: string;
  status: PlanStatus;
  /** Which planner produced it (`offline`, `claude`). */
  planner: string;
  summary?: string;
  /** The answer to the user (a planner reply, or the composed summary when the plan ends). */
  response?: string;
  error?: ErrorInfo;
  /** Task ids grouped by dependency level. */
  levels: string[][];
  tasks: NewTask[];
  /** Initial status per task id; tasks not named start `pending`. */
  initialTaskStatus?: Record<string, TaskStatus>;
}

/** A plan as stored: what was created, minus the creation-only initial statuses, plus tenant, tasks and times. */
export interface StoredPlan extends Omit<NewPlan, 'tasks' | 'initialTaskStatus'> {
  tenantId: string;
  /** Tasks in plan order. */
  tasks: StoredTask[];
  createdAt: string;
  updatedAt: string;
  /** When the plan reached a terminal status (set once, by that transition). */
  endedAt?: string;
}

export interface TaskWithResult extends StoredTask {
  result?: unknown;
}

/** A plan as read for display: each task's stored result loaded. */
export interface PlanWithResults extends Omit<StoredPlan, 'tasks'> {
  tasks: TaskWithResult[];
}

export interface PlanSummary {
  planId: string;
  status: PlanStatus;
  summary?: string;
  createdAt: string;
}

export interface SessionView {
  session: Session;
  messages: Message[];
  plans: PlanSummary[];
}

export interface Transition<T> {
  /** True only for the call that made the change: exactly-once decisions hang on it. */
  transitioned: boolean;
  /** The record after the change (when transitioned). */
  record?: T;
}
