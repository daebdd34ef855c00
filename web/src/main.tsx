// The web console: sign in, chat with the agent and watch its plans run, decide approvals.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, loadConfig, type ConsoleConfig } from './api.js';
import { LiveFeed, type LiveState } from './live.js';
import { loadSignedIn, saveSignedIn, sessionIdForTab, type SignedIn } from './session.js';
import { Approvals } from './views/approvals.js';
import { Chat } from './views/chat.js';
import { Operations, OPERATIONS_HASH, useLocationHash } from './views/operations.js';
import { OPERATOR_ROLE } from './operations-api.js';
import { SignIn } from './views/sign-in.js';

function App() {
  const [config, setConfig] = useState<ConsoleConfig>();
  const [failure, setFailure] = useState<string>();
  const [user, setUser] = useState<SignedIn | undefined>(() => loadSignedIn());

  useEffect(() => {
    loadConfig().then(setConfig, (error: unknown) => setFailure((error as Error).message));
  }, []);

  if (failure) return <p class="error" role="alert">The console could not load its configuration: {failure}</p>;
  if (!config) return <p class="hint">loading…</p>;
  if (!user) {
    return (
      <SignIn
        config={config}
        onSignedIn={(signedIn) => {
          saveSignedIn(signedIn);
          setUser(signedIn);
        }}
      />
    );
  }
  return (
    <Console
      config={config}
      user={user}
      onSignOut={() => {
        saveSignedIn(undefined);
        setUser(undefined);
      }}
    />
  );
}

function Console({ config, user, onSignOut }: { config: ConsoleConfig; user: SignedIn; onSignOut(): void }) {
  const sessionId = useMemo(() => sessionIdForTab(), []);
  const api = useMemo(() => new Api(config.apiUrl, user.token), [config.apiUrl, user.token]);
  const live = useMemo(() => new LiveFeed(config.wsUrl, user.token, sessionId), [config.wsUrl, user.token, sessionId]);
  const [liveState, setLiveState] = useState<LiveState>(live.state);
  useEffect(() => {
    const off = live.onState(setLiveState);
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
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {operations && <Operations apiUrl={config.apiUrl} token={user.token} />}
      <div class={approver ? 'panes two' : 'panes'} hidden={operations}>
        <Chat api={api} live={live} sessionId={sessionId} poll={{ ...(config.pollMs ? { pollMs: config.pollMs } : {}), ...(config.pushPollMs ? { pushPollMs: config.pushPollMs } : {}) }} />
        {approver && <Approvals api={api} />}
      </div>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
