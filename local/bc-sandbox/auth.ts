// The Entra-like token endpoint (client credentials) and bearer-token checks. Tokens are opaque random strings
// held in memory with their expiry; the clock is injectable so tests can expire a token without waiting.
import { randomBytes, timingSafeEqual } from 'node:crypto';

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

export class TokenIssuer {
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();

  constructor(private readonly config: AuthConfig) {}

  /** Handles `POST /{tenant}/oauth2/v2.0/token` with an urlencoded form (or HTTP Basic client credentials). */
  issue(tenant: string, form: URLSearchParams, authorization: string | undefined): TokenResponse {
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
    if (grantType !== 'client_credentials') {
      return entraError(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grantType ?? ''}'.`);
    }
    if (!clientId) return entraError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
    const scope = form.get('scope');
    if (!scope) return entraError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'scope'.");
    if (!scope.split(' ').every((s) => s.endsWith('/.default'))) {
      return entraError(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    if (clientId !== this.config.clientId) {
      return entraError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    if (!clientSecret || !sameSecret(clientSecret, this.config.clientSecret)) {
      return entraError(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    const accessToken = `bcsbx.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { clientId, expiresAt: this.config.now() + this.config.tokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: this.config.tokenTtlSeconds, ext_expires_in: this.config.tokenTtlSeconds, access_token: accessToken },
    };
  }

  /** The principal (client id) a valid, unexpired bearer token belongs to; undefined otherwise. */
  verify(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const entry = this.tokens.get(match[1]!);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.config.now()) {
      this.tokens.delete(match[1]!);
      return undefined;
    }
    return entry.clientId;
  }
}
