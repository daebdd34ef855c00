// POST /v1/plans/{planId}/feedback { rating: up|down, comment? }: a user's rating of an ended plan's answer,
// once per user (409 FeedbackExists the second time), kept beside the plan and announced as plan:feedback.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { createEvent, type EventPublisher } from '../../core/events/index.js';
import { HttpError, json, notFound, type Route } from '../../core/http/index.js';
import { FEEDBACK_RATINGS, TERMINAL_PLAN_STATUSES, type Feedback, type StateStore } from '../../core/store/index.js';
import { bodyOf, scopeOf } from './scope.js';

const MAX_FEEDBACK_BYTES = 4 * 1024;

const feedbackSchema = z.strictObject({
  rating: z.enum(FEEDBACK_RATINGS, { error: "rating must be 'up' or 'down'" }),
  comment: z.string().trim().min(1, 'comment must not be empty').max(1000, 'comment must be at most 1000 characters').optional(),
});

export interface FeedbackDeps {
  store: StateStore;
  publisher: EventPublisher;
  now: () => Date;
}

export function feedbackRoute(deps: FeedbackDeps): Route {
  return {
    method: 'POST',
    path: '/v1/plans/{planId}/feedback',
    async handle(context) {
      const { logger, correlationId } = context;
      const { caller, id: planId } = scopeOf(context, 'planId');
      const body = bodyOf(feedbackSchema, context, MAX_FEEDBACK_BYTES, 'the feedback');
      const plan = await deps.store.plans.getPlan(caller.tenantId, planId);
      if (!plan) throw notFound(`no plan ${planId}`);
      if (!TERMINAL_PLAN_STATUSES.includes(plan.status)) {
        throw new HttpError(409, 'PlanNotEnded', `plan ${planId} is still ${plan.status}: feedback is on its answer, once it has one`);
      }
      const feedback: Feedback = {
        feedbackId: randomUUID(),
        planId,
        rating: body.rating,
        ...(body.comment ? { comment: body.comment } : {}),
        givenBy: caller.sub,
        givenAt: deps.now().toISOString(),
      };
      if (!(await deps.store.feedback.add(caller.tenantId, feedback, deps.now()))) {
        throw new HttpError(409, 'FeedbackExists', `you already gave feedback on plan ${planId}`);
      }
      // Stored first: a lost announcement leaves the feedback, and the caller's retry is refused as a duplicate.
      await deps.publisher
        .publish([
          createEvent(
            'plan:feedback',
            { feedbackId: feedback.feedbackId, rating: feedback.rating, ...(feedback.comment ? { comment: feedback.comment } : {}), givenBy: caller.sub },
            { tenantId: caller.tenantId, sessionId: plan.sessionId, planId, correlationId, causationId: feedback.feedbackId },
          ),
        ])
        .catch((error: unknown) => logger.error('feedback stored but not announced', { error: error as Error }));
      return json(201, feedback);
    },
  };
}
