// The console's only door to the backend: the HTTP API (docs/openapi.json) with the signed-in user's token,
// and the local cloud's dev-token endpoint. Errors keep the API's `{ error: { code, message } }`.
import type { components } from '../../functions/core/http/api-schema.js';

export interface ConsoleConfig {
  /** Empty: the console's own origin (CloudFront routes /v1/* to the API; the local cloud serves both). */
  apiUrl: string;
  wsUrl?: string;
  issuer?: string;
  audience?: string[];
  /** Whether the local cloud signs dev tokens at POST /_local/token. */
  devTokens?: boolean;
  /**
   * Sign-in through the stage's OIDC issuer (authorization code + PKCE): the console's client id, the scope
   * whose access token the API accepts, and, where the issuer's discovery document is not at
   * `<issuer>/.well-known/openid-configuration` (the local cloud's), where it is.
   */
  oidc?: OidcConfig;
  /** How often an unfinished plan is refetched without push (default 700 ms) and, as a safety net, with it (5 s). */
  pollMs?: number;
  pushPollMs?: number;
}

export interface OidcConfig {
  clientId: string;
  scope?: string;
  metadataUrl?: string;
}

// The API's shapes are docs/openapi.json's, generated into functions/core/http/api-schema.d.ts (the types the API's own code answers with; `npm run gen:api-types`; a test keeps
// the file in step with the document), so the console cannot drift from the contract the API is tested against.
type Schemas = components['schemas'];
export type PlanStatus = Schemas['PlanStatus'];
export type TaskStatus = Schemas['TaskStatus'];
export type ErrorInfo = Schemas['ErrorInfo'];
export type Task = Schemas['Task'];
/** Why the task is where it is (retrying, waiting for an approval, cancelled with its plan). */
export type StatusReason = Schemas['StatusReason'];
export type Plan = Schemas['Plan'];
export type Approval = Schemas['Approval'];
/** DELETE /v1/plans/{id}: the plan as cancelled, and what the cancellation did. */
export type CancelledPlan = Schemas['CancelledPlan'];
/** One entry of GET /v1/plans/{id}/events: an event as the audit log keeps it. */
export type PlanEvent = Schemas['PlanEvents']['events'][number];
/** GET /v1/sessions/{id}: what the tab's session said so far. */
export type Session = Schemas['Session'];

export const TERMINAL_PLAN_STATUSES: ReadonlySet<PlanStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface DevToken {
  token: string;
  sub: string;
  tenant: string;
  roles: string[];
  expiresAt: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  // A deployment without a config.json: the API is on this origin and sign-in takes a token from the issuer.
  if (response.status === 404) return { apiUrl: '' };
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  return (await response.json()) as ConsoleConfig;
}

export async function requestDevToken(request: { sub: string; tenant: string; roles: string[] }): Promise<DevToken> {
  const response = await fetch('_local/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  return (await readJson(response)) as DevToken;
}

export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    /** Called when the API answers 401: the token is expired or not trusted. */
    private readonly onUnauthorized?: () => void,
  ) {}

  sendMessage(sessionId: string, text: string): Promise<Plan> {
    return this.call('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/messages`, { text }) as Promise<Plan>;
  }

  /** The session, or undefined when it has no message yet (404). */
  async getSession(sessionId: string): Promise<Session | undefined> {
    try {
      return (await this.call('GET', `/v1/sessions/${encodeURIComponent(sessionId)}`)) as Session;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  getPlan(planId: string): Promise<Plan> {
    return this.call('GET', `/v1/plans/${encodeURIComponent(planId)}`) as Promise<Plan>;
  }

  /** Cancels what has not started; a pending approval is closed (DELETE /v1/plans/{id}). */
  cancelPlan(planId: string): Promise<CancelledPlan> {
    return this.call('DELETE', `/v1/plans/${encodeURIComponent(planId)}`) as Promise<CancelledPlan>;
  }

  /** The plan's whole story, oldest first: every page of GET /v1/plans/{id}/events, up to `maxPages`. */
  async planEvents(planId: string, maxPages = 10): Promise<{ events: PlanEvent[]; more: boolean }> {
    const events: PlanEvent[] = [];
    let after: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const query = `limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const body = (await this.call('GET', `/v1/plans/${encodeURIComponent(planId)}/events?${query}`)) as { events: PlanEvent[]; next?: string };
      events.push(...body.events);
      if (!body.next) return { events, more: false };
      after = body.next;
    }
    return { events, more: true };
  }

  /** Approvals the caller may decide (approvers); with `mine`, the caller's own requests where the API offers that. */
  async listApprovals(status: Approval['status'], mine = false): Promise<Approval[]> {
    const body = (await this.call('GET', `/v1/approvals?status=${status}${mine ? '&mine=true' : ''}`)) as { approvals: Approval[] };
    return body.approvals;
  }

  decide(approvalId: string, decision: 'grant' | 'deny', reason?: string): Promise<Approval> {
    return this.call('POST', `/v1/approvals/${encodeURIComponent(approvalId)}`, { decision, ...(reason ? { reason } : {}) }) as Promise<Approval>;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 401) this.onUnauthorized?.();
    return readJson(response);
  }
}

export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) return body;
  const error = (body as { error?: Partial<ErrorInfo>; message?: string } | undefined) ?? {};
  throw new ApiError(
    response.status,
    error.error?.code ?? (response.status === 401 ? 'Unauthorized' : response.status === 429 ? 'TooManyRequests' : `HTTP${response.status}`),
    error.error?.message ?? error.message ?? (text.slice(0, 200) || response.statusText),
  );
}
