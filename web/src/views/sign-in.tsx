// Sign-in: through the stage's OIDC issuer (authorization code + PKCE, oidc.ts) where config.json names the
// console's client id; on the local cloud also as any dev user (the local cloud signs the token); else with
// an access token from the issuer, pasted in.
import { useState } from 'preact/hooks';
import { requestDevToken, type ConsoleConfig } from '../api.js';
import { signedInFromToken, type SignedIn } from '../session.js';

export function SignIn({ config, onSignedIn, initialError }: { config: ConsoleConfig; onSignedIn(user: SignedIn): void; initialError?: string }) {
  const [sub, setSub] = useState('alice');
  const [tenant, setTenant] = useState('local');
  const [approver, setApprover] = useState(false);
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | undefined>(initialError);
  const [busy, setBusy] = useState(false);

  const devSignIn = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const token = await requestDevToken({ sub: sub.trim(), tenant: tenant.trim(), roles: approver ? ['approver'] : [] });
      onSignedIn({ token: token.token, sub: token.sub, tenant: token.tenant, roles: token.roles, expiresAt: token.expiresAt });
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const tokenSignIn = (event: Event) => {
    event.preventDefault();
    try {
      onSignedIn(signedInFromToken(pasted));
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const issuerSignIn = async () => {
    setBusy(true);
    setError(undefined);
    try {
      // Leaves the page for the issuer's sign-in; the console finishes when the issuer redirects back.
      const { oidcManager } = await import('../oidc.js');
      await oidcManager(config)!.signinRedirect();
    } catch (failure) {
      setError(`the issuer could not be reached: ${(failure as Error).message}`);
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Business Central agent</h1>
      {config.oidc && (
        <section class="oidc" aria-label="Sign in with the identity provider">
          <button type="button" class="primary" disabled={busy} onClick={issuerSignIn}>
            Sign in with your identity provider
          </button>
        </section>
      )}
      {config.devTokens ? (
        <form onSubmit={devSignIn} aria-label="Sign in as a local user">
          <h2>Sign in as a local user</h2>
          <p class="hint">The local cloud signs a one-hour dev token for this user, as <code>npm run token</code> does.</p>
          <label>
            User <input name="sub" value={sub} onInput={(e) => setSub(e.currentTarget.value)} required />
          </label>
          <label>
            Tenant <input name="tenant" value={tenant} onInput={(e) => setTenant(e.currentTarget.value)} required />
          </label>
          <label class="check">
            <input type="checkbox" name="approver" checked={approver} onChange={(e) => setApprover(e.currentTarget.checked)} /> approver
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      ) : config.oidc ? null : (
        <form onSubmit={tokenSignIn} aria-label="Sign in with a token">
          <h2>Sign in with your identity provider</h2>
          <p class="hint">Paste an access token issued for this API.</p>
          <textarea name="token" rows={4} value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} required />
          <button type="submit">Sign in</button>
        </form>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <section class="issuer" aria-label="Issuer">
        <h3>Identity provider</h3>
        <dl>
          <dt>issuer</dt>
          <dd>{config.issuer ?? 'not configured'}</dd>
          <dt>audience</dt>
          <dd>{config.audience?.join(', ') ?? 'not configured'}</dd>
        </dl>
      </section>
    </main>
  );
}
