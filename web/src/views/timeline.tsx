// A plan's event timeline (GET /v1/plans/{id}/events): when each thing happened, what it was, which task,
// and what it means (retry notices, approvals requested, granted, denied or closed). Refetched whenever the
// plan card learns the plan changed, so an open timeline grows while the plan runs.
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { clockTime, timelineLines, type TimelineLine } from '../timeline.js';

export function Timeline({ api, planId, version }: { api: Api; planId: string; /** Changes when the plan does. */ version: string }) {
  const [lines, setLines] = useState<TimelineLine[]>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    api.planEvents(planId).then(
      (page) => {
        if (cancelled) return;
        setLines(timelineLines(page.events));
        setMore(page.more);
        setError(undefined);
      },
      (failure: unknown) => !cancelled && setError((failure as Error).message),
    );
    return () => {
      cancelled = true;
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
