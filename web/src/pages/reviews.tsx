// The review queue: pending reviews with a countdown to expiry and the full context of the action (the
// decision that asked for review, its inputs and cited sources); an approver approves (note optional) or
// rejects (note required). Two-approver actions show who has approved. The page follows the live stream,
// so another approver's decision, and the execution that follows an approval, appear as they happen.

import { useState } from 'react';
import { ApiError, callApi } from '../api.js';
import { DecisionBadge, Empty, ErrorBox, Json, Loading, TrustBadge, useLoad, useNow } from '../components.js';
import { formatCountdown, formatDateTime } from '../format.js';
import { useAuditEvents } from '../live_events.js';
import { useSession } from '../session.js';
import type { DecisionDetail } from './decision.js';
import { BecomeApprover } from './agents.js';

export interface Review {
  id: string;
  agent_id: string;
  envelope: { tool?: string; args?: unknown; intent?: string; session?: string };
  decision_record_hash: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  created_at: string;
  expires_at: string;
  required_approvals: number;
  approvals: { approver: string; at: string; note: string }[];
  decided_by?: string;
  decided_at?: string;
  note?: string;
}

export function ReviewsPage() {
  const { key, principal } = useSession();
  const reviews = useLoad(() => callApi<Review[]>(key, 'GET', '/v1/reviews'), [key]);
  useAuditEvents(
    (kind) => kind.startsWith('review.') || kind.startsWith('execution'),
    () => reviews.reload(),
  );
  const all = reviews.data ?? [];
  const pending = all
    .filter((r) => r.status === 'pending')
    .sort((a, b) => a.expires_at.localeCompare(b.expires_at));
  const decided = all
    .filter((r) => r.status !== 'pending')
    .sort((a, b) => (b.decided_at ?? b.created_at).localeCompare(a.decided_at ?? a.created_at))
    .slice(0, 10);
  const canDecide = principal.role === 'approver';

  return (
    <section>
      <h1>Review queue</h1>
      {!canDecide ? (
        <div className="callout">
          <p>
            Only <strong>approver</strong> keys approve or reject; you are signed in as{' '}
            <strong>{principal.role}</strong>, so the queue is read-only here.
          </p>
          {principal.role === 'admin' ? <BecomeApprover /> : null}
        </div>
      ) : null}
      {reviews.error && !reviews.data ? (
        <ErrorBox error={reviews.error} retry={reviews.reload} />
      ) : !reviews.data ? (
        <Loading what="reviews" />
      ) : (
        <>
          <h2>
            Pending <span className="count">{pending.length}</span>
          </h2>
          {pending.length === 0 ? (
            <Empty title="Nothing waits for review">
              Actions that need a person (site-wide isolation, destructive actions on a VLAN or node) appear
              here as they are proposed.
            </Empty>
          ) : (
            pending.map((r) => (
              <ReviewCard key={r.id} review={r} canDecide={canDecide} onDecided={reviews.reload} />
            ))
          )}
          <h2>Recently decided</h2>
          {decided.length === 0 ? (
            <Empty title="No decided reviews yet" />
          ) : (
            decided.map((r) => (
              <ReviewCard key={r.id} review={r} canDecide={false} onDecided={reviews.reload} />
            ))
          )}
        </>
      )}
    </section>
  );
}

