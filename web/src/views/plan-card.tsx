// One message's plan: its tasks as a graph by level (each task lit by its status), the answer, rows as a
// table, and for a write waiting on a person, the requester's waiting card. Refetched by polling and on
// every pushed event about the plan.
import { useEffect, useState } from 'preact/hooks';
import { TERMINAL_PLAN_STATUSES, type Api, type Approval, type CancelledPlan, type Plan, type Task } from '../api.js';
import { useNow, usePolling } from '../hooks.js';
import type { LiveFeed } from '../live.js';
import { answerBlocks, cellText, columnsOf, expiresIn, isCountOnly, resultRows, taskLevels } from '../plan-graph.js';
import { Timeline } from './timeline.js';

/** Without push, a plan is polled this often; with the WebSocket open, polling is only a safety net. */
export const POLL_MS = 700;
export const POLL_WITH_PUSH_MS = 5000;
const MAX_TABLE_ROWS = 50;

export function PlanCard({ api, live, initial, pollMs = POLL_MS, pushPollMs = POLL_WITH_PUSH_MS }: { api: Api; live: LiveFeed; initial: Plan; pollMs?: number; pushPollMs?: number }) {
  const [plan, setPlan] = useState<Plan>(initial);
  const [error, setError] = useState<string>();
  const [liveOpen, setLiveOpen] = useState(live.state === 'open');
  const [pushed, setPushed] = useState(0);
  const [showTimeline, setShowTimeline] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [cancellation, setCancellation] = useState<CancelledPlan['cancellation']>();
  const [cancelError, setCancelError] = useState<string>();

  useEffect(() => {
    const off = live.onState((state) => setLiveOpen(state === 'open'));
    // A change between the render and this effect would otherwise be missed.
    setLiveOpen(live.state === 'open');
    return off;
  }, [live]);
  useEffect(
    () =>
      live.onEvent((event) => {
        if (event.planId === initial.planId) setPushed((n) => n + 1);
      }),
    [live, initial.planId],
  );

  const refetch = async (): Promise<boolean> => {
    try {
      const next = await api.getPlan(initial.planId);
      setPlan(next);
      setError(undefined);
      return TERMINAL_PLAN_STATUSES.has(next.status);
    } catch (failure) {
      setError((failure as Error).message);
      throw failure;
    }
  };
  usePolling(refetch, liveOpen ? pushPollMs : pollMs, [initial.planId, liveOpen, pollMs, pushPollMs]);
  useEffect(() => {
    if (pushed > 0) void refetch().catch(() => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pushed]);

  const cancel = async () => {
    setCancelling(true);
    setCancelError(undefined);
    try {
      const cancelled = await api.cancelPlan(plan.planId);
      setCancellation(cancelled.cancellation);
      setPlan(cancelled);
    } catch (failure) {
      setCancelError((failure as Error).message);
      void refetch().catch(() => undefined);
    } finally {
      setCancelling(false);
    }
  };

  const waiting = plan.tasks.filter((task) => task.status === 'awaiting_approval');
  const cancellable = !TERMINAL_PLAN_STATUSES.has(plan.status);
  return (
    <article class="plan" data-plan-id={plan.planId} data-status={plan.status} aria-label={`plan ${plan.planId}`}>
      <header>
        <span class={`badge status-${plan.status}`}>{plan.status.replace('_', ' ')}</span>
        {plan.summary && <span class="summary">{plan.summary}</span>}
        <span class="plan-actions">
          <button type="button" aria-expanded={showTimeline} onClick={() => setShowTimeline((shown) => !shown)}>
            {showTimeline ? 'Hide timeline' : 'Timeline'}
          </button>
          {cancellable && (
            <button type="button" class="deny" disabled={cancelling} onClick={cancel}>
              Cancel plan
            </button>
          )}
        </span>
      </header>
      {cancelError && (
        <p class="error" role="alert">
          could not cancel: {cancelError}
        </p>
      )}
      <TaskGraph tasks={plan.tasks} />
      {waiting.map((task) => (
        <WaitingCard key={task.id} api={api} plan={plan} task={task} />
      ))}
      {plan.status === 'cancelled' && <CancelledCard plan={plan} cancellation={cancellation} />}
      {plan.response && <Answer text={plan.response} />}
      {plan.error && plan.status !== 'cancelled' && (
        <p class="error" role="alert">
          {plan.error.code}: {plan.error.message}
        </p>
      )}
      {plan.tasks.map((task) => (
        <TaskResult key={task.id} task={task} />
      ))}
      {error && <p class="error">could not refresh: {error}</p>}
      {showTimeline && <Timeline api={api} planId={plan.planId} version={`${plan.status}|${plan.updatedAt ?? ''}|${pushed}`} />}
    </article>
  );
}

function TaskGraph({ tasks }: { tasks: Task[] }) {
  const levels = taskLevels(tasks);
  return (
    <ol class="graph" aria-label="task graph">
      {levels.map((level, index) => (
        <li key={index} class="level">
          <span class="level-name">level {index + 1}</span>
          {level.map((task) => (
            <span key={task.id} class={`task status-${task.status}`} data-task-id={task.id} data-status={task.status} title={task.description ?? task.tool ?? task.type}>
              <b>{task.id}</b> {task.type}
              {task.tool ? ` · ${task.tool}` : ''} <i>{task.status.replace('_', ' ')}</i>
              {task.error && <em class="task-error"> {task.error.message}</em>}
              {task.statusReason?.kind === 'retrying' && <em class="retry"> {task.statusReason.message}</em>}
            </span>
          ))}
        </li>
      ))}
    </ol>
  );
}

function Answer({ text }: { text: string }) {
  return (
    <div class="answer" aria-label="answer">
      {answerBlocks(text).map((block, index) =>
        block.kind === 'text' ? (
          <p key={index}>{block.text}</p>
        ) : (
          <div key={index} class="table-wrap">
            <table>
              <thead>
                <tr>
                  {block.header.map((cell, column) => (
                    <th key={column}>{cell}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {block.rows.map((row, rowIndex) => (
                  <tr key={rowIndex}>
                    {row.map((cell, column) => (
                      <td key={column}>{cell}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ),
      )}
    </div>
  );
}

/** Every field of the rows a query returned, folded away under the answer. */
function TaskResult({ task }: { task: Task }) {
  if (task.status !== 'succeeded') return null;
  const rows = resultRows(task.result);
  if (rows && !isCountOnly(task.result, rows)) {
    const columns = columnsOf(rows);
    const shown = rows.slice(0, MAX_TABLE_ROWS);
    return (
      <details class="table-wrap rows" data-task-id={task.id}>
        <summary>
          {task.id}: {rows.length} row{rows.length === 1 ? '' : 's'}, every field
          {rows.length > shown.length ? ` (first ${shown.length} shown)` : ''}
        </summary>
        <table aria-label={`rows of ${task.id}`}>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column}>{column}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row, index) => (
              <tr key={index}>
                {columns.map((column) => (
                  <td key={column}>{cellText(row[column])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    );
  }
  if (task.resultOmitted) return <p class="hint">{task.id}: result left out ({task.resultOmitted.reason})</p>;
  return null;
}

/**
 * The requester's side of an approval: the write waits for an approver, with the approval's summary and a
 * live countdown to its expiry, from the task's statusReason (or, where the plan gives none, the caller's own
 * pending approvals, GET /v1/approvals?mine=true). The plan card's refetch on each pushed event keeps it current.
 */
function WaitingCard({ api, plan, task }: { api: Api; plan: Plan; task: Task }) {
  const now = useNow();
  const fromReason = task.statusReason?.kind === 'awaiting_approval' ? task.statusReason.approval : undefined;
  const [own, setOwn] = useState<Pick<Approval, 'approvalId' | 'summary' | 'expiresAt'>>();
  useEffect(() => {
    if (fromReason) return;
    let cancelled = false;
    api
      .listApprovals('pending', true)
      .then((approvals) => {
        const mine = approvals.find((a) => a.planId === plan.planId && a.taskId === task.id);
        if (!cancelled && mine) setOwn(mine);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [api, plan.planId, task.id, fromReason?.approvalId]);
  const approval = fromReason ?? own;
  return (
    <section class="card waiting" aria-label="waiting for approval" data-task-id={task.id} data-approval-id={approval?.approvalId}>
      <h3>Waiting for approval by an approver</h3>
      <p>{approval?.summary ?? task.description ?? plan.summary ?? `${task.type} ${task.tool ?? ''}`}</p>
      {approval?.expiresAt && <p class="expiry">{expiresIn(approval.expiresAt, now)}</p>}
      {approval?.approvalId && <p class="hint">approval {approval.approvalId}</p>}
    </section>
  );
}

/** A cancelled plan: what was stopped, which approvals were closed, and what still finishes. */
function CancelledCard({ plan, cancellation }: { plan: Plan; cancellation: CancelledPlan['cancellation'] | undefined }) {
  const reasons = plan.tasks.filter((task) => task.statusReason?.kind === 'cancelled');
  return (
    <section class="card cancelled" aria-label="cancelled">
      <h3>Cancelled{cancellation ? ` by ${cancellation.cancelledBy}` : ''}</h3>
      {reasons.map((task) => (
        <p key={task.id}>
          {task.id}: {task.statusReason!.message}
        </p>
      ))}
      {cancellation && cancellation.closedApprovals.length > 0 && (
        <p class="hint">approval{cancellation.closedApprovals.length === 1 ? '' : 's'} closed: {cancellation.closedApprovals.map((a) => a.approvalId).join(', ')}</p>
      )}
      {cancellation?.stillRunning.map((task) => (
        <p key={task.taskId} class="hint">
          {task.taskId} still finishes: {task.reason}
        </p>
      ))}
    </section>
  );
}
