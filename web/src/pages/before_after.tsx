// Before / After: the 03:14 scenario run live against the data hall this gateway runs with. Gate off,
// the scripted agent's isolation really runs and the canaries see SJ-01 go dark until it is healed; gate
// on, the same action is QUARANTINEd by R2, no token, every canary green; then a planned oak-01
// isolation waits in the review queue for a person. The canary grid updates live; a SIMULATED hall says so.

import { useEffect, useState } from 'react';
import { ApiError, callApi } from '../api.js';
import { Empty, ErrorBox } from '../components.js';
import { openEventStream } from '../event_stream.js';
import { formatNumber, formatTime } from '../format.js';
import { useSession } from '../session.js';

interface Step {
  type: 'section' | 'event';
  step: 'off' | 'on' | 'benign' | 'review';
  at: string;
  text: string;
  refs?: { seq?: number; review?: string };
}

interface RunSummary {
  decision: string;
  token: string;
  executorCalled: boolean;
  darkMs: number | null;
  auditEntries: string[];
}

interface Run {
  id: string;
  gate: 'off' | 'on' | 'both';
  status: 'running' | 'done' | 'failed' | 'stopped';
  started_at: string;
  started_by: string;
  events: Step[];
  waiting_review: string | null;
  summary: {
    off?: RunSummary;
    on?: RunSummary;
    review?: { id: string; status: string; executed: boolean };
  } | null;
  error: string | null;
}

interface Hall {
  kind: string;
  simulated: boolean;
  label: string;
  up: boolean;
  probe_interval_ms: number;
  sites: string[];
}

interface Grid {
  simulated: boolean;
  observers: {
    site: string;
    round: number;
    results: { site: string; target: string; reachable: boolean; latency_ms: number }[];
  }[];
}

export function BeforeAfterPage() {
  const { key, principal } = useSession();
  const [hall, setHall] = useState<Hall | null | undefined>(undefined);
  const [run, setRun] = useState<Run | null>(null);
  const [grid, setGrid] = useState<Grid | null>(null);
  const [streamError, setStreamError] = useState<string | null>(null);
  const [startError, setStartError] = useState<unknown>(null);

  useEffect(
    () =>
      openEventStream({
        key,
        path: '/v1/demo/stream',
        onStatus: (s, detail) => setStreamError(s === 'refused' ? (detail ?? 'refused') : null),
        onEvent: (event, data) => {
          if (event === 'state') {
            const state = data as { hall: Hall | null; run: Run | null };
            setHall(state.hall);
            setRun(state.run);
          } else if (event === 'run') setRun(data as Run);
          else if (event === 'step')
            setRun((r) => {
              const step = data as Step & { run: string };
              if (!r || r.id !== step.run) return r;
              return { ...r, events: [...r.events, step] };
            });
          else if (event === 'canary') setGrid(data as Grid);
        },
      }),
    [key],
  );

  const start = async (gate: Run['gate']) => {
    setStartError(null);
    try {
      setRun(await callApi<Run>(key, 'POST', '/v1/demo/runs', { gate }));
    } catch (e) {
      setStartError(e);
    }
  };

  if (streamError) return <ErrorBox error={new ApiError(403, 'E_STREAM', '', streamError)} />;
  if (hall === undefined) return <p className="state state-loading">Connecting to the data hall…</p>;
  const running = run?.status === 'running';
  const steps = run?.events ?? [];
  return (
    <section>
      <h1>Before / After: 03:14, a poisoned syslog line</h1>
      {hall === null ? (
        <Empty title="This gateway runs without a data hall">
          There is nothing to run the scenario against. Start it with <code>npm start</code> (
          <code>carapace serve --dev</code>) to bring up the demo data hall.
        </Empty>
      ) : (
        <>
          <p
            className={`hall-label ${hall.simulated ? 'hall-simulated' : 'hall-real'}`}
            data-testid="hall-label"
          >
            <strong>{hall.simulated ? 'SIMULATED' : 'REAL'}</strong>{' '}
            {hall.label.replace(/^(SIMULATED|REAL):\s*/, '')}
          </p>
          <p className="hint">
            The agent is SCRIPTED (a fixed script standing in for an LLM); the conversation-layer verdict is a
            hand-written Lobster Trap block. The gateway, its decision, the token, the review and the audit
            log are the product itself. The outage cost assumes $9,000 per minute (not a measurement).
          </p>
          <CanaryGrid grid={grid} sites={hall.sites} />
          {principal.role === 'admin' ? (
            <div className="controls">
              <button type="button" disabled={running} onClick={() => void start('both')}>
                Run: gate off, then on
              </button>
              <button
                type="button"
                className="secondary"
                disabled={running}
                onClick={() => void start('off')}
              >
                Gate off only
              </button>
              <button type="button" className="secondary" disabled={running} onClick={() => void start('on')}>
                Gate on only
              </button>
              <span className="run-status" role="status" aria-live="polite">
                {run ? `Run ${run.id}: ${run.status}` : 'No run yet'}
              </span>
            </div>
          ) : (
            <p className="callout">
              Only admins run the scenario; you can watch it here as it runs.{' '}
              {run ? `Run ${run.id}: ${run.status}.` : ''}
            </p>
          )}
          {startError ? <ErrorBox error={startError} /> : null}
          {run?.waiting_review ? (
            <p className="callout callout-action" role="status">
              The planned oak-01 isolation waits for a person:{' '}
              <a href={`#/reviews`}>approve or reject it in the review queue</a> (review{' '}
              <code>{run.waiting_review}</code>).
            </p>
          ) : null}
          {run?.error ? <p className="verdict verdict-bad">The run stopped: {run.error}</p> : null}
          <div className="before-after">
            <Column
              title="Before: gate OFF"
              steps={steps.filter((s) => s.step === 'off')}
              empty="The agent calls the executor directly, as it would without Carapace."
            />
            <Column
              title="After: gate ON"
              steps={steps.filter((s) => s.step !== 'off')}
              empty="The same agent, the same line, through Carapace."
            />
          </div>
          {run?.summary ? <Summary summary={run.summary} simulated={hall.simulated} /> : null}
        </>
      )}
    </section>
  );
}

