// The client side of the delegated grants a BC caller uses against Entra ID v2 (or the BC sandbox, which serves
// the same endpoint): on-behalf-of (the API's caller's access token becomes a BC token acting as that person,
// with a refresh token when offline access is asked for) and the refresh-token grant (a stored refresh token
// becomes a fresh BC access token hours later). Failures keep Entra's error, AADSTS codes and description;
// never the client secret, the user's assertion or a token.
import { safeUrl } from './token.js';

export const BC_DEFAULT_SCOPE = 'https://api.businesscentral.dynamics.com/.default';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface TokenEndpoint {
  /** e.g. `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`, or the sandbox's tokenUrl. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Default `https://api.businesscentral.dynamics.com/.default`. */
  scope?: string;
  fetch?: typeof fetch;
}

export interface OnBehalfOfTokenRequest extends TokenEndpoint {
  /** The user's access token the calling API received (its audience is that API). */
  assertion: string;
  /** Ask for `offline_access` too, so the answer carries a refresh token (for work that waits, e.g. approvals). */
  offlineAccess?: boolean;
}

export interface RefreshTokenRequest extends TokenEndpoint {
  refreshToken: string;
}

export interface OnBehalfOfToken {
  accessToken: string;
  tokenType: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  scope?: string;
  /** Present when offline access was granted. */
  refreshToken?: string;
}

/** An Entra error answer: `error` (invalid_grant, invalid_client, …), its AADSTS codes and description. */
export class OnBehalfOfTokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly errorCodes: number[],
    readonly description: string,
  ) {
    super(`delegated token request failed (HTTP ${status}, ${error}): ${description}`);
    this.name = 'OnBehalfOfTokenError';
  }

  /** The person must sign in again (expired, revoked or otherwise unusable grant), as opposed to a setup error. */
  get needsSignIn(): boolean {
    return this.error === 'invalid_grant' || this.error === 'interaction_required';
  }
}

function scopeOf(request: { scope?: string; offlineAccess?: boolean }): string {
  const scope = request.scope ?? BC_DEFAULT_SCOPE;
  return request.offlineAccess && !scope.split(' ').includes('offline_access') ? `${scope} offline_access` : scope;
}

/** The urlencoded form Entra ID v2 expects for the on-behalf-of grant. */
export function onBehalfOfTokenForm(request: Omit<OnBehalfOfTokenRequest, 'tokenUrl' | 'fetch'>): URLSearchParams {
  return new URLSearchParams({
    grant_type: JWT_BEARER_GRANT,
    client_id: request.clientId,
    client_secret: request.clientSecret,
    assertion: request.assertion,
    scope: scopeOf(request),
    requested_token_use: 'on_behalf_of',
  });
}

/** The urlencoded form of the refresh-token grant (confidential client: the secret goes along). */
export function refreshTokenForm(request: Omit<RefreshTokenRequest, 'tokenUrl' | 'fetch'>): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: request.clientId,
    client_secret: request.clientSecret,
    refresh_token: request.refreshToken,
    scope: scopeOf({ ...request, offlineAccess: true }),
  });
}

export function requestOnBehalfOfToken(request: OnBehalfOfTokenRequest): Promise<OnBehalfOfToken> {
  return post(request, onBehalfOfTokenForm(request));
}

export function redeemRefreshToken(request: RefreshTokenRequest): Promise<OnBehalfOfToken> {
  return post(request, refreshTokenForm(request));
}

async function post(endpoint: TokenEndpoint, form: URLSearchParams): Promise<OnBehalfOfToken> {
  let response: Response;
  try {
    response = await (endpoint.fetch ?? fetch)(endpoint.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form,
    });
  } catch (error) {
    // A network failure names the endpoint, never the form (it holds the secret and the user's token).
    throw new OnBehalfOfTokenError(0, 'network_error', [], `the token endpoint ${safeUrl(endpoint.tokenUrl)} could not be reached (${error instanceof Error ? error.name : 'error'})`);
  }
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new OnBehalfOfTokenError(response.status, 'invalid_response', [], `the token endpoint answered with a body that is not JSON (${text.length} bytes)`);
  }
  if (!response.ok || typeof body.access_token !== 'string') {
    const codes = Array.isArray(body.error_codes) ? body.error_codes.filter((c): c is number => typeof c === 'number') : [];
    throw new OnBehalfOfTokenError(response.status, typeof body.error === 'string' ? body.error : 'invalid_response', codes, typeof body.error_description === 'string' ? body.error_description : 'no access_token in the answer');
  }
  return {
    accessToken: body.access_token,
    tokenType: typeof body.token_type === 'string' ? body.token_type : 'Bearer',
    expiresIn: Number(body.expires_in ?? 0),
    ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
    ...(typeof body.refresh_token === 'string' && body.refresh_token ? { refreshToken: body.refresh_token } : {}),
  };
}
