// Instruction sets (issue 14 item 1): what agents were driven with that is not approved (pending, with
// the content and the diff against the agent's approved set) and what is approved or revoked. An admin
// approves a pending set here after reading its diff.

import { useState } from 'react';
import { callApi } from '../api.js';
import { Empty, ErrorBox, Loading, useLoad } from '../components.js';
import { formatDateTime } from '../format.js';
import { useAuditEvents } from '../live_events.js';
import { useSession } from '../session.js';

interface InstructionSet {
  agent: string;
  surface: string;
  status: 'approved' | 'pending' | 'revoked';
  set_hash: string;
  system_hash: string;
  tools_hash: string;
  first_seen: string;
  refused: number;
  last_refused_at: string | null;
  decided_by: string | null;
  decided_at: string | null;
  content_kept: boolean;
}

interface Shown {
  set: InstructionSet;
  against: { set_hash: string } | null;
  diff: { op: ' ' | '-' | '+'; text: string }[];
}

const path = (s: Pick<InstructionSet, 'agent' | 'set_hash'>) =>
  `/v1/admin/instructions/${encodeURIComponent(s.agent)}/${encodeURIComponent(s.set_hash)}`;

export function InstructionsPage() {
  const { key, principal } = useSession();
  const list = useLoad(
    () => callApi<{ sets: InstructionSet[] }>(key, 'GET', '/v1/admin/instructions'),
    [key],
  );
  useAuditEvents(
    (kind) => kind.startsWith('instruction.') || kind.startsWith('admin.instruction_'),
    () => list.reload(),
  );
  const [open, setOpen] = useState<Shown | null>(null);
  const [error, setError] = useState<unknown>(null);
  const show = async (s: InstructionSet) => {
    setError(null);
    try {
      setOpen(await callApi<Shown>(key, 'GET', path(s)));
    } catch (e) {
      setError(e);
    }
  };
  const decide = async (s: InstructionSet, verb: 'approve' | 'revoke') => {
    setError(null);
    try {
      await callApi(key, 'POST', `${path(s)}/${verb}`, {});
      setOpen(null);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  const sets = list.data?.sets ?? [];
  const pending = sets.filter((s) => s.status === 'pending');
  const decided = sets.filter((s) => s.status !== 'pending');
  const table = (rows: InstructionSet[], label: string) => (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Surface</th>
            <th scope="col">Status</th>
            <th scope="col">Set</th>
            <th scope="col">Refused</th>
            <th scope="col">First seen</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={`${s.agent}|${s.set_hash}`}>
              <td className="mono">{s.agent}</td>
              <td>{s.surface}</td>
              <td>{s.status}</td>
              <td className="mono" title={s.set_hash}>
                {s.set_hash.slice(0, 19)}…
              </td>
              <td>{s.refused}</td>
              <td className="nowrap">{formatDateTime(s.first_seen)}</td>
              <td>
                <button type="button" onClick={() => void show(s)}>
                  Show diff
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
  return (
    <section>
      <h1>Instructions</h1>
      <p className="hint">
        An agent bound to approved instruction sets (system prompts and tool lists, pinned by hash) is refused
        with any other; what it was refused with waits here as pending.
      </p>
      {list.error && !list.data ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading what="instruction sets" />
      ) : (
        <>
          <h2>Pending</h2>
          {pending.length === 0 ? (
            <Empty title="No pending instruction sets" />
          ) : (
            table(pending, 'Pending sets')
          )}
          <h2>Approved and revoked</h2>
          {decided.length === 0 ? <Empty title="No approved sets" /> : table(decided, 'Decided sets')}
        </>
      )}
      {error ? <ErrorBox error={error} /> : null}
      {open ? (
        <div className="panel" aria-label="Instruction set diff">
          <h2>
            {open.set.agent} · {open.set.status} <span className="mono">{open.set.set_hash}</span>
          </h2>
          <p className="hint">
            {open.against ? (
              <>
                Against the approved set <span className="mono">{open.against.set_hash}</span>
              </>
            ) : (
              'No approved set to compare with: every line is new.'
            )}
          </p>
          <pre className="diff" aria-label="Diff">
            {open.diff.map((l, i) => (
              <div key={i} className={l.op === '+' ? 'diff-add' : l.op === '-' ? 'diff-del' : 'diff-same'}>
                {`${l.op} ${l.text}`}
              </div>
            ))}
          </pre>
          {principal.role === 'admin' ? (
            <div className="row">
              {open.set.status !== 'approved' ? (
                <button type="button" onClick={() => void decide(open.set, 'approve')}>
                  Approve
                </button>
              ) : (
                <button type="button" onClick={() => void decide(open.set, 'revoke')}>
                  Revoke
                </button>
              )}
              <button type="button" onClick={() => setOpen(null)}>
                Close
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