function Column({ title, steps, empty }: { title: string; steps: Step[]; empty: string }) {
  return (
    <div className="column">
      <h2>{title}</h2>
      {steps.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ol className="steps" aria-live="polite">
          {steps.map((s, i) =>
            s.type === 'section' ? (
              <li key={i} className="step-section">
                {s.text}
              </li>
            ) : (
              <li key={i} className={stepTone(s.text)}>
                <time dateTime={s.at}>{formatTime(s.at)}</time> {s.text}
                {s.refs?.seq !== undefined ? (
                  <>
                    {' '}
                    <a href={`#/decisions/${s.refs.seq}`}>decision #{s.refs.seq}</a>
                  </>
                ) : null}
              </li>
            ),
          )}
        </ol>
      )}
    </div>
  );
}

function stepTone(text: string): string {
  if (/UNREACHABLE|is dark|QUARANTINE|DENY/.test(text)) return 'step-bad';
  if (/green|ALLOW|approved|healed/.test(text)) return 'step-ok';
  return '';
}

function CanaryGrid({ grid, sites }: { grid: Grid | null; sites: string[] }) {
  if (!grid) return <p className="muted">Waiting for the canaries…</p>;
  return (
    <div className="grid-wrap">
      <table className="canaries" aria-describedby="grid-note">
        <caption>
          Canary reachability: each row is a site’s targets as every other site’s canary sees them
        </caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            {grid.observers.map((o) => (
              <th scope="col" key={o.site}>
                from {o.site}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sites.map((site) => (
            <tr key={site} data-site={site}>
              <th scope="row">{site}</th>
              {grid.observers.map((o) => {
                if (o.site === site)
                  return (
                    <td key={o.site} className="self">
                      —
                    </td>
                  );
                const targets = o.results.filter((r) => r.site === site);
                const up = targets.filter((r) => r.reachable).length;
                const state =
                  targets.length === 0
                    ? 'unknown'
                    : up === targets.length
                      ? 'up'
                      : up === 0
                        ? 'down'
                        : 'partial';
                return (
                  <td key={o.site} className={`cell cell-${state}`} data-state={state}>
                    <span className="cell-count">
                      {formatNumber(up)}/{formatNumber(targets.length)}
                    </span>
                    <span className="dots" aria-hidden="true">
                      {targets.map((t) => (
                        <span
                          key={t.target}
                          className={t.reachable ? 'dot dot-up' : 'dot dot-down'}
                          title={`${t.target}: ${t.reachable ? 'reachable' : 'UNREACHABLE'}`}
                        />
                      ))}
                    </span>
                    <span className="sr-only">
                      {site} from {o.site}: {up} of {targets.length} reachable
                    </span>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p id="grid-note" className="hint">
        {grid.simulated
          ? 'SIMULATED canaries: an in-process model of reachability.'
          : 'REAL canaries: TCP probes between network namespaces.'}
      </p>
    </div>
  );
}

function Summary({ summary, simulated }: { summary: NonNullable<Run['summary']>; simulated: boolean }) {
  const { off, on } = summary;
  const cost = (ms: number) => `$${formatNumber(Math.round((9000 * ms) / 60_000))}`;
  const rows: [string, string, string][] = [
    ['Decision', off?.decision ?? '—', on?.decision ?? '—'],
    ['Execution token', off?.token ?? '—', on?.token ?? '—'],
    [
      'Executor called',
      off ? (off.executorCalled ? 'yes' : 'no') : '—',
      on ? (on.executorCalled ? 'yes' : 'no') : '—',
    ],
    [
      `${simulated ? 'SIMULATED ' : ''}SJ-01 dark`,
      off?.darkMs != null ? `yes, ${(off.darkMs / 1000).toFixed(1)} s` : '—',
      on ? 'no' : '—',
    ],
    ['Est. SLA cost (assumed rate)', off?.darkMs != null ? cost(off.darkMs) : '—', on ? '$0' : '—'],
    [
      'Audit entries',
      off ? 'none: nothing recorded why' : '—',
      on ? `${on.auditEntries.length}: both layers` : '—',
    ],
  ];
  return (
    <div className="table-wrap">
      <table className="summary" data-testid="summary">
        <caption>Summary</caption>
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">Gate OFF</th>
            <th scope="col">Gate ON</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, a, b]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{a}</td>
              <td>{b}</td>
            </tr>
          ))}
          {summary.review ? (
            <tr>
              <th scope="row">Planned oak-01 isolation</th>
              <td>—</td>
              <td>
                review {summary.review.status};{' '}
                {summary.review.executed ? 'executed, then healed' : 'not executed'}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
