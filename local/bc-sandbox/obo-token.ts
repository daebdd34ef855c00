// The client side of the on-behalf-of grant, as a worker calls it against Entra ID v2 or the sandbox: POST the
// form to `<authority>/<tenant>/oauth2/v2.0/token`, get a BC token that acts as the user. Failures keep Entra's
// error, AADSTS codes and description, never the secret or the user's token.

export const BC_DEFAULT_SCOPE = 'https://api.businesscentral.dynamics.com/.default';

export interface OnBehalfOfTokenRequest {
  /** e.g. `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`, or the sandbox's tokenUrl. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The user's access token the calling API received (its audience is that API). */
  assertion: string;
  /** Default `https://api.businesscentral.dynamics.com/.default`. */
  scope?: string;
  fetch?: typeof fetch;
}

export interface OnBehalfOfToken {
  accessToken: string;
  tokenType: string;
  /** Seconds until the token expires. */
  expiresIn: number;
  scope?: string;
}

/** An Entra error answer: `error` (invalid_grant, invalid_client, …), its AADSTS codes and description. */
export class OnBehalfOfTokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly errorCodes: number[],
    readonly description: string,
  ) {
    super(`on-behalf-of token request failed (HTTP ${status}, ${error}): ${description}`);
    this.name = 'OnBehalfOfTokenError';
  }
}

/** The urlencoded form Entra ID v2 expects for the on-behalf-of grant. */
export function onBehalfOfTokenForm(request: Omit<OnBehalfOfTokenRequest, 'tokenUrl' | 'fetch'>): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    client_id: request.clientId,
    client_secret: request.clientSecret,
    assertion: request.assertion,
    scope: request.scope ?? BC_DEFAULT_SCOPE,
    requested_token_use: 'on_behalf_of',
  });
}

export async function requestOnBehalfOfToken(request: OnBehalfOfTokenRequest): Promise<OnBehalfOfToken> {
  const response = await (request.fetch ?? fetch)(request.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: onBehalfOfTokenForm(request),
  });
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
  };
}
