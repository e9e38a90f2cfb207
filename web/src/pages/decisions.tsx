// Live decisions: the newest decisions from the audit log, filtered by agent, tool, decision and rule;
// new ones arrive from the live stream. While the reader is scrolled down, new rows wait behind a
// button in a slot that is always there, so nothing moves under the reader's eyes.

import { type FormEvent, useState } from 'react';
import { callApi } from '../api.js';
import { DecisionBadge, Empty, ErrorBox, Loading, useLoad } from '../components.js';
import { formatDateTime, formatNumber } from '../format.js';
import { type AuditEvent, useAuditEvents } from '../live_events.js';
import { useSession } from '../session.js';

export interface DecisionRow {
  seq: number;
  ts: string;
  hash: string;
  agent: string;
  tool: string;
  decision: string;
  rule: string;
}

interface Filters {
  agent: string;
  tool: string;
  decision: string;
  rule: string;
}

const NONE: Filters = { agent: '', tool: '', decision: '', rule: '' };
const DECISIONS = ['ALLOW', 'HUMAN_REVIEW', 'DENY', 'QUARANTINE'];

function query(filters: Filters, before?: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  if (before !== undefined) params.set('before', String(before));
  const text = params.toString();
  return `/v1/decisions${text ? `?${text}` : ''}`;
}

function matches(row: DecisionRow, f: Filters): boolean {
  return (
    (!f.agent || row.agent === f.agent) &&
    (!f.tool || row.tool === f.tool) &&
    (!f.decision || row.decision === f.decision) &&
    (!f.rule || row.rule === f.rule)
  );
}

export function DecisionsPage() {
  const { key } = useSession();
  const [filters, setFilters] = useState<Filters>(NONE);
  const [draft, setDraft] = useState<Filters>(NONE);
  const [rows, setRows] = useState<DecisionRow[]>([]);
  const [waiting, setWaiting] = useState<DecisionRow[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [fresh, setFresh] = useState<Set<number>>(new Set());
  const loaded = useLoad(
    () => callApi<{ decisions: DecisionRow[]; next_before: number | null }>(key, 'GET', query(filters)),
    [key, filters],
    (data) => {
      setRows(data.decisions);
      setNextBefore(data.next_before);
      setWaiting([]);
    },
  );

  useAuditEvents(
    (kind) => kind === 'decision',
    (event: AuditEvent) => {
      const s = event.summary;
      const row: DecisionRow = {
        seq: event.seq,
        ts: event.ts,
        hash: event.hash,
        agent: String(s.agent ?? ''),
        tool: String(s.tool ?? ''),
        decision: String(s.decision ?? ''),
        rule: String(s.rule ?? ''),
      };
      if (!matches(row, filters)) return;
      if (window.scrollY > 80) setWaiting((w) => [row, ...w]);
      else {
        setRows((r) => (r.some((x) => x.seq === row.seq) ? r : [row, ...r]));
        setFresh((f) => new Set(f).add(row.seq));
      }
    },
  );

  const showWaiting = () => {
    setRows((r) => [...waiting.filter((w) => !r.some((x) => x.seq === w.seq)), ...r]);
    setFresh(new Set(waiting.map((w) => w.seq)));
    setWaiting([]);
    window.scrollTo({ top: 0 });
  };

  const older = async () => {
    if (nextBefore === null) return;
    const page = await callApi<{ decisions: DecisionRow[]; next_before: number | null }>(
      key,
      'GET',
      query(filters, nextBefore),
    );
    setRows((r) => [...r, ...page.decisions]);
    setNextBefore(page.next_before);
  };

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft, agent: draft.agent.trim(), tool: draft.tool.trim(), rule: draft.rule.trim() });
  };
  const filtered = Object.values(filters).some(Boolean);

  return (
    <section>
      <h1>Decisions</h1>
      <form className="filters" onSubmit={apply} aria-label="Filter decisions">
        <label>
          Agent
          <input
            value={draft.agent}
            placeholder="agent:ops-agent"
            onChange={(e) => setDraft({ ...draft, agent: e.target.value })}
          />
        </label>
        <label>
          Tool
          <input
            value={draft.tool}
            placeholder="isolate_network_device"
            onChange={(e) => setDraft({ ...draft, tool: e.target.value })}
          />
        </label>
        <label>
          Decision
          <select value={draft.decision} onChange={(e) => setDraft({ ...draft, decision: e.target.value })}>
            <option value="">any</option>
            {DECISIONS.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rule
          <input
            value={draft.rule}
            placeholder="R2"
            onChange={(e) => setDraft({ ...draft, rule: e.target.value })}
          />
        </label>
        <button type="submit">Apply</button>
        <button
          type="button"
          className="secondary"
          disabled={!filtered}
          onClick={() => {
            setDraft(NONE);
            setFilters(NONE);
          }}
        >
          Clear
        </button>
      </form>
      <div className="new-slot" aria-live="polite">
        {waiting.length > 0 ? (
          <button type="button" onClick={showWaiting}>
            Show {formatNumber(waiting.length)} new {waiting.length === 1 ? 'decision' : 'decisions'}
          </button>
        ) : null}
      </div>
      {loaded.error ? (
        <ErrorBox error={loaded.error} retry={loaded.reload} />
      ) : !loaded.data ? (
        <Loading what="decisions" />
      ) : rows.length === 0 ? (
        <Empty title={filtered ? 'No decision matches these filters' : 'No decisions yet'}>
          {filtered
            ? 'Clear the filters, or wait: new decisions appear here as they are made.'
            : 'Decisions appear here live as agents propose actions. Run the 03:14 scenario on the Before / After page to see some.'}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="decisions">
            <caption className="sr-only">Decisions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Decision</th>
                <th scope="col">Rule</th>
                <th scope="col">Tool</th>
                <th scope="col">Agent</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.seq} className={fresh.has(row.seq) ? 'fresh' : undefined} data-seq={row.seq}>
                  <td className="num">
                    <a
                      href={`#/decisions/${row.seq}`}
                      aria-label={`Decision ${row.seq}: ${row.decision} by ${row.rule}`}
                    >
                      {formatNumber(row.seq)}
                    </a>
                  </td>
                  <td className="nowrap">{formatDateTime(row.ts)}</td>
                  <td>
                    <DecisionBadge decision={row.decision} />
                  </td>
                  <td>{row.rule}</td>
                  <td className="mono">{row.tool}</td>
                  <td className="mono">{row.agent}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextBefore !== null ? (
        <button type="button" className="secondary" onClick={() => void older()}>
          Older decisions
        </button>
      ) : null}
    </section>
  );
}
