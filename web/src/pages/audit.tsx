// The audit explorer: "verify now" (the CLI's verification, run by the gateway over its files), pages of
// entries, the signed checkpoints, and a receipt verifier that runs here in the browser (Web Crypto) on a
// dropped receipt file, against the log key the gateway names or one the auditor got out of band.

import { type DragEvent, useEffect, useState } from 'react';
import { callApi } from '../api.js';
import { Empty, ErrorBox, Json, Loading, useLoad } from '../components.js';
import { formatDateTime, formatNumber, shortHash } from '../format.js';
import { useAuditEvents } from '../live_events.js';
import {
  type BrowserReceiptCheck,
  ed25519Supported,
  parseVerifierKeyText,
  verifyReceiptInBrowser,
} from '../receipt/verify_receipt.js';
import { useSession } from '../session.js';

interface Entry {
  seq: number;
  ts: string;
  kind: string;
  hash: string;
  payload: unknown;
  payload_omitted?: { chars: number; url: string };
}

type Verified =
  | {
      ok: true;
      entries: number;
      checkpoints: number;
      recoveries: number;
      covered: number;
      root: string;
      uncovered: number;
      verified_at: string;
      vkey: string;
    }
  | {
      ok: false;
      seq: number;
      where: string;
      problem: string;
      entries: number;
      verified_at: string;
      vkey: string;
    };

export function AuditPage() {
  return (
    <section>
      <h1>Audit log</h1>
      <VerifyNow />
      <ReceiptVerifier />
      <Checkpoints />
      <Entries />
    </section>
  );
}

function VerifyNow() {
  const { key } = useSession();
  const [result, setResult] = useState<Verified | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await callApi<Verified>(key, 'POST', '/v1/audit/verify'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="panel" aria-labelledby="verify-title">
      <h2 id="verify-title">Verify the whole log</h2>
      <p className="hint">
        The gateway runs <code>carapace audit verify</code>’s checks over its files: hash chain, Merkle tree,
        every checkpoint’s signature, consistency between checkpoints.
      </p>
      <button type="button" onClick={() => void run()} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify now'}
      </button>
      <div className="result-slot" aria-live="polite">
        {result ? (
          result.ok ? (
            <p className="verdict verdict-ok" data-testid="verify-result">
              OK: {formatNumber(result.entries)} entries, {formatNumber(result.checkpoints)} signed
              checkpoints (the latest covers {formatNumber(result.covered)}),{' '}
              {formatNumber(result.recoveries)} recoveries; root <code>{shortHash(result.root, 16)}</code>
              {result.uncovered > 0
                ? `; ${formatNumber(result.uncovered)} newest entries not yet under a checkpoint`
                : ''}
              . Checked {formatDateTime(result.verified_at)} with <code className="break">{result.vkey}</code>
              .
            </p>
          ) : (
            <p className="verdict verdict-bad" data-testid="verify-result">
              FAIL at seq {result.seq} ({result.where}): {result.problem}
            </p>
          )
        ) : null}
        {error ? <ErrorBox error={error} /> : null}
      </div>
    </div>
  );
}

