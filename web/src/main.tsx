// The web console: sign in, chat with the agent and watch its plans run, decide approvals.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, loadConfig, type ConsoleConfig } from './api.js';
import { LiveFeed, type LiveState } from './live.js';
import { isSignInCallback, loadSignedIn, saveSignedIn, sessionIdForTab, type SignedIn } from './session.js';
import { Approvals } from './views/approvals.js';
import { Chat } from './views/chat.js';
import { OPERATIONS_HASH, useLocationHash } from './hooks.js';
import { OPERATOR_ROLE } from './operations-api.js';
import { SignIn } from './views/sign-in.js';

function App() {
  const [config, setConfig] = useState<ConsoleConfig>();
  const [failure, setFailure] = useState<string>();
  const [user, setUser] = useState<SignedIn | undefined>(() => loadSignedIn());
  const [signInError, setSignInError] = useState<string>();

  useEffect(() => {
    loadConfig().then(
      async (loaded) => {
        // Back from the issuer's sign-in page: finish the code exchange before showing anything. The OIDC
        // client is loaded only when needed (its own chunk), so dev-token sign-in does not carry it.
        if (loaded.oidc && isSignInCallback(window.location.search)) {
          try {
            const { completeSignIn, oidcManager } = await import('./oidc.js');
            const signedIn = await completeSignIn(oidcManager(loaded)!);
            saveSignedIn(signedIn);
            setUser(signedIn);
          } catch (error) {
            setSignInError(`sign-in with the issuer failed: ${(error as Error).message}`);
          }
        }
        setConfig(loaded);
      },
      (error: unknown) => setFailure((error as Error).message),
    );
  }, []);

  if (failure) return <p class="error" role="alert">The console could not load its configuration: {failure}</p>;
  if (!config) return <p class="hint">loading…</p>;
  if (!user) {
    return (
      <SignIn
        config={config}
        {...(signInError ? { initialError: signInError } : {})}
        onSignedIn={(signedIn) => {
          saveSignedIn(signedIn);
          setSignInError(undefined);
          setUser(signedIn);
        }}
      />
    );
  }
  return (
    <Console
      config={config}
      user={user}
      onSignOut={(reason?: string) => {
        saveSignedIn(undefined);
        if (config.oidc) void import('./oidc.js').then(({ oidcManager }) => oidcManager(config)?.removeUser());
        setSignInError(reason);
        setUser(undefined);
      }}
    />
  );
}

function Console({ config, user, onSignOut }: { config: ConsoleConfig; user: SignedIn; onSignOut(reason?: string): void }) {
  const sessionId = useMemo(() => sessionIdForTab(), []);
  // A token the API no longer accepts (expired, or signed by a key it does not trust) ends the sign-in.
  const api = useMemo(
    () => new Api(config.apiUrl, user.token, () => onSignOut('The API no longer accepts your sign-in (it expired or was refused); sign in again.')),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [config.apiUrl, user.token],
  );
  const live = useMemo(() => new LiveFeed(config.wsUrl, user.token, sessionId), [config.wsUrl, user.token, sessionId]);
  const [liveState, setLiveState] = useState<LiveState>(live.state);
  useEffect(() => {
    const off = live.onState(setLiveState);
    // The socket may have opened between the render and this effect (effects run after paint): catch up.
    setLiveState(live.state);
    return () => {
      off();
      live.close();
    };
  }, [live]);
  const approver = user.roles.includes('approver');
  const operator = user.roles.includes(OPERATOR_ROLE);
  const operations = useLocationHash() === OPERATIONS_HASH && operator;
  return (
    <div class="console">
      <header class="top">
        <b>BC agent</b>
        <span class="who" aria-label="signed in as">
          {user.sub} @ {user.tenant}
          {approver ? ' · approver' : ''}
        </span>
        <span class={`live live-${liveState}`} title={config.wsUrl ?? 'no WebSocket configured: polling'}>
          {config.wsUrl ? `push ${liveState}` : 'polling'}
        </span>
        {operator && <a class="nav" href={operations ? '#' : OPERATIONS_HASH}>{operations ? 'Chat' : 'Operations'}</a>}
        <button type="button" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      {operations && <LazyOperations apiUrl={config.apiUrl} token={user.token} />}
      <div class={approver ? 'panes two' : 'panes'} hidden={operations}>
        <Chat api={api} live={live} sessionId={sessionId} poll={{ ...(config.pollMs ? { pollMs: config.pollMs } : {}), ...(config.pushPollMs ? { pushPollMs: config.pushPollMs } : {}) }} />
        {approver && <Approvals api={api} />}
      </div>
    </div>
  );
}

render(<App />, document.getElementById('app')!);

/** The operations page, loaded when an operator first opens it: its plots (uPlot) are most of its weight. */
function LazyOperations(props: { apiUrl: string; token: string }) {
  const [page, setPage] = useState<typeof import('./views/operations.js')>();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    import('./views/operations.js').then(setPage, (error: Error) => setFailed(error.message));
  }, []);
  if (failed) return <p role="alert">could not load the operations page: {failed}</p>;
  return page ? <page.Operations {...props} /> : <p class="hint">loading the operations page…</p>;
}
