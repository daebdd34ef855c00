// The state store: sessions, messages, plans with their tasks, and stored results, all in STATE_TABLE.
import { requiredEnv } from '../config/index.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './client.js';
import { PlanStore } from './plans.js';
import { ResultNotFoundError, ResultStore } from './results.js';
import { SessionStore } from './sessions.js';
import { FeedbackStore } from './feedback.js';
import type { PlanWithResults, SessionView, TaskWithResult } from './types.js';
export { PlanStore, PlanConflictError, PlanItemTooLargeError, INLINE_RESULT_BYTES, ANNOUNCE_CLAIM_SECONDS, MAX_TASKS_PER_PLAN, FIRST_SWEEP_SECONDS, type TaskTransitionOptions, type PlanTransitionOptions, type SweepEntry } from './plans.js';
export { SWEEP_INDEX, SWEEP_SHARDS } from './keys.js';
export { SessionStore, type SessionPage } from './sessions.js';
export { FeedbackStore, FEEDBACK_RATINGS, type Feedback, type FeedbackRating } from './feedback.js';
export { ResultStore, ResultNotFoundError, formatResultRef, parseResultRef, type ResultRef } from './results.js';
export { createDocumentClient, isConditionalCheckFailed, expiresAt } from './client.js';
export { isSafeId } from './keys.js';

export interface StateStore {
  sessions: SessionStore;
  plans: PlanStore;
  results: ResultStore;
  /** Users' feedback on plans' answers. */
  feedback: FeedbackStore;
  /** The session with its messages and the status of each plan, or undefined (also for another tenant). */
  readSession(tenantId: string, sessionId: string): Promise<SessionView | undefined>;
  /** The plan with each task's stored result loaded, or undefined. */
  readPlanWithResults(tenantId: string, planId: string): Promise<PlanWithResults | undefined>;
}

export interface StateStoreOptions {
  tableName: string;
  db?: DynamoDBDocumentClient;
  retentionDays?: number;
}

export function createStateStore(options: StateStoreOptions): StateStore {
  const db = options.db ?? createDocumentClient();
  const sessions = new SessionStore(db, options.tableName, options.retentionDays);
  const plans = new PlanStore(db, options.tableName, options.retentionDays);
  const results = new ResultStore(db, options.tableName, options.retentionDays);
  return {
    sessions,
    plans,
    results,
    feedback: new FeedbackStore(db, options.tableName, options.retentionDays),
    async readSession(tenantId, sessionId) {
      const session = await sessions.getSession(tenantId, sessionId);
      if (!session) return undefined;
      const messages = await sessions.listMessages(tenantId, sessionId);
      const planIds = messages.flatMap((m) => (m.planId ? [m.planId] : []));
      return { session, messages, plans: await plans.summaries(tenantId, planIds) };
    },
    async readPlanWithResults(tenantId, planId) {
      const plan = await plans.getPlan(tenantId, planId);
      if (!plan) return undefined;
      const tasks = await Promise.all(
        plan.tasks.map(async (task): Promise<TaskWithResult> => {
          if (!task.resultRef || task.result !== undefined) return task;
          try {
            return { ...task, result: await results.get(tenantId, task.resultRef) };
          } catch (error) {
            // An expired result leaves the task readable without it.
            if (error instanceof ResultNotFoundError) return task;
            throw error;
          }
        }),
      );
      return { ...plan, tasks };
    },
  };
}

/** The state store configured from STATE_TABLE. */
export function stateStoreFromEnv(db?: DynamoDBDocumentClient): StateStore {
  return createStateStore({ tableName: requiredEnv('STATE_TABLE'), ...(db ? { db } : {}) });
}
export { type Message, type NewPlan, type NewTask, type PlanWithResults, type RetryNote, type SessionView, type StoredPlan, type StoredTask, type TaskWithResult, TERMINAL_PLAN_STATUSES, TERMINAL_TASK_STATUSES } from './types.js';
