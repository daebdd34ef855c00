// Who is signed in: the token and what its claims say, kept in sessionStorage (per tab, gone when the tab
// closes), so two windows can be two different users.

export interface SignedIn {
  token: string;
  sub: string;
  tenant: string;
  roles: string[];
  /** When the token stops being accepted (its `exp`). */
  expiresAt?: string;
}

const KEY = 'bc-agent.signed-in';

export function loadSignedIn(now = Date.now()): SignedIn | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const user = JSON.parse(raw) as SignedIn;
    if (user.expiresAt && Date.parse(user.expiresAt) <= now) return undefined;
    return user;
  } catch {
    return undefined;
  }
}

export function saveSignedIn(user: SignedIn | undefined): void {
  if (user) sessionStorage.setItem(KEY, JSON.stringify(user));
  else sessionStorage.removeItem(KEY);
}

/**
 * Reads a pasted access token's claims for display (the API checks the signature, not the console): the
 * subject, tenant and roles under the local names or Entra ID's (`oid`, `tid`).
 */
export function signedInFromToken(token: string): SignedIn {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new Error('that is not a JWT (three dot-separated parts)');
  let claims: Record<string, unknown>;
  try {
    const base64 = parts[1]!.replace(/-/g, '+').replace(/_/g, '/');
    claims = JSON.parse(decodeURIComponent(escape(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='))))) as Record<string, unknown>;
  } catch {
    throw new Error("the token's payload is not readable JSON");
  }
  const sub = String(claims.oid ?? claims.sub ?? '');
  const tenant = String(claims.tenant ?? claims.tid ?? '');
  const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : typeof claims.roles === 'string' ? claims.roles.split(/[ ,]+/).filter(Boolean) : [];
  if (!sub) throw new Error('the token names no subject (sub or oid)');
  return { token: token.trim(), sub, tenant, roles, ...(typeof claims.exp === 'number' ? { expiresAt: new Date(claims.exp * 1000).toISOString() } : {}) };
}

/** Whether this page load is the issuer sending the browser back to the console (a code or an error, with the state). */
export function isSignInCallback(search: string): boolean {
  const params = new URLSearchParams(search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

/** A chat session id per tab: the API's id pattern (letters, digits, . _ : -). */
export function sessionIdForTab(): string {
  const existing = sessionStorage.getItem('bc-agent.session');
  if (existing) return existing;
  const id = `web-${crypto.randomUUID()}`;
  sessionStorage.setItem('bc-agent.session', id);
  return id;
}
