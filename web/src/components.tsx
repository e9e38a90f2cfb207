// Small pieces every page uses: decision and trust badges, designed loading, empty and error states,
// a JSON block, and a data loader hook that keeps the last good data while it refreshes (no flicker).

import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api.js';

export function DecisionBadge({ decision }: { decision: string }) {
  const tone = { ALLOW: 'ok', HUMAN_REVIEW: 'warn', DENY: 'bad', QUARANTINE: 'bad' }[decision] ?? 'muted';
  return <span className={`badge badge-${tone}`}>{decision.replace('_', ' ')}</span>;
}

export function TrustBadge({ trust }: { trust: string }) {
  const tone = { trusted: 'ok', semi_trusted: 'warn', untrusted: 'bad' }[trust] ?? 'muted';
  return <span className={`badge badge-${tone}`}>{trust.replace('_', '-')}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const e = error instanceof ApiError ? error : null;
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{e ? e.message : 'Something went wrong'}</p>
      <p>
        {e ? (
          <>
            <code>{e.code}</code> {e.detail}
          </>
        ) : (
          String((error as Error)?.message ?? error)
        )}
      </p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Loads with `load` when `deps` change and on reload(); keeps showing the last data meanwhile. `onData`
 * (optional) receives each result as it arrives, for pages that merge pages or live rows into it.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  onData?: (data: T) => void,
): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  const receiver = useRef(onData);
  useEffect(() => {
    loader.current = load;
    receiver.current = onData;
  });
  useEffect(() => {
    let current = true;
    loader.current().then(
      (d) => {
        if (!current) return;
        setData(d);
        setError(null);
        receiver.current?.(d);
      },
      (e: unknown) => {
        if (current) setError(e);
      },
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading: data === null && error === null, reload };
}

/** The time now, updated every second (for countdowns). */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
