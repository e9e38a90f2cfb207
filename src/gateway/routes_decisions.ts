// Decisions as the console shows them, read from the audit log (the only place they are recorded): the
// list, filtered by agent, tool, decision and rule, and one decision with everything that explains it:
// the envelope, the five inputs, each cited chunk (channel, trust, injection signals and, while the
// gateway still holds the text, their spans), the policy rules that fired with their sentences, the
// conversation layer's verdict, and the entries that followed from it (review, execution, result).

import type { FastifyInstance } from 'fastify';
import type { AuditEntry } from '../audit/entry.js';
import { admit } from './auth.js';
import type { ConsoleContext } from './console_context.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { decisionGetSchema, decisionListSchema } from './schemas.js';

/** How many entries after a decision are searched for its review, execution and result. */
export const RELATED_SCAN_ENTRIES = 5000;
const DEFAULT_PAGE = 50;

interface DecisionPayload {
  agent: string;
  record: {
    sources?: { id: string; [key: string]: unknown }[];
    conversation_layer?: { present?: boolean };
    [key: string]: unknown;
  };
  inspect?: unknown;
  policy?: unknown;
  final?: unknown;
}

export function decisionRoutes(app: FastifyInstance, ctx: GatewayContext, console: ConsoleContext): void {
  const readers = admit(ctx, ['admin', 'auditor', 'approver']);
  const { reader } = console;

  app.get('/v1/decisions', { schema: decisionListSchema, onRequest: readers }, async (request) => {
    const q = request.query as Record<string, string | undefined>;
    await reader.refresh();
    const before = q.before === undefined ? reader.size : Number(q.before);
    const limit = q.limit === undefined ? DEFAULT_PAGE : Number(q.limit);
    const filter = {
      ...(q.agent !== undefined ? { agent: q.agent } : {}),
      ...(q.tool !== undefined ? { tool: q.tool } : {}),
      ...(q.decision !== undefined ? { decision: q.decision } : {}),
      ...(q.rule !== undefined ? { rule: q.rule } : {}),
    };
    const byHash = q.hash === undefined ? undefined : reader.decisionByEntryHash(q.hash);
    const decisions = byHash === undefined ? reader.decisions(filter, before, limit) : byHash ? [byHash] : [];
    const last = decisions[decisions.length - 1];
    return {
      decisions,
      next_before: decisions.length === limit && last ? last.seq : null,
      log_size: reader.size,
    };
  });

  app.get('/v1/decisions/:seq', { schema: decisionGetSchema, onRequest: readers }, async (request) => {
    const seq = Number((request.params as { seq: string }).seq);
    await reader.refresh();
    const entry = await reader.entry(seq);
    if (!entry || entry.kind !== 'decision')
      throw new GatewayError(404, 'E_NOT_FOUND', 'no such decision', `entry ${seq} is not a decision`);
    const payload = entry.payload as DecisionPayload;

    // The conversation layer's entry is sealed in the same tick, just before the decision.
    const previous = seq > 0 ? await reader.entry(seq - 1) : null;
    const conversation =
      previous?.kind === 'conversation.verdict' &&
      (previous.payload as { agent?: unknown }).agent === payload.agent
        ? previous
        : null;

    const chunks = [];
    for (const source of payload.record.sources ?? []) {
      const ingestSeq = reader.ingestOf(source.id);
      const ingest = ingestSeq === null ? null : await reader.entry(ingestSeq);
      chunks.push({
        ...source,
        ingest: ingest ? { seq: ingest.seq, ts: ingest.ts, ...(ingest.payload as object) } : null,
        content: console.chunkTexts.lookup(source.id),
      });
    }

    const related = await relatedEntries(console, entry);
    const reviewId = related.find((e) => e.kind === 'review.requested')?.payload as
      { review?: string } | undefined;
    const review = reviewId?.review ? await ctx.store.getReview(reviewId.review) : null;
    const checkpoint = ctx.audit.latestCheckpoint;
    return {
      entry: { seq: entry.seq, ts: entry.ts, kind: entry.kind, hash: entry.hash, prev: entry.prev },
      agent: payload.agent,
      record: payload.record,
      inspect: payload.inspect ?? null,
      policy: payload.policy ?? null,
      final: payload.final ?? null,
      conversation,
      chunks,
      related,
      review,
      receipt: {
        available: checkpoint !== null && checkpoint.size > seq && checkpoint.seq < ctx.audit.durableSize,
        url: `/v1/audit/entries/${seq}/receipt`,
      },
    };
  });
}

/**
 * The entries after a decision that follow from it, within RELATED_SCAN_ENTRIES: its review request
 * and the review's decisions, the execution its token (or its review's) allowed, and that execution's
 * result or failure.
 */
async function relatedEntries(console: ConsoleContext, decision: AuditEntry): Promise<AuditEntry[]> {
  const first = await console.reader.referencing(decision.seq, [decision.hash], RELATED_SCAN_ENTRIES);
  const ids = new Set<string>();
  for (const e of first) {
    const p = e.payload as { review?: unknown; jti?: unknown };
    if (e.kind === 'review.requested' && typeof p.review === 'string') ids.add(p.review);
    if (e.kind === 'execution' && typeof p.jti === 'string') ids.add(p.jti);
  }
  const second =
    ids.size === 0
      ? []
      : await console.reader.referencing(
          decision.seq,
          [...ids].map((id) => `"${id}"`),
          RELATED_SCAN_ENTRIES,
        );
  const bySeq = new Map<number, AuditEntry>();
  for (const e of [...first, ...second]) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
