// Sign-in through the stage's OIDC issuer: authorization code + PKCE with oidc-client-ts (a certified
// OpenID Connect client for browsers). The redirect comes back to the console's own page; the access token
// it yields is what the API's JWT authorizer checks, read for display like a pasted one (session.ts).
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleConfig } from './api.js';
import { signedInFromToken, type SignedIn } from './session.js';

/** The console's page without query or fragment: the redirect URI registered for its client id. */
export function redirectUri(location: Pick<Location, 'origin' | 'pathname'>): string {
  return `${location.origin}${location.pathname}`;
}

export function oidcManager(config: ConsoleConfig): UserManager | undefined {
  if (!config.oidc || !config.issuer) return undefined;
  return new UserManager({
    authority: config.issuer,
    // The local issuer's discovery document is served beside the console, not under its issuer URL.
    ...(config.oidc.metadataUrl ? { metadataUrl: new URL(config.oidc.metadataUrl, window.location.href).href } : {}),
    client_id: config.oidc.clientId,
    redirect_uri: redirectUri(window.location),
    response_type: 'code',
    scope: config.oidc.scope ?? 'openid',
    loadUserInfo: false,
    automaticSilentRenew: false,
    // Per tab, like the console's own sign-in (two windows can be two users).
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

/**
 * Completes a sign-in the issuer redirected back with: exchanges the code (with the PKCE verifier kept since
 * the redirect), then drops the code from the address bar so a reload does not replay it.
 */
export async function completeSignIn(manager: UserManager): Promise<SignedIn> {
  try {
    const user = await manager.signinRedirectCallback();
    const signedIn = signedInFromToken(user.access_token);
    return user.expires_at ? { ...signedIn, expiresAt: new Date(user.expires_at * 1000).toISOString() } : signedIn;
  } finally {
    window.history.replaceState(null, '', redirectUri(window.location));
  }
}
