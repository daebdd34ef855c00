// The chat: a message goes to POST /v1/sessions/{id}/messages (202 with the plan), and each answer grows
// in place from its plan card, without reloading the page.
import { useState } from 'preact/hooks';
import type { Api, Plan } from '../api.js';
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
