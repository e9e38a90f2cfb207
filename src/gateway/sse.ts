// Server-sent event streams (text/event-stream) for the console: one helper that opens a stream on a
// Fastify reply, reports backpressure so a writer can stop reading instead of queueing (a slow client
// never grows memory), keeps idle connections alive, and a hub that ends every stream on shutdown so that
// closing the gateway does not wait for clients to hang up.

import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Bytes a stream buffers before `send` reports it congested. */
const HIGH_WATER_BYTES = 64 * 1024;
const KEEPALIVE_MS = 15_000;

export interface SseStream {
  /** Writes one event; false when the client is behind: wait for `onDrain` before sending more. */
  send(event: string, data: unknown, id?: number): boolean;
  onDrain(listener: () => void): void;
  onClose(listener: () => void): void;
  readonly closed: boolean;
  end(): void;
}

export class SseHub {
  private readonly open = new Set<SseStream>();

  get size(): number {
    return this.open.size;
  }

  /** Answers `request` with an event stream; the route handler must return the reply afterwards. */
  start(request: FastifyRequest, reply: FastifyReply): SseStream {
    const body = new PassThrough({ highWaterMark: HIGH_WATER_BYTES });
    const closeListeners: (() => void)[] = [];
    let closed = false;
    const hub = this.open;
    const keepalive = setInterval(() => {
      if (body.writableLength < HIGH_WATER_BYTES) body.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    keepalive.unref();
    const stream: SseStream = {
      send(event, data, id) {
        if (closed) return false;
        const head = `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\n`;
        return body.write(`${head}data: ${JSON.stringify(data)}\n\n`);
      },
      onDrain(listener) {
        body.once('drain', listener);
      },
      onClose(listener) {
        if (closed) listener();
        else closeListeners.push(listener);
      },
      get closed() {
        return closed;
      },
      end() {
        if (closed) return;
        closed = true;
        clearInterval(keepalive);
        hub.delete(stream);
        body.end();
        for (const listener of closeListeners.splice(0)) listener();
      },
    };
    hub.add(stream);
    // The client hung up (or the connection broke): stop writing to it.
    request.raw.once('close', () => stream.end());
    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-store')
      .header('x-accel-buffering', 'no')
      .send(body);
    body.write(': carapace event stream\n\n');
    return stream;
  }

  /** Ends every open stream (the gateway is closing). */
  closeAll(): void {
    for (const stream of [...this.open]) stream.end();
  }
}
