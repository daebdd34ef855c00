// What every planner returns. Validation problems travel with a failure so the orchestrator can answer 422.
import type { Plan, PlanProblem } from '../plan/index.js';

export interface PlanContext {
  tenantId: string;
  sessionId: string;
  /** Earlier turns of the session, oldest first, for follow-ups ("then delete it"). */
  history?: { role: 'user' | 'assistant'; text: string }[];
}

export type PlanOutcome =
  | { kind: 'plan'; plan: Plan; levels: string[][] }
  | { kind: 'reply'; text: string }
  | { kind: 'failed'; reason: string; problems?: PlanProblem[] };

export interface Planner {
  readonly name: 'claude' | 'offline';
  plan(text: string, context: PlanContext): Promise<PlanOutcome>;
}

/** The problems as one readable sentence, for the `reason` of a failure. */
export function describeProblems(problems: readonly PlanProblem[]): string {
  const shown = problems.slice(0, 5).map((p) => p.message);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return `the plan is not valid: ${shown.join('; ')}${more}`;
}
