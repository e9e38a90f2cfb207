// Agents and trust: every principal with its role, channel and certified tier, and for agents the tier
// they act at (certified, lowered by behaviour, T4 without an attestation), their score, delegation and
// breaker. An admin creates principals (the key is shown once, here), sets tiers and closes breakers.

import { type FormEvent, useState } from 'react';
import { callApi } from '../api.js';
import { Empty, ErrorBox, Loading, useLoad } from '../components.js';
import { formatDateTime } from '../format.js';
import { useAuditEvents } from '../live_events.js';
import { type Principal, useSession } from '../session.js';

const TIERS = ['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7'];
const ROLES = ['agent', 'approver', 'admin', 'auditor', 'service'];

interface Created {
  id: string;
  role: string;
  api_key: string;
}

export function AgentsPage() {
  const { key, principal } = useSession();
  const list = useLoad(() => callApi<Principal[]>(key, 'GET', '/v1/admin/principals'), [key]);
  useAuditEvents(
    (kind) =>
      kind.startsWith('admin.') ||
      kind.startsWith('trust.') ||
      kind.startsWith('monitor.breaker') ||
      kind === 'identity.revoked' ||
      kind === 'agent.delegated',
    () => list.reload(),
  );
  const admin = principal.role === 'admin';
  return (
    <section>
      <h1>Agents &amp; trust</h1>
      <p className="hint">
        The certified tier is set by an admin (T0–T7). An agent acts at the lowest of that, the tier of its
        runtime score, and T4 without a verified attestation of its key; policies’ minimum-tier rules compare
        against the tier it acts at. An open breaker refuses every action but observation.
      </p>
      {list.error && !list.data ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading what="principals" />
      ) : list.data.length === 0 ? (
        <Empty title="No principals" />
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Principal</th>
                <th scope="col">Role</th>
                <th scope="col">Channel</th>
                <th scope="col">Certified</th>
                <th scope="col">Acts at</th>
                <th scope="col">Breaker</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((p) => (
                <tr key={p.id} className={p.disabled ? 'disabled' : undefined}>
                  <td className="mono">
                    {p.id}
                    {p.disabled ? ' (disabled)' : ''}
                    {p.revoked_at ? ` (revoked ${formatDateTime(p.revoked_at)})` : ''}
                    {p.parent_id ? (
                      <div className="hint">
                        delegated by {p.parent_id}: {p.scope?.tools.join(', ')}
                      </div>
                    ) : null}
                  </td>
                  <td>{p.role}</td>
                  <td>{p.channel ?? '—'}</td>
                  <td>{admin ? <TierSelect principal={p} onSet={list.reload} /> : p.certified_tier}</td>
                  {p.role === 'agent' ? (
                    <AgentTrust principal={p} admin={admin} version={list.data} />
                  ) : (
                    <>
                      <td>—</td>
                      <td>—</td>
                    </>
                  )}
                  <td className="nowrap">{formatDateTime(p.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {admin ? <CreatePrincipal onCreated={list.reload} /> : null}
    </section>
  );
}

interface Trust {
  tier: { tier: string; score: number; limits: string[] };
  breaker: {
    open: boolean;
    opened_at: string | null;
    reason: { metric?: string; ratio?: number } | null;
  } | null;
}

/** The tier an agent acts at, its score and why, and its breaker (closable by an admin). */
function AgentTrust({
  principal,
  admin,
  version,
}: {
  principal: Principal;
  admin: boolean;
  version: unknown;
}) {
  const { key } = useSession();
  const path = `/v1/agents/${encodeURIComponent(principal.id)}/trust`;
  const trust = useLoad(() => callApi<Trust>(key, 'GET', path), [key, path, version]);
  const [error, setError] = useState<unknown>(null);
  if (!trust.data) return <td colSpan={2}>{trust.error ? <ErrorBox error={trust.error} /> : '…'}</td>;
  const { tier, breaker } = trust.data;
  return (
    <>
      <td title={tier.limits.join('\n')}>
        {tier.tier} <span className="hint">score {tier.score.toFixed(1)}</span>
        {tier.limits.length > 0 ? <div className="hint">{tier.limits.join('; ')}</div> : null}
      </td>
      <td>
        {breaker?.open ? (
          <>
            <strong className="bad">open</strong>
            {breaker.reason?.metric ? (
              <div className="hint">
                {breaker.reason.metric} at {breaker.reason.ratio}× baseline
              </div>
            ) : null}
            {admin ? (
              <button
                type="button"
                onClick={() =>
                  callApi(
                    key,
                    'POST',
                    `/v1/admin/agents/${encodeURIComponent(principal.id)}/breaker/close`,
                  ).then(trust.reload, setError)
                }
              >
                Close breaker
              </button>
            ) : null}
            {error ? <ErrorBox error={error} /> : null}
          </>
        ) : (
          'closed'
        )}
      </td>
    </>
  );
}

function TierSelect({ principal, onSet }: { principal: Principal; onSet(): void }) {
  const { key } = useSession();
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <label className="sr-only" htmlFor={`tier-${principal.id}`}>
        Tier of {principal.id}
      </label>
      <select
        id={`tier-${principal.id}`}
        value={principal.certified_tier}
        onChange={(e) =>
          callApi(key, 'POST', `/v1/admin/principals/${encodeURIComponent(principal.id)}/tier`, {
            tier: e.target.value,
          }).then(onSet, setError)
        }
      >
        {TIERS.map((t) => (
          <option key={t}>{t}</option>
        ))}
      </select>
      {error ? <ErrorBox error={error} /> : null}
    </>
  );
}

function CreatePrincipal({ onCreated }: { onCreated(): void }) {
  const { key } = useSession();
  const [form, setForm] = useState({ name: '', role: 'agent', channel: '', tier: 'T0' });
  const [created, setCreated] = useState<Created | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const answer = await callApi<Created>(key, 'POST', '/v1/admin/principals', {
        name: form.name.trim(),
        role: form.role,
        tier: form.tier,
        ...(form.channel.trim() ? { channel: form.channel.trim() } : {}),
      });
      setCreated(answer);
      setForm({ ...form, name: '' });
      onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="create-principal">
      <h2 id="create-principal">Create a principal</h2>
      <div className="row">
        <label>
          Name
          <input
            required
            value={form.name}
            pattern="[a-z0-9][a-z0-9._\-]{0,63}"
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label>
          Role
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Channel (agents, services)
          <input value={form.channel} onChange={(e) => setForm({ ...form, channel: e.target.value })} />
        </label>
        <label>
          Tier
          <select value={form.tier} onChange={(e) => setForm({ ...form, tier: e.target.value })}>
            {TIERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <button type="submit">Create</button>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {created ? <ShownOnce created={created} /> : null}
    </form>
  );
}

/** A new key, shown this once; a console role's key can be used in this tab at once. */
function ShownOnce({ created }: { created: Created }) {
  const { switchKey } = useSession();
  const usable = ['admin', 'approver', 'auditor'].includes(created.role);
  return (
    <div className="callout" role="status">
      <p>
        Key for <strong>{created.id}</strong>, shown once (the gateway keeps only its hash):
      </p>
      <p>
        <code className="key" data-testid="new-key">
          {created.api_key}
        </code>{' '}
        <button
          type="button"
          className="secondary"
          onClick={() => void navigator.clipboard?.writeText(created.api_key)}
        >
          Copy
        </button>
        {usable ? (
          <>
            {' '}
            <button type="button" onClick={() => void switchKey(created.api_key)}>
              Use this key in this tab
            </button>
          </>
        ) : null}
      </p>
    </div>
  );
}

/** For an admin at the review queue: make an approver and sign in with it (approving is an approver's act). */
export function BecomeApprover() {
  const { key, principal } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const create = async () => {
    try {
      setCreated(
        await callApi<Created>(key, 'POST', '/v1/admin/principals', {
          name: `console-approver-${Date.now().toString(36)}`,
          role: 'approver',
        }),
      );
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      {created ? (
        <ShownOnce created={created} />
      ) : (
        <p>
          <button type="button" onClick={() => void create()}>
            Create an approver key
          </button>{' '}
          <span className="muted">recorded in the audit log as created by {principal.id}</span>
        </p>
      )}
      {error ? <ErrorBox error={error} /> : null}
    </>
  );
}
