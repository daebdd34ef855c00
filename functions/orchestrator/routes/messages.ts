// POST /v1/sessions/{sessionId}/messages { "text" } → 202 { planId, status, tasks }.
import * as z from 'zod';
import { HttpError, json, serviceUnavailable, unprocessable, type Route } from '../../core/http/index.js';
import { DelegationRefusedError, DispatchFailedError, PlanRejectedError, startPlan, type StartPlanDeps } from '../start-plan.js';
import { bodyOf, scopeOf } from './scope.js';

export interface MessageLimits {
  maxBodyBytes: number;
  maxTextChars: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = { maxBodyBytes: 16 * 1024, maxTextChars: 4000 };

export function messagesRoute(deps: Omit<StartPlanDeps, 'logger'>, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): Route {
  const messageBodySchema = z.strictObject({
    text: z
      .string({ error: 'text must be a string' })
      .trim()
      .min(1, 'text must not be empty')
      .max(limits.maxTextChars, `text must be at most ${limits.maxTextChars} characters`),
  });
  return {
    method: 'POST',
    path: '/v1/sessions/{sessionId}/messages',
    async handle(context) {
      const { event, correlationId, logger } = context;
      const { caller, id: sessionId } = scopeOf(context, 'sessionId');
      const body = bodyOf(messageBodySchema, context, limits.maxBodyBytes, 'the message');
      try {
        const plan = await startPlan(
          { ...deps, logger },
          { tenantId: caller.tenantId, sessionId, userId: caller.sub, text: body.text, correlationId, ...bearerOf(event.headers) },
        );
        return json(202, {
          planId: plan.planId,
          sessionId,
          status: plan.status,
          ...(plan.summary !== undefined ? { summary: plan.summary } : {}),
          ...(plan.response !== undefined ? { response: plan.response } : {}),
          tasks: plan.tasks.map((t) => ({ id: t.id, type: t.type, status: t.status, dependsOn: t.dependsOn })),
        });
      } catch (error) {
        if (error instanceof PlanRejectedError) {
          throw unprocessable('InvalidPlan', error.message, { problems: error.problems });
        }
        if (error instanceof DispatchFailedError) throw serviceUnavailable(error.message);
        if (error instanceof DelegationRefusedError) {
          throw error.transient ? serviceUnavailable(error.message) : new HttpError(403, error.code, error.message);
        }
        throw error;
      }
    },
  };
}

/** The caller's own access token (the on-behalf-of assertion under BC_ACCESS=delegated); only passed on, never kept. */
function bearerOf(headers: Record<string, string | undefined> | undefined): { userAssertion?: string } {
  const match = /^Bearer\s+(\S+)$/i.exec(headers?.authorization ?? headers?.Authorization ?? '');
  return match ? { userAssertion: match[1]! } : {};
}
