// The agent's HTTP API as a chat front-end and an approver use it: post a message, read plans, list and decide
// approvals. Network errors are answers too (the cloud may be down mid-scenario), so calls never throw on them.

export const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;

export interface PlanTask {
  id: string;
  type: string;
  tool?: string;
  status: string;
  result?: any;
  error?: { code: string; message: string };
}

export interface PlanView {
  planId: string;
  status: string;
  response?: string;
  error?: { code: string; message: string };
  tasks: PlanTask[];
}

export interface Answer<T = any> {
  status: number;
  body: T;
}

export const isFinal = (plan: PlanView | undefined): boolean => !!plan && (FINAL_STATUSES as readonly string[]).includes(plan.status);

export class AgentClient {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
    readonly sessionId = `chaos-${Math.random().toString(36).slice(2, 10)}`,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    try {
      const response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(35_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      return { status: response.status, body: parsed };
    } catch (error) {
      return { status: 0, body: { error: { code: 'Network', message: (error as Error).message } } };
    }
  }

  send(text: string): Promise<Answer<{ planId?: string; status?: string }>> {
    return this.call('POST', `/v1/sessions/${encodeURIComponent(this.sessionId)}/messages`, { text });
  }

  /** The plan, or undefined when it cannot be read (with the answer's status). */
  async plan(planId: string): Promise<{ plan?: PlanView; status: number }> {
    const answer = await this.call('GET', `/v1/plans/${encodeURIComponent(planId)}`);
    return answer.status === 200 ? { plan: answer.body as PlanView, status: 200 } : { status: answer.status };
  }

  pendingApprovals(): Promise<Answer<{ approvals?: Array<{ approvalId: string; planId: string; taskId: string; summary: string }> }>> {
    return this.call('GET', '/v1/approvals?status=pending');
  }

  decide(approvalId: string, decision: 'grant' | 'deny'): Promise<Answer> {
    return this.call('POST', `/v1/approvals/${encodeURIComponent(approvalId)}`, { decision });
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value or the deadline (epoch ms) passes; undefined then. */
export async function until<T>(deadline: number, probe: () => Promise<T | undefined>, everyMs = 500): Promise<T | undefined> {
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(everyMs, Math.max(0, deadline - Date.now())));
  }
}

export interface Settled {
  /** The last view of each plan that could be read. */
  plans: Map<string, PlanView>;
  /** Plans that could not be read at the end (lost). */
  unreadable: string[];
  /** Plans readable but not final by the deadline (stuck). */
  nonFinal: string[];
}

/** Waits until every plan is final or the deadline passes, and says which are not. */
export async function settle(client: AgentClient, planIds: string[], deadline: number): Promise<Settled> {
  const plans = new Map<string, PlanView>();
  const statuses = new Map<string, number>();
  const open = () => planIds.filter((id) => !isFinal(plans.get(id)));
  await until(deadline, async () => {
    for (const id of open()) {
      const { plan, status } = await client.plan(id);
      statuses.set(id, status);
      if (plan) plans.set(id, plan);
    }
    return open().length === 0 ? true : undefined;
  }, 1000);
  const unreadable = planIds.filter((id) => !plans.has(id) || statuses.get(id) !== 200);
  return { plans, unreadable, nonFinal: planIds.filter((id) => plans.has(id) && !isFinal(plans.get(id)) && !unreadable.includes(id)) };
}

/** A failure a person can read: a code and a sentence, no stack trace, no object dump. */
export function readableError(error: { code?: string; message?: string } | undefined): boolean {
  if (!error?.code || !error.message) return false;
  const message = error.message;
  return message.length >= 10 && message.length <= 1000 && !/\n\s+at\s/.test(message) && !message.includes('[object Object]') && !/\bundefined\b/.test(message);
}
