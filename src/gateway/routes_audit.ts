// The audit explorer's routes: pages of entries and checkpoints read from the log's files, one entry,
// a receipt for an entry (the carapace.receipt/v1 file `carapace audit proof` writes, checked by
// `carapace audit verify-receipt`), the log's verifier key, and "verify now", which runs the CLI's own
// verification (readDataDirLog + verifyLogParallel, whose worker threads take the hashing off the event
// loop for a large log) over the files as they are. On a cluster's log (PostgreSQL) the pages read the
// shared rows, and "verify now" verifies them with every instance's key recorded in the store.

import type { FastifyInstance } from 'fastify';
import { DEFAULT_ORIGIN, findKeyFiles, readDataDirLog } from '../audit/log_files.js';
import type { CheckpointPayload } from '../audit/log.js';
import { makeReceipt } from '../audit/receipt.js';
import { type VerifyResult, verifyLogParallel } from '../audit/verify.js';
import type { PgAuditStore } from '../audit/pg_audit_store.js';
import { formatVerifierKey, parseVerifierKey, type VerifierKey } from '../crypto/signed_note.js';
import { admit } from './auth.js';
import type { ConsoleContext } from './console_context.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import {
  auditEntriesSchema,
  auditEntrySchema,
  auditKeySchema,
  auditWitnessSchema,
  auditVerifySchema,
  checkpointListSchema,
  receiptSchema,
} from './schemas.js';

/** A payload larger than this is left out of a page of entries (GET the entry for all of it). */
export const PAGE_PAYLOAD_CHARS = 16 * 1024;
const DEFAULT_PAGE = 50;

