// OAuth2 client credentials against Entra ID (or the sandbox's token endpoint). The token is cached until
// shortly before it expires; concurrent callers share one refresh. The secret only ever goes into the form
// body of the token request and is scrubbed from any error text.
import { BcAuthError, BcError } from './errors.js';
import type { HttpRequest, HttpResponse } from './transport.js';

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

interface CachedToken {
  accessToken: string;
  /** When to stop using it: a margin before the real expiry. */
  refreshAt: number;
}

/** Refresh this long before expiry, but never more than a tenth of the token's lifetime. */
const MAX_REFRESH_MARGIN_MS = 60_000;

// Credentials and the token sit in #private fields so that logging or serialising the client shows neither.
export class TokenProvider {
  #credentials: ClientCredentials;
  #cached?: CachedToken;
  #inflight?: Promise<string>;
  /** Token requests made (for tests and the bench). */
  requests = 0;

  constructor(
    credentials: ClientCredentials,
    private readonly send: (request: HttpRequest) => Promise<HttpResponse>,
    private readonly now: () => number,
  ) {
    this.#credentials = credentials;
  }

  /** A valid access token; `forceRefresh` after BC answered 401 to `rejected`. */
  async token(forceRefresh = false, rejected?: string): Promise<string> {
    // A 401 for a token that was already replaced must not throw the new one away.
    if (forceRefresh && this.#cached && (rejected === undefined || this.#cached.accessToken === rejected)) {
      this.#cached = undefined;
    }
    if (this.#cached && this.now() < this.#cached.refreshAt) return this.#cached.accessToken;
    this.#inflight ??= this.fetchToken().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    this.requests += 1;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.#credentials.clientId,
      client_secret: this.#credentials.clientSecret,
      scope: this.#credentials.scope,
    });
    const requestedAt = this.now();
    let response: HttpResponse;
    try {
      response = await this.send({
        method: 'POST',
        url: this.#credentials.tokenUrl,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form.toString(),
        idempotent: true, // asking for a token twice is harmless
      });
    } catch (error) {
      throw this.authFailure(error);
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(response.text) as typeof body;
    } catch {
      throw new BcAuthError('The token endpoint answered with something other than JSON', { kind: 'auth', status: response.status, code: 'Authentication_InvalidTokenResponse' });
    }
    const expiresIn = Number(body.expires_in);
    if (typeof body.access_token !== 'string' || body.access_token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new BcAuthError('The token endpoint answered without access_token/expires_in', { kind: 'auth', status: response.status, code: 'Authentication_InvalidTokenResponse' });
    }
    const lifetimeMs = expiresIn * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10);
    this.#cached = { accessToken: body.access_token, refreshAt: requestedAt + lifetimeMs - margin };
    return body.access_token;
  }

  /** Token endpoint failures become auth errors (kind kept when transient), with the secret scrubbed. */
  private authFailure(error: unknown): BcError {
    if (!(error instanceof BcError)) return new BcAuthError(this.scrub(String(error)), { kind: 'auth', status: 0, code: 'Authentication_Failed' });
    const oauth = error.code.startsWith('Http_') ? undefined : error.code;
    const message = this.scrub(`Could not get a BC access token from ${safeUrl(this.#credentials.tokenUrl)}: ${error.message}`);
    const transient = error.retryable || error.kind === 'server';
    return new (transient ? (error.constructor as typeof BcError) : BcAuthError)(message, {
      kind: transient ? error.kind : 'auth',
      status: error.status,
      code: oauth ?? 'Authentication_InvalidCredentials',
      correlationId: error.correlationId,
      retryAfterMs: error.retryAfterMs,
    });
  }

  private scrub(text: string): string {
    const secret = this.#credentials.clientSecret;
    return secret ? text.split(secret).join('***').split(encodeURIComponent(secret)).join('***') : text;
  }
}

/** A token URL fit for an error message: without its query (which may carry secrets). */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(the configured token URL)';
  }
}
