// The chat: a message goes to POST /v1/sessions/{id}/messages (202 with the plan), and each answer grows
// in place from its plan card, without reloading the page.
import { useEffect, useState } from 'preact/hooks';
import type { Api, Plan, Session } from '../api.js';
import type { LiveFeed } from '../live.js';
import { PlanCard } from './plan-card.js';

interface Entry {
  key: number;
  text: string;
  plan?: Plan;
  error?: string;
}

export function Chat({ api, live, sessionId, poll }: { api: Api; live: LiveFeed; sessionId: string; poll: { pollMs?: number; pushPollMs?: number } }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [restoreError, setRestoreError] = useState<string>();

  // A reload keeps the conversation: the tab's session is read back and each plan refetched by its card.
  useEffect(() => {
    let cancelled = false;
    api.getSession(sessionId).then(
      (session) => {
        if (!cancelled && session) setEntries((current) => [...restoredEntries(session), ...current]);
      },
      (error: unknown) => !cancelled && setRestoreError((error as Error).message),
    );
    return () => {
      cancelled = true;
    };
  }, [api, sessionId]);

  const send = async (event: Event) => {
    event.preventDefault();
    const message = text.trim();
    if (!message) return;
    const key = Date.now() + Math.random();
    setEntries((all) => [...all, { key, text: message }]);
    setText('');
    setBusy(true);
    try {
      const plan = await api.sendMessage(sessionId, message);
      setEntries((all) => all.map((entry) => (entry.key === key ? { ...entry, plan } : entry)));
    } catch (failure) {
      setEntries((all) => all.map((entry) => (entry.key === key ? { ...entry, error: (failure as Error).message } : entry)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="chat" aria-label="chat">
      {restoreError && <p class="error">could not load this conversation: {restoreError}</p>}
      <ol class="messages">
        {entries.map((entry) => (
          <li key={entry.key}>
            <p class="you">{entry.text}</p>
            {entry.plan && <PlanCard api={api} live={live} initial={entry.plan} {...poll} />}
            {entry.error && (
              <p class="error" role="alert">
                {entry.error}
              </p>
            )}
          </li>
        ))}
      </ol>
      <form class="composer" onSubmit={send}>
        <input
          name="message"
          aria-label="message"
          placeholder="count customers · list vendors top 5 · create customer displayName='Fabrikam'"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          maxLength={4000}
          autoComplete="off"
        />
        <button type="submit" disabled={busy || !text.trim()}>
          Send
        </button>
      </form>
    </section>
  );
}

function restoredEntries(session: Session): Entry[] {
  return session.messages
    .filter((message) => message.role === 'user')
    .map((message, index) => {
      const known = message.planId ? session.plans.find((plan) => plan.planId === message.planId) : undefined;
      const plan: Plan | undefined = message.planId
        ? {
            planId: message.planId,
            sessionId: session.sessionId,
            status: known?.status ?? 'running',
            ...(known?.summary ? { summary: known.summary } : {}),
            tasks: [],
            // Until its card refetches the plan, it is as old as the message that asked for it.
            createdAt: known?.createdAt ?? message.createdAt,
            updatedAt: known?.createdAt ?? message.createdAt,
          }
        : undefined;
      // Negative keys never meet the ones new messages get (Date.now()).
      return { key: -1 - index, text: message.text, ...(plan ? { plan } : {}) };
    });
}