export function auditRoutes(app: FastifyInstance, ctx: GatewayContext, console: ConsoleContext): void {
  const auditors = admit(ctx, ['admin', 'auditor']);
  const readers = admit(ctx, ['admin', 'auditor', 'approver']);
  const { reader } = console;

  const pageOf = (query: unknown) => {
    const q = query as { before?: string; limit?: string };
    return {
      before: q.before === undefined ? reader.size : Number(q.before),
      limit: q.limit === undefined ? DEFAULT_PAGE : Number(q.limit),
    };
  };

  app.get('/v1/audit/entries', { schema: auditEntriesSchema, onRequest: auditors }, async (request) => {
    await reader.refresh();
    const { before, limit } = pageOf(request.query);
    const kind = (request.query as { kind?: string }).kind;
    const seqs = reader.seqsBefore(before, limit, kind);
    const entries = (await reader.entries(seqs)).map((entry) => {
      const chars = JSON.stringify(entry.payload).length;
      return chars <= PAGE_PAYLOAD_CHARS
        ? entry
        : { ...entry, payload: null, payload_omitted: { chars, url: `/v1/audit/entries/${entry.seq}` } };
    });
    const last = seqs[seqs.length - 1];
    return {
      entries,
      size: reader.size,
      next_before: seqs.length === limit && last !== undefined ? last : null,
    };
  });

  app.get('/v1/audit/entries/:seq', { schema: auditEntrySchema, onRequest: auditors }, async (request) => {
    await reader.refresh();
    const seq = Number((request.params as { seq: string }).seq);
    const entry = await reader.entry(seq);
    if (!entry) throw noEntry(seq, reader.size);
    return entry;
  });

  app.get(
    '/v1/audit/entries/:seq/receipt',
    { schema: receiptSchema, onRequest: readers },
    async (request, reply) => {
      await reader.refresh();
      const seq = Number((request.params as { seq: string }).seq);
      const entry = await reader.entry(seq);
      if (!entry) throw noEntry(seq, reader.size);
      // The newest signed checkpoint, once its entry is durable; it covers every entry before it.
      const checkpoint = ctx.audit.latestCheckpoint;
      if (!checkpoint || checkpoint.seq >= ctx.audit.durableSize || checkpoint.size <= seq)
        throw new GatewayError(
          409,
          'E_NOT_COVERED',
          'no signed checkpoint covers this entry yet',
          `entry ${seq}: the log signs a checkpoint within a second; ask again`,
        );
      // The tree the log keeps in memory is the tree the checkpoint signs; the entry is the one on disk.
      const receipt = makeReceipt(
        entry,
        ctx.audit.tree.inclusionProof(seq, checkpoint.size),
        checkpoint.note,
      );
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="carapace-receipt-${seq}.json"`)
        .send(`${JSON.stringify(receipt, null, 2)}\n`);
    },
  );

  app.get('/v1/audit/checkpoints', { schema: checkpointListSchema, onRequest: auditors }, async (request) => {
    await reader.refresh();
    const { before, limit } = pageOf(request.query);
    const seqs = reader.seqsBefore(before, limit, 'checkpoint');
    const checkpoints = (await reader.entries(seqs)).map((entry) => {
      const payload = entry.payload as CheckpointPayload;
      return {
        seq: entry.seq,
        ts: entry.ts,
        origin: payload.origin,
        size: payload.size,
        root: payload.root,
        note: payload.note,
      };
    });
    const last = seqs[seqs.length - 1];
    return { checkpoints, next_before: seqs.length === limit && last !== undefined ? last : null };
  });

  app.get('/v1/audit/witness', { schema: auditWitnessSchema, onRequest: auditors }, async () => {
    const status = ctx.witness?.status();
    if (!status) return { configured: false, all_cosigned: false, witnesses: [] };
    return {
      configured: true,
      all_cosigned: status.allCosigned,
      last_entry_needing_witness: status.lastNeeding,
      witnesses: status.witnesses.map((w) => ({
        name: w.name,
        url: w.url,
        cosigned_size: w.cosignedSize,
        last_error: w.lastError,
      })),
    };
  });

  app.get('/v1/audit/key', { schema: auditKeySchema, onRequest: readers }, async () => {
    const found = findKeyFiles(console.dataDir, ctx.audit.origin);
    if (!found) throw new GatewayError(503, 'E_KEY_MISSING', 'the log key is not readable', ctx.audit.origin);
    const own = { origin: found.vkey.name, vkey: formatVerifierKey(found.vkey) };
    // A cluster's log: this instance's key signs its receipts; every instance's key signs checkpoints.
    if (console.cluster) return { ...own, vkeys: (await console.cluster.keys()).map((k) => k.vkey) };
    return own;
  });

  // One verification at a time: a second request while one runs gets the same result.
  let running: Promise<VerifyResult & { verified_at: string; vkey: string }> | null = null;
  app.post('/v1/audit/verify', { schema: auditVerifySchema, onRequest: auditors }, async () => {
    running ??= (
      console.cluster ? verifyCluster(console.cluster) : verifyNow(console.dataDir, ctx.audit.origin)
    ).finally(() => {
      running = null;
    });
    return running;
  });
}

/** `carapace audit verify <data dir>` in the server: the same reading, the same verifier, the log's own key. */
async function verifyNow(dataDir: string, origin: string) {
  const log = await readDataDirLog(dataDir, origin ?? DEFAULT_ORIGIN);
  if (!log.vkey) throw new GatewayError(503, 'E_KEY_MISSING', 'the log key is not readable', origin);
  // The files are being appended to: a line half-written when it was read is not part of the log yet.
  const last = log.sources[log.sources.length - 1];
  if (last) last.bytes = last.bytes.subarray(0, last.bytes.lastIndexOf(0x0a) + 1);
  const result = await verifyLogParallel(log.sources, { key: log.vkey });
  return { ...result, verified_at: new Date().toISOString(), vkey: formatVerifierKey(log.vkey) };
}

/** "Verify now" on a cluster's log: the committed rows, with every instance key the store recorded. */
async function verifyCluster(store: PgAuditStore) {
  const vkeys: VerifierKey[] = [];
  for (const { vkey } of await store.keys()) {
    try {
      vkeys.push(parseVerifierKey(vkey));
    } catch {
      // A malformed row is no key: the checkpoints it would verify fail instead.
    }
  }
  if (vkeys.length === 0)
    throw new GatewayError(503, 'E_KEY_MISSING', 'no instance key is recorded', `schema ${store.schema}`);
  const result = await verifyLogParallel(await store.readSources(), { key: vkeys });
  return {
    ...result,
    verified_at: new Date().toISOString(),
    vkey: vkeys.map(formatVerifierKey).join('\n'),
    vkeys: vkeys.map(formatVerifierKey),
  };
}

function noEntry(seq: number, size: number): GatewayError {
  return new GatewayError(
    404,
    'E_NOT_FOUND',
    'no such entry',
    `the log has ${size} entries; there is no seq ${seq}`,
  );
}
