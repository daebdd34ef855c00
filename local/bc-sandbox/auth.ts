// The Entra-like token endpoint and bearer-token checks. Two grants, as Entra ID v2 serves them: client
// credentials (the token acts as the app registration, with the app's permission sets) and on-behalf-of
// (`urn:ietf:params:oauth:grant-type:jwt-bearer` with the user's access token as `assertion`; the token acts as
// that user, with the user's permission sets). Tokens are opaque random strings held in memory with their
// principal and expiry; the clock is injectable so tests can expire a token without waiting.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Directory, type BcPrincipal } from './directory.js';
import { userAssertionVerifier, type AssertionCheck, type UserAssertionTrust } from './on-behalf-of.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The delegated scope BC's API grants (the token response names it, as Entra does for a `.default` request). */
export const BC_DELEGATED_SCOPE = 'https://api.businesscentral.dynamics.com/Financials.ReadWrite.All';

export interface AuthConfig {
  tenant: string;
  clientId: string;
  clientSecret: string;
  tokenTtlSeconds: number;
  now: () => number;
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

const missing = (parameter: string) => entraError(400, 'invalid_request', `AADSTS900144: The request body must contain the following parameter: '${parameter}'.`);

export class TokenIssuer {
  private readonly tokens = new Map<string, { principal: BcPrincipal; expiresAt: number }>();
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
    const scopes = scope.split(' ').filter(Boolean);
    const bcScope = (s: string) => s === 'https://api.businesscentral.dynamics.com/.default' || s === BC_DELEGATED_SCOPE;
    if (!scopes.some(bcScope) || !scopes.every((s) => bcScope(s) || s === 'offline_access')) {
      return entraError(400, 'invalid_scope', `AADSTS70011: The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid; this resource grants '${BC_DELEGATED_SCOPE}' (or '.default').`);
    }
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
    return this.grant(this.directory.userPrincipal(user, clientId), BC_DELEGATED_SCOPE);
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

  private grant(principal: BcPrincipal, scope?: string): TokenResponse {
    const accessToken = `bcsbx.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { principal, expiresAt: this.config.now() + this.config.tokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        ...(scope ? { scope } : {}),
        expires_in: this.config.tokenTtlSeconds,
        ext_expires_in: this.config.tokenTtlSeconds,
        access_token: accessToken,
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
