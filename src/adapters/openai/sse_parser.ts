// An incremental reader of server-sent events (WHATWG HTML §9.2 "event stream interpretation"), as the
// upstream's streamed chat completions arrive in arbitrary pieces. Only `event` and `data` matter here;
// comments, `id` and `retry` are dropped. Each event is bounded, so a stream cannot grow one without end.

import { StringDecoder } from 'node:string_decoder';

export interface ServerSentEvent {
  /** The `event` field, or null for the default (message) type. */
  event: string | null;
  data: string;
}

export class SseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`one event is longer than ${limit} characters`);
    this.name = 'SseTooLarge';
  }
}

export class SseParser {
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';
  #data: string[] = [];
  #dataChars = 0;
  #event: string | null = null;
  #sawCr = false;

  /** Requires 0 < maxEventChars. */
  constructor(private readonly maxEventChars: number) {}

  /** The events completed by this piece of the stream, in order. Throws SseTooLarge. */
  push(piece: Buffer): ServerSentEvent[] {
    let text = this.#decoder.write(piece);
    // A CR ending the previous piece and an LF starting this one are one line break.
    if (this.#sawCr && text.startsWith('\n')) text = text.slice(1);
    this.#sawCr = text.endsWith('\r');
    const events: ServerSentEvent[] = [];
    let start = 0;
    const all = this.#pending + text;
    this.#pending = '';
    for (let i = 0; i < all.length; i++) {
      const c = all.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(all.slice(start, i), events);
      if (c === 13 && all.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.#pending = all.slice(start);
    if (this.#pending.length + this.#dataChars > this.maxEventChars)
      throw new SseTooLarge(this.maxEventChars);
    return events;
  }

  /** True when the stream ended between events (nothing half-read). */
  get idle(): boolean {
    return this.#pending === '' && this.#data.length === 0 && this.#event === null;
  }

  #line(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) events.push({ event: this.#event, data: this.#data.join('\n') });
      this.#data = [];
      this.#dataChars = 0;
      this.#event = null;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.#dataChars += value.length + 1;
      if (this.#dataChars > this.maxEventChars) throw new SseTooLarge(this.maxEventChars);
      this.#data.push(value);
    } else if (field === 'event') this.#event = value;
  }
}
