// One live audit stream per signed-in tab, shared by every page: pages subscribe to the entries they
// care about (decisions, reviews, executions) and the header shows whether the stream is live.

import { createContext, useContext, useEffect, useRef } from 'react';
import type { StreamStatus } from './event_stream.js';

export interface AuditEvent {
  seq: number;
  ts: string;
  kind: string;
  hash: string;
  summary: Record<string, string | number | boolean | null>;
}

export interface LiveEvents {
  subscribe(listener: (event: AuditEvent) => void): () => void;
  status: StreamStatus;
}

export const LiveEventsContext = createContext<LiveEvents | null>(null);

/** Calls `onEvent` for each live audit entry whose kind `accept` takes (latest callback always used). */
export function useAuditEvents(
  accept: (kind: string) => boolean,
  onEvent: (event: AuditEvent) => void,
): void {
  const live = useContext(LiveEventsContext);
  const handler = useRef(onEvent);
  const filter = useRef(accept);
  useEffect(() => {
    handler.current = onEvent;
    filter.current = accept;
  });
  useEffect(() => {
    if (!live) return;
    return live.subscribe((event) => {
      if (filter.current(event.kind)) handler.current(event);
    });
  }, [live]);
}
