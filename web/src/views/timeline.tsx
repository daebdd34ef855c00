// A plan's event timeline (GET /v1/plans/{id}/events): when each thing happened, what it was, which task,
// and what it means (retry notices, approvals requested, granted, denied or closed). Refetched whenever the
// plan card learns the plan changed, so an open timeline grows while the plan runs, and looked at again until
// the audit log (written in batches) has caught up with the plan's end.
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { clockTime, timelineLines, type TimelineLine } from '../timeline.js';

/** The events that end a plan's story. */
const ENDING_EVENTS: ReadonlySet<string> = new Set(['agent:completed', 'agent:error']);
/** How often, and how many times, an open timeline looks again for events not yet in the audit log. */
const CATCH_UP_MS = 1_000;
const CATCH_UP_TRIES = 30;

export function Timeline({ api, planId, version }: { api: Api; planId: string; /** Changes when the plan does. */ version: string }) {
  const [lines, setLines] = useState<TimelineLine[]>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let tries = 0;
    // The audit log is written in batches, a moment behind the plan: until the story holds the plan's ending
    // (agent:completed or agent:error), look again, for a while, even when nothing else says the plan changed.
    const load = () =>
      api.planEvents(planId).then(
        (page) => {
          if (cancelled) return;
          setLines(timelineLines(page.events));
          setMore(page.more);
          setError(undefined);
          const ended = page.events.some((event) => ENDING_EVENTS.has(event.name));
          if (!ended && !page.more && ++tries < CATCH_UP_TRIES) timer = setTimeout(() => void load(), CATCH_UP_MS);
        },
        (failure: unknown) => !cancelled && setError((failure as Error).message),
      );
    void load();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, planId, version]);
  return (
    <section class="timeline" aria-label="timeline">
      {error && <p class="error">could not load the timeline: {error}</p>}
      {!lines && !error && <p class="hint">loading the timeline…</p>}
      {lines && lines.length === 0 && <p class="hint">No events recorded for this plan yet.</p>}
      {lines && lines.length > 0 && (
        <ol>
          {lines.map((line) => (
            <li key={line.eventId} class={`event tone-${line.tone}`} data-event={line.name}>
              <time dateTime={line.time} title={line.time}>
                {clockTime(line.time)}
              </time>
              <code class="event-name">{line.name}</code>
              <span class="event-task">{line.taskId ?? ''}</span>
              <span class="event-text">{line.text}</span>
            </li>
          ))}
        </ol>
      )}
      {more && <p class="hint">Older events beyond the first pages are not shown.</p>}
    </section>
  );
}