function ReviewCard({
  review,
  canDecide,
  onDecided,
}: {
  review: Review;
  canDecide: boolean;
  onDecided(): void;
}) {
  const { key, principal } = useSession();
  const now = useNow();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const context = useLoad(async () => {
    const found = await callApi<{ decisions: { seq: number }[] }>(
      key,
      'GET',
      `/v1/decisions?hash=${encodeURIComponent(review.decision_record_hash)}`,
    );
    const seq = found.decisions[0]?.seq;
    return seq === undefined ? null : callApi<DecisionDetail>(key, 'GET', `/v1/decisions/${seq}`);
  }, [key, review.decision_record_hash, review.status, review.approvals.length]);
  useAuditEvents(
    (kind) => kind.startsWith('execution'),
    () => context.reload(),
  );

  const decide = async (verb: 'approve' | 'reject') => {
    setBusy(true);
    setError(null);
    try {
      const answer = await callApi<{ outcome: string }>(
        key,
        'POST',
        `/v1/reviews/${review.id}/${verb}`,
        note.trim() ? { note: note.trim() } : {},
      );
      setOutcome(answer.outcome);
      setNote('');
      onDecided();
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.status === 409) onDecided();
    } finally {
      setBusy(false);
    }
  };

  const d = context.data;
  const mine = review.approvals.some((a) => a.approver === principal.id);
  const noteId = `note-${review.id}`;
  const execution = d?.related.find((e) => e.kind === 'execution.result' || e.kind === 'execution.failed');
  return (
    <article className={`review review-${review.status}`} aria-labelledby={`title-${review.id}`}>
      <header>
        <h3 id={`title-${review.id}`}>
          <span className="mono">{review.envelope.tool}</span> for{' '}
          <span className="mono">{review.agent_id}</span>
        </h3>
        {review.status === 'pending' ? (
          <span
            className="countdown"
            aria-label={`expires in ${formatCountdown(review.expires_at, now)}`}
            title={`expires ${formatDateTime(review.expires_at)}`}
          >
            expires in <strong>{formatCountdown(review.expires_at, now)}</strong>
          </span>
        ) : (
          <span
            className={`badge badge-${review.status === 'approved' ? 'ok' : review.status === 'rejected' ? 'bad' : 'muted'}`}
          >
            {review.status}
          </span>
        )}
      </header>
      <p className="mono small">{review.id}</p>
      <Json value={review.envelope.args ?? {}} label="Arguments" />
      <p>
        Approvals: {review.approvals.length} of {review.required_approvals}
        {review.approvals.length > 0 ? ': ' : ''}
        {review.approvals
          .map((a) => `${a.approver} at ${formatDateTime(a.at)}${a.note ? ` (“${a.note}”)` : ''}`)
          .join('; ')}
      </p>
      {review.status !== 'pending' && review.decided_by ? (
        <p>
          {review.status === 'rejected' ? 'Rejected' : 'Decided'} by {review.decided_by}
          {review.note ? ` — “${review.note}”` : ''}
        </p>
      ) : null}
      {d ? (
        <div className="context">
          <p>
            <DecisionBadge decision={(d.final ?? d.record).decision} /> by {(d.final ?? d.record).rule}:{' '}
            {(d.final ?? d.record).explanation}{' '}
            <a href={`#/decisions/${d.entry.seq}`}>Decision #{d.entry.seq}</a>
          </p>
          <p className="small">
            intent {String(d.record.inputs.detected_intent)} · provenance {String(d.record.inputs.provenance)}{' '}
            · radius {String(d.record.inputs.blast_radius)} · injection{' '}
            {String(d.record.inputs.injection_flag)}
          </p>
          {d.chunks.map((c) => (
            <p key={c.id} className="small">
              cited {c.channel ?? c.ingest?.channel} <TrustBadge trust={c.trust ?? 'untrusted'} />
              {c.content ? `: “${c.content.text.slice(0, 200)}”` : ''}
            </p>
          ))}
          {execution ? (
            <p className="executed" role="status">
              {execution.kind === 'execution.result' ? 'Executed: ' : 'Execution failed: '}
              {String(
                (execution.payload?.result as { effect?: string } | undefined)?.effect ??
                  execution.payload?.reason ??
                  '',
              )}
            </p>
          ) : review.status === 'approved' ? (
            <p className="muted">Approved; waiting for the agent to run it with its token.</p>
          ) : null}
        </div>
      ) : context.error ? (
        <ErrorBox error={context.error} />
      ) : (
        <p className="muted">Loading the decision…</p>
      )}
      {canDecide && review.status === 'pending' ? (
        <div className="decide">
          <label htmlFor={noteId}>Note (required to reject)</label>
          <textarea
            id={noteId}
            value={note}
            maxLength={4096}
            rows={2}
            onChange={(e) => setNote(e.target.value)}
          />
          <div className="buttons">
            <button type="button" disabled={busy || mine} onClick={() => void decide('approve')}>
              Approve
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy || note.trim() === ''}
              onClick={() => void decide('reject')}
            >
              Reject
            </button>
            {mine ? <span className="muted">You approved; a second approver is needed.</span> : null}
          </div>
        </div>
      ) : null}
      {outcome ? <p role="status">Outcome: {outcome.replaceAll('_', ' ')}</p> : null}
      {error ? <ErrorBox error={error} /> : null}
    </article>
  );
}
