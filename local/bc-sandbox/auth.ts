// The Entra-like token endpoint and bearer-token checks. Three grants, as Entra ID v2 serves them: client
// credentials (the token acts as the app registration, with the app's permission sets), on-behalf-of
// (`urn:ietf:params:oauth:grant-type:jwt-bearer` with the user's access token as `assertion`; the token acts as
// that user, with the user's permission sets; with `offline_access` in the scope a refresh token comes along) and
// refresh_token (a refresh token from either becomes a new access token and a new refresh token; the old one stays
// valid until its own expiry, as Entra's are for confidential clients). Revoking a user's sign-in sessions (Graph's
// revokeSignInSessions) invalidates every refresh token issued to that user before. Tokens are opaque random
// strings held in memory with their principal and expiry; the clock is injectable so tests can expire a token
// without waiting.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Directory, type BcPrincipal } from './directory.js';
import { userAssertionVerifier, type AssertionCheck, type UserAssertionTrust } from './on-behalf-of.js';

import { JWT_BEARER_GRANT } from '../../functions/core/bc/index.js';
/** The delegated scope BC's API grants (the token response names it, as Entra does for a `.default` request). */
export const BC_DELEGATED_SCOPE = 'https://api.businesscentral.dynamics.com/Financials.ReadWrite.All';

export interface AuthConfig {
  tenant: string;
  clientId: string;
  clientSecret: string;
  tokenTtlSeconds: number;
  /** Lifetime of a refresh token (Entra: 90 days of inactivity); default 90 days. */
  refreshTokenTtlSeconds?: number;
  now: () => number;
}

