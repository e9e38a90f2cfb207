// The policy in force: its name, hash and file, every compiled rule with the sentence (or YAML place) it
// came from, and the load history. An admin reloads the file (a policy that does not compile is refused
// and the one in force stays).

import { useState } from 'react';
import { callApi } from '../api.js';
import { Empty, ErrorBox, Json, Loading, useLoad } from '../components.js';
import { formatDateTime, formatNumber, shortHash } from '../format.js';
import { useAuditEvents } from '../live_events.js';
import { useSession } from '../session.js';

interface Rule {
  id: string;
  kind: string;
  source: { form: string; sentence?: string; line?: number; path?: string };
  [field: string]: unknown;
}

interface PolicyAnswer {
  enforced: boolean;
  path?: string;
  policy: {
    name: string;
    hash: string;
    rules_hash: string;
    layers: { name: string; rules: Rule[] }[];
  } | null;
  history: { hash: string; name: string; rules: number; loaded_at: string; audit_seq: number }[];
}

export function PolicyPage() {
  const { key, principal } = useSession();
  const loaded = useLoad(() => callApi<PolicyAnswer>(key, 'GET', '/v1/policy'), [key]);
  useAuditEvents(
    (kind) => kind.startsWith('policy.'),
    () => loaded.reload(),
  );
  const [reload, setReload] = useState<{ error?: unknown; outcome?: string } | null>(null);
  const p = loaded.data;
  return (
    <section>
      <h1>Policy</h1>
      {loaded.error && !p ? (
        <ErrorBox error={loaded.error} retry={loaded.reload} />
      ) : !p ? (
        <Loading what="the policy" />
      ) : !p.enforced || !p.policy ? (
        <Empty title="No policy is enforced">
          The engine’s ruleset (R1–R9) decides alone. Start the gateway with{' '}
          <code>--policy &lt;file&gt;</code> to add rules in YAML or plain English.
        </Empty>
      ) : (
        <>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{p.policy.name}</dd>
            <dt>Hash</dt>
            <dd className="mono break">{p.policy.hash}</dd>
            <dt>File</dt>
            <dd className="mono">{p.path}</dd>
          </dl>
          {principal.role === 'admin' ? (
            <p>
              <button
                type="button"
                onClick={() =>
                  callApi<{ outcome: string }>(key, 'POST', '/v1/admin/policy/reload').then(
                    (a) => (setReload({ outcome: a.outcome }), loaded.reload()),
                    (e: unknown) => setReload({ error: e }),
                  )
                }
              >
                Reload the file
              </button>{' '}
              {reload?.outcome ? <span role="status">{reload.outcome}</span> : null}
            </p>
          ) : null}
          {reload?.error ? <ErrorBox error={reload.error} /> : null}
          {p.policy.layers.map((layer) => (
            <div key={layer.name}>
              <h2>Layer {layer.name}</h2>
              <ol className="rules">
                {layer.rules.map((rule) => {
                  const { id, kind, source, ...body } = rule;
                  return (
                    <li key={id}>
                      <p>
                        <strong>{id}</strong> <span className="badge badge-muted">{kind}</span>
                      </p>
                      {source.sentence ? (
                        <blockquote>“{source.sentence}”</blockquote>
                      ) : (
                        <p className="muted">from {source.path ?? source.form}</p>
                      )}
                      <Json value={body} label={`Rule ${id}`} />
                    </li>
                  );
                })}
              </ol>
            </div>
          ))}
        </>
      )}
      {p && p.history.length > 0 ? (
        <>
          <h2>History</h2>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Loaded</th>
                  <th scope="col">Name</th>
                  <th scope="col">Rules</th>
                  <th scope="col">Hash</th>
                  <th scope="col">Audit entry</th>
                </tr>
              </thead>
              <tbody>
                {[...p.history].reverse().map((h) => (
                  <tr key={`${h.audit_seq}`}>
                    <td className="nowrap">{formatDateTime(h.loaded_at)}</td>
                    <td>{h.name}</td>
                    <td className="num">{formatNumber(h.rules)}</td>
                    <td className="mono">{shortHash(h.hash)}</td>
                    <td className="num">#{h.audit_seq}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
