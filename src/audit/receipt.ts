// Receipts: for one entry, a self-contained file an auditor checks with nothing but the log's public
// key: the entry, and a C2SP tlog-proof (its index, the inclusion proof, and the signed checkpoint).

import type { VerifierKey } from '../crypto/signed_note.js';
import { openCheckpoint } from './checkpoint.js';
import { type AuditEntry, checkEntryHash, entryBody } from './entry.js';
import { hashLeaf, verifyInclusion } from './merkle.js';
import { formatTlogProof, parseTlogProof } from './tlog_proof.js';

export const RECEIPT_FORMAT = 'carapace.receipt/v1';

export interface Receipt {
  format: typeof RECEIPT_FORMAT;
  entry: AuditEntry;
  /** c2sp.org/tlog-proof@v1 text: index, inclusion proof, and the covering checkpoint note. */
  tlog_proof: string;
}

export function makeReceipt(entry: AuditEntry, proof: readonly Buffer[], checkpointNote: string): Receipt {
  return {
    format: RECEIPT_FORMAT,
    entry,
    tlog_proof: formatTlogProof({ index: entry.seq, proof: [...proof], checkpointNote }),
  };
}

export type ReceiptCheck =
  { ok: true; seq: number; kind: string; origin: string; size: number } | { ok: false; problem: string };

/** Checks a receipt offline: entry hash, checkpoint signature and origin, inclusion of the entry. */
export function verifyReceipt(receipt: unknown, key: VerifierKey): ReceiptCheck {
  const bad = (problem: string): ReceiptCheck => ({ ok: false, problem });
  const r = receipt as Partial<Receipt>;
  if (typeof r !== 'object' || r === null || r.format !== RECEIPT_FORMAT)
    return bad(`not a ${RECEIPT_FORMAT} receipt`);
  const entry = r.entry as AuditEntry;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    !Number.isSafeInteger(entry.seq) ||
    typeof r.tlog_proof !== 'string'
  )
    return bad('receipt has no entry or no tlog_proof');

  let body: Buffer;
  try {
    body = entryBody(entry);
  } catch {
    return bad('entry is not JSON');
  }
  const hashProblem = checkEntryHash(entry);
  if (hashProblem) return bad(`entry ${entry.seq}: ${hashProblem}`);

  let proof: ReturnType<typeof parseTlogProof>;
  try {
    proof = parseTlogProof(r.tlog_proof);
  } catch (e) {
    return bad(`tlog_proof: ${(e as Error).message}`);
  }
  if (proof.index !== entry.seq)
    return bad(`tlog_proof is for index ${proof.index}, the entry is seq ${entry.seq}`);

  let checkpoint: ReturnType<typeof openCheckpoint>;
  try {
    checkpoint = openCheckpoint(proof.checkpointNote, key, key.name);
  } catch (e) {
    return bad(`checkpoint: ${(e as Error).message}`);
  }
  try {
    verifyInclusion(entry.seq, checkpoint.size, hashLeaf(body), proof.proof, checkpoint.rootHash);
  } catch (e) {
    return bad(`entry ${entry.seq} is not in the tree the checkpoint signs: ${(e as Error).message}`);
  }
  return { ok: true, seq: entry.seq, kind: entry.kind, origin: checkpoint.origin, size: checkpoint.size };
}
