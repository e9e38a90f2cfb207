// One decision, everything that explains it: the verdict, the envelope, the five inputs, each cited chunk
// (channel, trust, injection signals, and their spans highlighted in the text while the gateway still
// holds it), the policy rules that fired with their sentences, the conversation layer's verdict, what
// followed (review, execution, result), and the audit entry with its receipt.

import { useState } from 'react';
import { callApi, downloadWithKey } from '../api.js';
import { DecisionBadge, ErrorBox, Json, Loading, TrustBadge, useLoad } from '../components.js';
import { formatDateTime, formatNumber, shortHash } from '../format.js';
import { useAuditEvents } from '../live_events.js';
import { useSession } from '../session.js';

interface Signal {
  kind: string;
  category: string;
  start: number;
  end: number;
  weight: number;
  excerpt: string;
}

interface Chunk {
  id: string;
  channel?: string;
  trust?: string;
  injection_suspected?: boolean;
  resolved?: boolean;
  ingest: {
    seq: number;
    ts: string;
    channel: string;
    trust: string;
    matched?: string[];
    by?: string;
    session?: string | null;
  } | null;
  content: { text: string; redacted: boolean; score: number; signals: Signal[] } | null;
}

interface Entry {
  seq: number;
  ts: string;
  kind: string;
  hash: string;
  prev?: string;
  payload?: Record<string, unknown>;
}

export interface DecisionDetail {
  entry: Entry;
  agent: string;
  record: {
    decision: string;
    rule: string;
    explanation: string;
    tool?: string;
    inputs: Record<string, unknown>;
    request: { envelope: Record<string, unknown> };
    conversation_layer?: Record<string, unknown>;
    ruleset_hash?: string;
    policy_hash?: string | null;
    notes?: string[];
  };
  policy: {
    hash: string;
    decision: string;
    fired: {
      rule: string;
      layer: string | null;
      decision: string;
      reason: string;
      source: { form: string; sentence?: string; path?: string } | null;
    }[];
  } | null;
  final: { decision: string; rule: string; explanation: string } | null;
  inspect: unknown;
  conversation: Entry | null;
  chunks: Chunk[];
  related: Entry[];
  review: {
    id: string;
    status: string;
    approvals: { approver: string; at: string; note: string }[];
    required_approvals: number;
  } | null;
  receipt: { available: boolean; url: string };
}

const INPUTS: [string, string][] = [
  ['declared_intent', 'Declared intent'],
  ['detected_intent', 'Detected intent'],
  ['provenance', 'Effective provenance'],
  ['blast_radius', 'Blast radius'],
  ['injection_flag', 'Injection flag'],
];