function ReceiptVerifier() {
  const { key } = useSession();
  const [vkey, setVkey] = useState('');
  const [supported, setSupported] = useState<boolean | null>(null);
  const [result, setResult] = useState<(BrowserReceiptCheck & { file: string }) | null>(null);
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    void ed25519Supported().then(setSupported);
    callApi<{ vkey: string }>(key, 'GET', '/v1/audit/key').then(
      (k) => setVkey((v) => v || k.vkey),
      () => {},
    );
  }, [key]);

  const check = async (file: File) => {
    let receipt: unknown;
    try {
      receipt = JSON.parse(await file.text());
    } catch {
      setResult({ ok: false, problem: 'the file is not JSON', file: file.name });
      return;
    }
    try {
      const parsed = await parseVerifierKeyText(vkey.trim());
      setResult({ ...(await verifyReceiptInBrowser(receipt, parsed)), file: file.name });
    } catch (e) {
      setResult({ ok: false, problem: `key: ${(e as Error).message}`, file: file.name });
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void check(file);
  };
  return (
    <div className="panel" aria-labelledby="receipt-title">
      <h2 id="receipt-title">Check a receipt in this browser</h2>
      {supported === false ? (
        <p className="verdict verdict-bad" role="alert">
          This browser’s Web Crypto has no Ed25519, so it cannot check a checkpoint’s signature: use{' '}
          <code>carapace audit verify-receipt</code> instead.
        </p>
      ) : (
        <>
          <label htmlFor="vkey">Log key (C2SP verifier key)</label>
          <input
            id="vkey"
            className="mono"
            value={vkey}
            spellCheck={false}
            onChange={(e) => setVkey(e.target.value)}
            aria-describedby="vkey-note"
          />
          <p id="vkey-note" className="hint">
            Filled in with the key this gateway names; to trust the receipt independently of it, paste the key
            you obtained out of band.
          </p>
          <div
            className={`drop${dragging ? ' drop-over' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <p>Drop a receipt file here, or</p>
            <label className="button-like">
              choose a file
              <input
                type="file"
                accept=".json,application/json"
                className="sr-only"
                data-testid="receipt-file"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file) void check(file);
                  e.target.value = '';
                }}
              />
            </label>
          </div>
          <div className="result-slot" aria-live="polite">
            {result ? (
              result.ok ? (
                <p className="verdict verdict-ok" data-testid="receipt-result">
                  OK: {result.file}: entry {formatNumber(result.seq)} ({result.kind}) is in log{' '}
                  {result.origin}, under a checkpoint of size {formatNumber(result.size)} signed by this key.
                </p>
              ) : (
                <p className="verdict verdict-bad" data-testid="receipt-result">
                  FAIL: {result.file}: {result.problem}
                </p>
              )
            ) : null}
          </div>
        </>
      )}
    </div>
  );
}

function Checkpoints() {
  const { key } = useSession();
  const list = useLoad(
    () =>
      callApi<{ checkpoints: { seq: number; ts: string; size: number; root: string; note: string }[] }>(
        key,
        'GET',
        '/v1/audit/checkpoints?limit=10',
      ),
    [key],
  );
  useAuditEvents(
    (kind) => kind === 'checkpoint',
    () => list.reload(),
  );
  return (
    <div className="panel" aria-labelledby="checkpoints-title">
      <h2 id="checkpoints-title">Signed checkpoints</h2>
      {list.error && !list.data ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading what="checkpoints" />
      ) : list.data.checkpoints.length === 0 ? (
        <Empty title="No checkpoint yet">The log signs one within a second of an entry.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Entry</th>
                <th scope="col">Signed</th>
                <th scope="col">Tree size</th>
                <th scope="col">Root</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {list.data.checkpoints.map((c) => (
                <tr key={c.seq}>
                  <td className="num">#{formatNumber(c.seq)}</td>
                  <td className="nowrap">{formatDateTime(c.ts)}</td>
                  <td className="num">{formatNumber(c.size)}</td>
                  <td className="mono">{shortHash(c.root, 16)}</td>
                  <td>
                    <details>
                      <summary>signed note</summary>
                      <pre className="json">{c.note}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Entries() {
  const { key } = useSession();
  const [kind, setKind] = useState('');
  const [pages, setPages] = useState<Entry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const first = useLoad(
    () =>
      callApi<{ entries: Entry[]; size: number; next_before: number | null }>(
        key,
        'GET',
        `/v1/audit/entries?limit=25${kind ? `&kind=${encodeURIComponent(kind)}` : ''}`,
      ),
    [key, kind],
    (data) => {
      setPages(data.entries);
      setNext(data.next_before);
    },
  );
  const older = async () => {
    if (next === null) return;
    const page = await callApi<{ entries: Entry[]; next_before: number | null }>(
      key,
      'GET',
      `/v1/audit/entries?limit=25&before=${next}${kind ? `&kind=${encodeURIComponent(kind)}` : ''}`,
    );
    setPages((p) => [...p, ...page.entries]);
    setNext(page.next_before);
  };
  return (
    <div className="panel" aria-labelledby="entries-title">
      <h2 id="entries-title">
        Entries {first.data ? <span className="count">{formatNumber(first.data.size)}</span> : null}
      </h2>
      <label>
        Kind{' '}
        <select value={kind} onChange={(e) => setKind(e.target.value)}>
          {[
            '',
            'decision',
            'conversation.verdict',
            'ingest',
            'review.requested',
            'review.decision',
            'execution',
            'execution.result',
            'checkpoint',
            'admin.principal_created',
            'admin.channel_created',
            'admin.tier_set',
            'policy.loaded',
            'recovery',
          ].map((k) => (
            <option key={k} value={k}>
              {k || 'any'}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="button" className="secondary" onClick={first.reload}>
        Refresh
      </button>
      {first.error && !first.data ? (
        <ErrorBox error={first.error} retry={first.reload} />
      ) : !first.data ? (
        <Loading what="entries" />
      ) : pages.length === 0 ? (
        <Empty title="No entries of this kind" />
      ) : (
        <ol className="entries" reversed>
          {pages.map((e) => (
            <li key={e.seq}>
              <details>
                <summary>
                  <code>#{e.seq}</code> <strong>{e.kind}</strong>{' '}
                  <span className="muted">{formatDateTime(e.ts)}</span>{' '}
                  {e.kind === 'decision' ? <a href={`#/decisions/${e.seq}`}>open decision</a> : null}
                </summary>
                <p className="mono small break">{e.hash}</p>
                {e.payload_omitted ? (
                  <p className="muted">
                    Payload of {formatNumber(e.payload_omitted.chars)} characters left out of the page.
                  </p>
                ) : (
                  <Json value={e.payload} label={`Entry ${e.seq}`} />
                )}
              </details>
            </li>
          ))}
        </ol>
      )}
      {next !== null ? (
        <button type="button" className="secondary" onClick={() => void older()}>
          Older entries
        </button>
      ) : null}
    </div>
  );
}
