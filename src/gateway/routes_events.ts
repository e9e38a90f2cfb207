// The live audit feed for the console: every durable entry (decisions, reviews, executions, admin
// changes…) as a server-sent event in seq order, each entry in a few fields. A reconnecting client sends
// the last seq it saw (Last-Event-ID, or ?after=) and resumes there, nothing skipped. The stream reads
// from the log's files only as fast as the client takes events, so a slow client holds no backlog.

import type { FastifyInstance } from 'fastify';
import { admit } from './auth.js';
import { summariseEntry } from './audit_reader.js';
import type { ConsoleContext } from './console_context.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { AFTER_SEQ, eventsSchema } from './schemas.js';

/** Entries read from the files at a time while catching up. */
const BATCH = 100;

export function eventRoutes(app: FastifyInstance, ctx: GatewayContext, console: ConsoleContext): void {
  const readers = admit(ctx, ['admin', 'auditor', 'approver']);
  app.get('/v1/events', { schema: eventsSchema, onRequest: readers }, async (request, reply) => {
    const header = request.headers['last-event-id'];
    const query = (request.query as { after?: string }).after;
    const given = typeof header === 'string' ? header : query;
    if (given !== undefined && !AFTER_SEQ.test(given))
      throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'after: a seq, or -1');
    const { reader, feed, streams } = console;
    await reader.refresh();
    let cursor = given === undefined ? reader.size - 1 : Number(given);

    const stream = streams.start(request, reply);
    stream.send('ready', { size: reader.size, after: cursor });
    let pumping = false;
    let again = false;
    // Sends what the client has not seen yet, until it is caught up or its connection is full.
    const pump = async (): Promise<void> => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          while (!stream.closed && cursor + 1 < reader.size) {
            const count = Math.min(BATCH, reader.size - cursor - 1);
            const seqs = Array.from({ length: count }, (_, i) => cursor + 1 + i);
            for (const entry of await reader.entries(seqs)) {
              cursor = entry.seq;
              if (!stream.send('audit', summariseEntry(entry), entry.seq)) {
                stream.onDrain(() => void pump());
                return;
              }
            }
          }
        } while (again && !stream.closed);
      } catch (e) {
        request.log.error({ err: e }, 'audit event stream');
        stream.end();
      } finally {
        pumping = false;
      }
    };
    const unsubscribe = feed.subscribe(() => void pump());
    stream.onClose(unsubscribe);
    void pump();
    return reply;
  });
}
