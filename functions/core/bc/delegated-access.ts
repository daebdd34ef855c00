// Per-user BC access (on-behalf-of). The orchestrator, holding the caller's API token only while it handles the
// message, exchanges it once for a delegated BC grant with offline access and keeps only the refresh token, sealed
// with KMS and stored with a TTL (BcDelegation). Workers, minutes or hours later (an approval may wait), redeem
// that refresh token for a BC access token acting as the person (DelegatedTokens), cached per container and user
// until shortly before it expires. BC then applies the person's own permission sets and change log.
// Tokens never leave these objects except as the bearer of a BC request: errors carry Entra's explanation only.
import { OnBehalfOfTokenError, redeemRefreshToken, requestOnBehalfOfToken } from './entra-token.js';
import type { DelegationStore } from './delegation-store.js';
import type { Envelope, EncryptionContext } from './envelope.js';

export interface DelegationClient {
  tokenUrl: string;
  /** The app registration's credentials (a confidential client: the secret goes with every grant). */
  credentials: () => Promise<{ clientId: string; clientSecret: string }>;
  /** Default BC's `.default`. */
  scope?: string;
  envelope: Envelope;
  store: DelegationStore;
  now?: () => number;
  fetch?: typeof fetch;
}

/** Why BC cannot be called for the person; `signInRequired` means a fresh message (a new sign-in) fixes it. */
export class BcDelegationError extends Error {
  override readonly name = 'BcDelegationError';
  constructor(
    readonly code: 'BcSignInRequired' | 'BcDelegationMisconfigured' | 'BcDelegationUnavailable',
    message: string,
    /** Worth retrying as is (the identity provider could not be reached or failed). */
    readonly transient: boolean,
  ) {
    super(message);
  }

  get signInRequired(): boolean {
    return this.code === 'BcSignInRequired';
  }
}

const contextOf = (tenantId: string, userId: string): EncryptionContext => ({ purpose: 'bc-delegated-refresh-token', tenantId, userId });

function fromTokenError(error: unknown, what: string): unknown {
  if (!(error instanceof OnBehalfOfTokenError)) return error;
  if (error.needsSignIn) return new BcDelegationError('BcSignInRequired', `${what}: ${error.description}`, false);
  if (error.status === 0 || error.status >= 500 || error.error === 'temporarily_unavailable') {
    return new BcDelegationError('BcDelegationUnavailable', `${what}: the identity provider did not answer (${error.description})`, true);
  }
  return new BcDelegationError('BcDelegationMisconfigured', `${what}: ${error.error}: ${error.description}`, false);
}

/** The orchestrator's side: turns the caller's API token into a stored, sealed delegated grant. */
export class BcDelegation {
  constructor(
    private readonly client: DelegationClient,
    /** How long the grant is kept: longer than an approval may wait. */
    private readonly ttlSeconds: number,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error(`the delegation TTL must be a positive number of seconds, got ${ttlSeconds}`);
  }

  /** Exchanges `assertion` (the caller's bearer token) on behalf of the user and stores the sealed refresh token. */
  async accept(tenantId: string, userId: string, assertion: string): Promise<{ expiresAt: string }> {
    const now = (this.client.now ?? Date.now)();
    const { clientId, clientSecret } = await this.client.credentials();
    let refreshToken: string | undefined;
    try {
      ({ refreshToken } = await requestOnBehalfOfToken({
        tokenUrl: this.client.tokenUrl,
        clientId,
        clientSecret,
        assertion,
        offlineAccess: true,
        ...(this.client.scope ? { scope: this.client.scope } : {}),
        ...(this.client.fetch ? { fetch: this.client.fetch } : {}),
      }));
    } catch (error) {
      throw fromTokenError(error, `Business Central refused to act on behalf of ${userId}`);
    }
    if (!refreshToken) {
      throw new BcDelegationError('BcDelegationMisconfigured', 'The identity provider granted no refresh token: the app registration needs the offline_access permission for work that waits (approvals).', false);
    }
    const expiresAt = Math.floor(now / 1000) + this.ttlSeconds;
    await this.client.store.put({
      tenantId,
      userId,
      refreshToken: await this.client.envelope.seal(refreshToken, contextOf(tenantId, userId)),
      grantedAt: new Date(now).toISOString(),
      expiresAt,
    });
    return { expiresAt: new Date(expiresAt * 1000).toISOString() };
  }
}

/** Refresh this long before expiry, but never more than a tenth of the token's lifetime. */
const MAX_REFRESH_MARGIN_MS = 60_000;

/** The workers' side: a BC access token acting as the user, from their stored grant; cached per user. */
export class DelegatedTokens {
  readonly #cache = new Map<string, { token: string; refreshAt: number }>();
  readonly #inflight = new Map<string, Promise<string>>();
  /** Refresh-token redemptions made (tests and the bench count them). */
  redemptions = 0;

  constructor(private readonly client: DelegationClient) {}

  async accessToken(tenantId: string, userId: string): Promise<string> {
    const key = `${tenantId}\u0000${userId}`;
    const now = (this.client.now ?? Date.now)();
    const cached = this.#cache.get(key);
    if (cached && now < cached.refreshAt) return cached.token;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.redeem(tenantId, userId, key).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  /** Forgets a token BC refused, so the next call redeems the grant again. */
  invalidate(tenantId: string, userId: string, token?: string): void {
    const key = `${tenantId}\u0000${userId}`;
    if (token === undefined || this.#cache.get(key)?.token === token) this.#cache.delete(key);
  }

  private async redeem(tenantId: string, userId: string, key: string): Promise<string> {
    const now = (this.client.now ?? Date.now)();
    const stored = await this.client.store.get(tenantId, userId, now);
    if (!stored) {
      throw new BcDelegationError(
        'BcSignInRequired',
        `Business Central access on behalf of ${userId} has expired: no delegated sign-in is stored for them any more. Nothing was sent to Business Central; send the message again to sign in anew.`,
        false,
      );
    }
    const refreshToken = await this.client.envelope.open(stored.refreshToken, contextOf(tenantId, userId));
    const { clientId, clientSecret } = await this.client.credentials();
    this.redemptions += 1;
    let token;
    try {
      token = await redeemRefreshToken({
        tokenUrl: this.client.tokenUrl,
        clientId,
        clientSecret,
        refreshToken,
        ...(this.client.scope ? { scope: this.client.scope } : {}),
        ...(this.client.fetch ? { fetch: this.client.fetch } : {}),
      });
    } catch (error) {
      const failure = fromTokenError(error, `Business Central access on behalf of ${userId} could not be renewed`);
      if (failure instanceof BcDelegationError && failure.signInRequired) {
        throw new BcDelegationError('BcSignInRequired', `${failure.message} Nothing was sent to Business Central; send the message again to sign in anew.`, false);
      }
      throw failure;
    }
    const lifetimeMs = Math.max(0, token.expiresIn) * 1000;
    this.#cache.set(key, { token: token.accessToken, refreshAt: now + lifetimeMs - Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10) });
    return token.accessToken;
  }
}