export function DecisionPage({ seq }: { seq: string }) {
  const { key } = useSession();
  const loaded = useLoad(
    () => callApi<DecisionDetail>(key, 'GET', `/v1/decisions/${encodeURIComponent(seq)}`),
    [key, seq],
  );
  // What followed (review decisions, the execution) appears as it happens.
  useAuditEvents(
    (kind) => kind.startsWith('review.') || kind.startsWith('execution') || kind === 'checkpoint',
    () => loaded.reload(),
  );
  const [downloadError, setDownloadError] = useState<unknown>(null);

  if (loaded.error && !loaded.data) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  const d = loaded.data;
  if (!d) return <Loading what={`decision ${seq}`} />;
  const final = d.final ?? {
    decision: d.record.decision,
    rule: d.record.rule,
    explanation: d.record.explanation,
  };

  return (
    <article className="decision">
      <p>
        <a href="#/decisions">← Decisions</a>
      </p>
      <h1>
        Decision {formatNumber(d.entry.seq)} <DecisionBadge decision={final.decision} />{' '}
        <span className="rule">by {final.rule}</span>
      </h1>
      <p className="explanation">{final.explanation}</p>
      <dl className="facts">
        <dt>Agent</dt>
        <dd className="mono">{d.agent}</dd>
        <dt>Tool</dt>
        <dd className="mono">{d.record.tool ?? String(d.record.request.envelope.tool)}</dd>
        <dt>Recorded</dt>
        <dd>{formatDateTime(d.entry.ts)}</dd>
        {d.final ? (
          <>
            <dt>Engine alone</dt>
            <dd>
              <DecisionBadge decision={d.record.decision} /> by {d.record.rule}
            </dd>
          </>
        ) : null}
      </dl>

      <section aria-labelledby="inputs">
        <h2 id="inputs">The five inputs</h2>
        <table className="kv">
          <tbody>
            {INPUTS.map(([k, label]) => (
              <tr key={k}>
                <th scope="row">{label}</th>
                <td className="mono">{String(d.record.inputs[k])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="chunks">
        <h2 id="chunks">Cited sources</h2>
        {d.chunks.length === 0 ? (
          <p className="muted">The envelope cited no source.</p>
        ) : (
          d.chunks.map((c) => <ChunkView key={c.id} chunk={c} />)
        )}
      </section>

      <section aria-labelledby="policy">
        <h2 id="policy">Policy</h2>
        {!d.policy ? (
          <p className="muted">No policy was in force: the engine's ruleset decided alone.</p>
        ) : (
          <>
            <p>
              Policy <code>{shortHash(d.policy.hash)}</code>: <DecisionBadge decision={d.policy.decision} />
            </p>
            {d.policy.fired.length === 0 ? (
              <p className="muted">No policy rule fired.</p>
            ) : (
              <ul className="fired">
                {d.policy.fired.map((f, i) => (
                  <li key={i}>
                    <strong>{f.rule}</strong> <DecisionBadge decision={f.decision} /> {f.reason}
                    {f.source?.sentence ? (
                      <blockquote>“{f.source.sentence}”</blockquote>
                    ) : f.source?.path ? (
                      <span className="muted"> (at {f.source.path})</span>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </section>

      <section aria-labelledby="conversation">
        <h2 id="conversation">Conversation layer</h2>
        {d.record.conversation_layer && d.record.conversation_layer.present ? (
          <>
            <p>
              {d.conversation ? (
                <>
                  Recorded as entry <code>#{d.conversation.seq}</code>, just before the decision.
                </>
              ) : (
                'Folded into the decision.'
              )}
            </p>
            <Json value={d.record.conversation_layer} label="Conversation-layer verdict" />
          </>
        ) : (
          <p className="muted">No conversation-layer verdict came with this action.</p>
        )}
      </section>

      <section aria-labelledby="envelope">
        <h2 id="envelope">Envelope</h2>
        <Json value={d.record.request.envelope} label="Intent envelope" />
        {d.record.notes && d.record.notes.length > 0 ? (
          <ul className="notes">
            {d.record.notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        ) : null}
      </section>

      <section aria-labelledby="followed">
        <h2 id="followed">What followed</h2>
        {d.review ? (
          <p>
            Review <code>{d.review.id}</code>: <strong>{d.review.status}</strong>, {d.review.approvals.length}{' '}
            of {d.review.required_approvals} approvals
            {d.review.approvals.map((a) => ` · ${a.approver}${a.note ? ` (“${a.note}”)` : ''}`).join('')}
          </p>
        ) : null}
        {d.related.length === 0 ? (
          <p className="muted">Nothing yet: no review, token redemption or result refers to this decision.</p>
        ) : (
          <ol className="timeline">
            {d.related.map((e) => (
              <li key={e.seq}>
                <code>#{e.seq}</code> <strong>{e.kind}</strong>{' '}
                <span className="muted">{formatDateTime(e.ts)}</span>
                <RelatedLine entry={e} />
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="entry">
        <h2 id="entry">Audit entry</h2>
        <table className="kv">
          <tbody>
            <tr>
              <th scope="row">Seq</th>
              <td className="mono">{d.entry.seq}</td>
            </tr>
            <tr>
              <th scope="row">Hash</th>
              <td className="mono break">{d.entry.hash}</td>
            </tr>
            <tr>
              <th scope="row">Previous</th>
              <td className="mono break">{d.entry.prev}</td>
            </tr>
            <tr>
              <th scope="row">Ruleset</th>
              <td className="mono break">{d.record.ruleset_hash}</td>
            </tr>
          </tbody>
        </table>
        <button
          type="button"
          disabled={!d.receipt.available}
          onClick={() => {
            setDownloadError(null);
            downloadWithKey(key, d.receipt.url, `carapace-receipt-${d.entry.seq}.json`).catch(
              setDownloadError,
            );
          }}
        >
          Download receipt
        </button>{' '}
        {!d.receipt.available ? (
          <span className="muted">No signed checkpoint covers it yet (one is signed within a second).</span>
        ) : null}
        <p className="hint">
          Check it offline:{' '}
          <code>carapace audit verify-receipt carapace-receipt-{d.entry.seq}.json --key &lt;log key&gt;</code>
          , or drop it on the Audit page.
        </p>
        {downloadError ? <ErrorBox error={downloadError} /> : null}
      </section>
    </article>
  );
}

function RelatedLine({ entry }: { entry: Entry }) {
  const p = entry.payload ?? {};
  if (entry.kind === 'review.decision')
    return (
      <span>
        {' '}
        {String(p.approver)} {String(p.verb)}d: {String(p.outcome)}
        {p.note ? ` — “${String(p.note)}”` : ''}
      </span>
    );
  if (entry.kind === 'execution.result') {
    const result = p.result as { effect?: string } | undefined;
    return <span> {result?.effect ?? 'result recorded'}</span>;
  }
  if (entry.kind === 'execution')
    return (
      <span>
        {' '}
        token redeemed by {String(p.agent)} for {String(p.tool)}
      </span>
    );
  if (entry.kind === 'execution.failed')
    return (
      <span>
        {' '}
        {String(p.code)}: {String(p.reason)}
      </span>
    );
  return null;
}

function ChunkView({ chunk }: { chunk: Chunk }) {
  const trust = chunk.trust ?? chunk.ingest?.trust ?? 'untrusted';
  const matched = chunk.ingest?.matched ?? [];
  return (
    <div className="chunk">
      <p className="chunk-head">
        <code title={chunk.id}>{shortHash(chunk.id, 16)}</code> via{' '}
        <strong>{chunk.channel ?? chunk.ingest?.channel ?? 'unknown channel'}</strong>{' '}
        <TrustBadge trust={trust} />{' '}
        {chunk.injection_suspected ? (
          <span className="badge badge-bad">injection suspected</span>
        ) : (
          <span className="badge badge-ok">no injection signal</span>
        )}
      </p>
      {matched.length > 0 ? <p>Signals at ingest: {matched.join(', ')}</p> : null}
      {chunk.content ? (
        <>
          <p className="chunk-text">
            <HighlightedText text={chunk.content.text} signals={chunk.content.signals} />
          </p>
          <p className="hint">
            Detector score {chunk.content.score.toFixed(2)}; highlighted: {chunk.content.signals.length}{' '}
            {chunk.content.signals.length === 1 ? 'span' : 'spans'}
            {chunk.content.redacted ? '; credentials in the text were replaced before it was kept' : ''}.
          </p>
        </>
      ) : (
        <p className="muted">
          The text is not shown: the gateway keeps only the hash of what came in, and holds recent text in
          memory only (it was not ingested since the gateway started, or it was a tool output).
        </p>
      )}
    </div>
  );
}

/** The text with every signal's span in a <mark>, each mark naming the signals that cover it. */
export function HighlightedText({ text, signals }: { text: string; signals: Signal[] }) {
  const cuts = new Set([0, text.length]);
  for (const s of signals) {
    cuts.add(Math.max(0, Math.min(text.length, s.start)));
    cuts.add(Math.max(0, Math.min(text.length, s.end)));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i] as number;
    const to = points[i + 1] as number;
    const covering = signals.filter((s) => s.start <= from && s.end >= to);
    const piece = text.slice(from, to);
    parts.push(
      covering.length > 0 ? (
        <mark
          key={from}
          title={covering.map((s) => `${s.kind} (${s.category}, ${s.weight})`).join('; ')}
          data-kinds={covering.map((s) => s.kind).join(' ')}
        >
          {piece}
        </mark>
      ) : (
        <span key={from}>{piece}</span>
      ),
    );
  }
  return <>{parts}</>;
}
