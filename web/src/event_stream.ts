// Server-sent events read with fetch() and a ReadableStream, because EventSource cannot send an
// Authorization header and the key must never be in a URL. Reconnects with backoff, sending the last
// event id it saw as Last-Event-ID, so the gateway resumes exactly after it.

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface StreamOptions {
  key: string;
  path: string;
  onEvent(event: string, data: unknown, id: string | null): void;
  onStatus?(status: StreamStatus, detail?: string): void;
  /** The last id already seen, if any: the stream resumes after it. */
  lastId?: string | null;
}

/** Opens the stream; returns a function that closes it for good. */
export function openEventStream(options: StreamOptions): () => void {
  let lastId = options.lastId ?? null;
  let closed = false;
  let controller: AbortController | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const connect = async () => {
    if (closed) return;
    controller = new AbortController();
    options.onStatus?.(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      const response = await fetch(options.path, {
        headers: {
          authorization: `Bearer ${options.key}`,
          accept: 'text/event-stream',
          ...(lastId !== null ? { 'last-event-id': lastId } : {}),
        },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (response.status === 401 || response.status === 403) {
        const body = (await response.json().catch(() => ({}))) as { error?: string };
        options.onStatus?.('refused', body.error ?? `HTTP ${response.status}`);
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      attempt = 0;
      options.onStatus?.('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatch(block);
        }
      }
    } catch {
      if (closed) return;
    }
    if (closed) return;
    attempt++;
    options.onStatus?.('reconnecting');
    timer = setTimeout(() => void connect(), Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
  };

  const dispatch = (block: string) => {
    let event = 'message';
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length === 0) return;
    if (id !== null) lastId = id;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    options.onEvent(event, parsed, id);
  };

  void connect();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    controller?.abort();
  };
}
