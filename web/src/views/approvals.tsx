// The approver's inbox: the tenant's pending approvals they may decide, each with what the write does, who
// asked, when it expires, and grant / deny. Refreshed every few seconds; a decision the API refuses (409:
// decided by someone else, or its plan has ended) is shown, not hidden.
import { useState } from 'preact/hooks';
import type { Api, Approval } from '../api.js';
import { useNow, usePolling } from '../hooks.js';
import { cellText, expiresIn } from '../plan-graph.js';

const REFRESH_MS = 2000;

export function Approvals({ api }: { api: Api }) {
  const [approvals, setApprovals] = useState<Approval[]>();
  const [error, setError] = useState<string>();
  const [decided, setDecided] = useState<Record<string, string>>({});
  usePolling(
    async () => {
      try {
        setApprovals(await api.listApprovals('pending'));
        setError(undefined);
      } catch (failure) {
        setError((failure as Error).message);
        throw failure;
      }
      return false;
    },
    REFRESH_MS,
    [api],
  );
  const pending = (approvals ?? []).filter((a) => !decided[a.approvalId]);
  return (
    <section class="approvals" aria-label="approvals">
      <h2>Approvals</h2>
      {error && <p class="error">could not load approvals: {error}</p>}
      {approvals && pending.length === 0 && <p class="hint">Nothing waits for you.</p>}
      {pending.map((approval) => (
        <ApprovalCard key={approval.approvalId} api={api} approval={approval} onDecided={(status) => setDecided((d) => ({ ...d, [approval.approvalId]: status }))} />
      ))}
      {Object.entries(decided).map(([id, status]) => (
        <p key={id} class="hint decided">
          approval {id}: {status}
        </p>
      ))}
    </section>
  );
}

function ApprovalCard({ api, approval, onDecided }: { api: Api; approval: Approval; onDecided(status: string): void }) {
  const now = useNow();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const decide = async (decision: 'grant' | 'deny') => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.decide(approval.approvalId, decision, reason.trim() || undefined);
      onDecided(result.status);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article class="card approval" aria-label={`approval ${approval.approvalId}`} data-approval-id={approval.approvalId}>
      <h3>{approval.summary}</h3>
      <p class="hint">
        requested by <b>{approval.requestedBy}</b> · <span class="expiry">{expiresIn(approval.expiresAt, now)}</span> · plan {approval.planId}
      </p>
      <table class="operation">
        <caption>{approval.operation.tool}</caption>
        <tbody>
          {Object.entries(approval.operation.arguments).map(([key, value]) => (
            <tr key={key}>
              <th>{key}</th>
              <td>{cellText(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <input placeholder="reason (optional)" value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={500} />
      <div class="actions">
        <button type="button" class="grant" disabled={busy} onClick={() => decide('grant')}>
          Grant
        </button>
        <button type="button" class="deny" disabled={busy} onClick={() => decide('deny')}>
          Deny
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </article>
  );
}