interface RefreshGrant {
  principal: BcPrincipal;
  /** The user's directory object id (to find them again: a user removed or disabled since is refused). */
  objectId: string;
  expiresAt: number;
  /** The user's sign-in session generation when issued; revoking sessions moves it on. */
  generation: number;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

function entraError(status: number, error: string, description: string): TokenResponse {
  return {
    status,
    body: {
      error,
      error_description: description,
      error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
      timestamp: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      trace_id: randomBytes(16).toString('hex'),
      correlation_id: randomBytes(16).toString('hex'),
    },
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const isBcScope = (s: string) => s === 'https://api.businesscentral.dynamics.com/.default' || s === BC_DELEGATED_SCOPE;

/** Delegated grants ask for BC's scope, optionally with offline_access (a refresh token), and nothing else. */
function delegatedScopeError(scope: string): TokenResponse | undefined {
  const scopes = scope.split(' ').filter(Boolean);
  if (scopes.some(isBcScope) && scopes.every((s) => isBcScope(s) || s === 'offline_access')) return undefined;
  return entraError(400, 'invalid_scope', `AADSTS70011: The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid; this resource grants '${BC_DELEGATED_SCOPE}' (or '.default').`);
}

const wantsOfflineAccess = (scope: string) => scope.split(' ').includes('offline_access');

const missing = (parameter: string) => entraError(400, 'invalid_request', `AADSTS900144: The request body must contain the following parameter: '${parameter}'.`);

export class TokenIssuer {
  private readonly tokens = new Map<string, { principal: BcPrincipal; expiresAt: number }>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  /** Per user security id: how many times their sign-in sessions were revoked. */
  private readonly sessionGenerations = new Map<string, number>();
  private verifyAssertion?: (assertion: string, nowMs: number) => Promise<AssertionCheck>;

  constructor(
    private readonly config: AuthConfig,
    private readonly directory: Directory = new Directory(),
    trust?: UserAssertionTrust,
  ) {
    if (trust) this.trust(trust);
  }

  /** Which issuer's user tokens the on-behalf-of grant accepts (replaces any earlier trust). */
  trust(trust: UserAssertionTrust): void {
    this.verifyAssertion = userAssertionVerifier(trust);
  }

  /** Handles `POST /{tenant}/oauth2/v2.0/token` with an urlencoded form (or HTTP Basic client credentials). */
  async issue(tenant: string, form: URLSearchParams, authorization: string | undefined): Promise<TokenResponse> {
    if (tenant !== this.config.tenant) {
      return entraError(400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
    }
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret') ?? '';
    if (authorization?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      clientSecret = decodeURIComponent(secret ?? '');
    }
    const grantType = form.get('grant_type');
    if (grantType === JWT_BEARER_GRANT) return this.onBehalfOf(tenant, form, clientId, clientSecret);
    if (grantType === 'refresh_token') return this.refresh(tenant, form, clientId, clientSecret);
    if (grantType !== 'client_credentials') {
      return entraError(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grantType ?? ''}'.`);
    }
    if (!clientId) return missing('client_id');
    const scope = form.get('scope');
    if (!scope) return missing('scope');
    if (!scope.split(' ').every((s) => s.endsWith('/.default'))) {
      return entraError(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const clientError = this.authenticateClient(tenant, clientId, clientSecret);
    if (clientError) return clientError;
    return this.grant(this.directory.appPrincipal(clientId));
  }

  /**
   * The on-behalf-of grant (Entra ID v2): the calling API authenticates as itself and presents the user's access
   * token; the new token acts as that user in BC. Checks run in Entra's order: parameters, client, assertion, user.
   */
  private async onBehalfOf(tenant: string, form: URLSearchParams, clientId: string, clientSecret: string): Promise<TokenResponse> {
    if (!clientId) return missing('client_id');
    const requestedUse = form.get('requested_token_use');
    if (!requestedUse) return missing('requested_token_use');
    if (requestedUse !== 'on_behalf_of') {
      return entraError(400, 'invalid_request', `AADSTS50049: The value '${requestedUse}' of 'requested_token_use' is not valid; the jwt-bearer grant needs 'on_behalf_of'.`);
    }
    const assertion = form.get('assertion');
    if (!assertion) return missing('assertion');
    const scope = form.get('scope');
    if (!scope) return missing('scope');
    const scopeError = delegatedScopeError(scope);
    if (scopeError) return scopeError;
    const clientError = this.authenticateClient(tenant, clientId, clientSecret);
    if (clientError) return clientError;
    if (!this.verifyAssertion) {
      return entraError(400, 'invalid_grant', 'AADSTS50013: Assertion failed signature validation. [Reason - No trusted issuer of user assertions is configured for this tenant.]');
    }
    const check = await this.verifyAssertion(assertion, this.config.now());
    if (!check.ok) return entraError(400, check.error, check.description);
    const user = this.directory.userByObjectId(check.userId);
    if (!user) {
      return entraError(400, 'invalid_grant', `AADSTS50034: The user account ${check.userId} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`);
    }
    if (user.state === 'Disabled') return entraError(400, 'invalid_grant', 'AADSTS50057: The user account is disabled.');
    const principal = this.directory.userPrincipal(user, clientId);
    return this.grant(principal, BC_DELEGATED_SCOPE, wantsOfflineAccess(scope) ? user.authenticationObjectId : undefined);
  }

  /** The refresh-token grant: a new access token (and refresh token) for the same user, if the grant still holds. */
  private async refresh(tenant: string, form: URLSearchParams, clientId: string, clientSecret: string): Promise<TokenResponse> {
    if (!clientId) return missing('client_id');
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return missing('refresh_token');
    const scope = form.get('scope') ?? BC_DELEGATED_SCOPE;
    const scopeError = delegatedScopeError(scope);
    if (scopeError) return scopeError;
    const clientError = this.authenticateClient(tenant, clientId, clientSecret);
    if (clientError) return clientError;
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant) return entraError(400, 'invalid_grant', 'AADSTS9002313: Invalid request. Request is malformed or invalid. The refresh token is not one this tenant issued.');
    if (grant.principal.clientId !== clientId) {
      return entraError(400, 'invalid_grant', `AADSTS70000: Provided grant is invalid or malformed. The refresh token was issued to a different client than '${clientId}'.`);
    }
    if (grant.expiresAt <= this.config.now()) {
      this.refreshTokens.delete(refreshToken);
      return entraError(400, 'invalid_grant', `AADSTS700082: The refresh token has expired due to inactivity. The token was issued on ${new Date(grant.expiresAt - this.refreshTtlMs()).toISOString()} and was inactive for ${Math.round(this.refreshTtlMs() / 1000)} seconds.`);
    }
    if (grant.generation !== this.generationOf(grant.principal.userSecurityId)) {
      this.refreshTokens.delete(refreshToken);
      return entraError(400, 'invalid_grant', "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password, or an administrator revoked the user's sign-in sessions.");
    }
    const user = this.directory.userByObjectId(grant.objectId);
    if (!user || user.userSecurityId !== grant.principal.userSecurityId) {
      return entraError(400, 'invalid_grant', `AADSTS50034: The user account ${grant.objectId} does not exist in the ${tenant} directory.`);
    }
    if (user.state === 'Disabled') return entraError(400, 'invalid_grant', 'AADSTS50057: The user account is disabled.');
    return this.grant(this.directory.userPrincipal(user, clientId), BC_DELEGATED_SCOPE, grant.objectId);
  }

  /**
   * Graph's revokeSignInSessions for one user (by directory object id or BC user name): every refresh token issued
   * to them so far stops working; access tokens already issued stay valid until they expire, as in Entra ID.
   * Returns whether the user exists.
   */
  revokeSignInSessions(user: string): boolean {
    const byName = this.directory.config().users.find((u) => u.userName === user.toUpperCase());
    const found = this.directory.userByObjectId(user) ?? (byName ? this.directory.userByObjectId(byName.authenticationObjectId) : undefined);
    if (!found) return false;
    this.sessionGenerations.set(found.userSecurityId, this.generationOf(found.userSecurityId) + 1);
    return true;
  }

  private generationOf(userSecurityId: string): number {
    return this.sessionGenerations.get(userSecurityId) ?? 0;
  }

  private refreshTtlMs(): number {
    return (this.config.refreshTokenTtlSeconds ?? 90 * 24 * 3600) * 1000;
  }

  private authenticateClient(tenant: string, clientId: string, clientSecret: string): TokenResponse | undefined {
    if (clientId !== this.config.clientId) {
      return entraError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    if (!clientSecret || !sameSecret(clientSecret, this.config.clientSecret)) {
      return entraError(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    return undefined;
  }

  /** An access token for `principal`; with `offlineFor` (the user's object id) a refresh token too. */
  private grant(principal: BcPrincipal, scope?: string, offlineFor?: string): TokenResponse {
    const accessToken = `bcsbx.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { principal, expiresAt: this.config.now() + this.config.tokenTtlSeconds * 1000 });
    let refreshToken: string | undefined;
    if (offlineFor) {
      refreshToken = `bcsbx-rt.${randomBytes(32).toString('base64url')}`;
      this.refreshTokens.set(refreshToken, { principal, objectId: offlineFor, expiresAt: this.config.now() + this.refreshTtlMs(), generation: this.generationOf(principal.userSecurityId) });
    }
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        ...(scope ? { scope: refreshToken ? `${scope} offline_access` : scope } : {}),
        expires_in: this.config.tokenTtlSeconds,
        ext_expires_in: this.config.tokenTtlSeconds,
        access_token: accessToken,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
      },
    };
  }

  /** The principal a valid, unexpired bearer token acts for; undefined otherwise. */
  verify(authorization: string | undefined): BcPrincipal | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const entry = this.tokens.get(match[1]!);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.config.now()) {
      this.tokens.delete(match[1]!);
      return undefined;
    }
    return entry.principal;
  }
}
