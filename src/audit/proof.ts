// Builds a receipt for one entry from the stored log: the entry, its inclusion proof, and the newest
// signed checkpoint that covers it.

import { decodeLine, entryOfLine } from './entry_line.js';
import type { CheckpointPayload } from './log.js';
import { MerkleTree } from './merkle.js';
import { makeReceipt, type Receipt } from './receipt.js';
import type { LogSource } from './verify.js';

export class ProofError extends Error {
  constructor(
    readonly code: 'E_NO_SUCH_ENTRY' | 'E_NOT_COVERED' | 'E_AUDIT_CORRUPT',
    message: string,
  ) {
    super(message);
    this.name = 'ProofError';
  }
}

export function buildReceipt(sources: readonly LogSource[], seq: number): Receipt {
  const tree = new MerkleTree();
  let entry: ReturnType<typeof entryOfLine> | null = null;
  let covering: CheckpointPayload | null = null;
  for (const source of sources) {
    for (let offset = source.start; offset < source.bytes.length;) {
      const newline = source.bytes.indexOf(0x0a, offset);
      if (newline === -1) break;
      const decoded = decodeLine(Buffer.from(source.bytes.subarray(offset, newline)));
      if (typeof decoded === 'string' || decoded.seq !== tree.size)
        throw new ProofError(
          'E_AUDIT_CORRUPT',
          `${source.name} byte ${offset}: the log does not verify; run carapace audit verify`,
        );
      tree.append(decoded.leafHash);
      if (decoded.seq === seq) entry = entryOfLine(decoded);
      if (decoded.kind === 'checkpoint') {
        const payload = entryOfLine(decoded).payload as CheckpointPayload;
        if (payload.size > seq) covering = payload;
      }
      offset = newline + 1;
    }
  }
  if (!entry)
    throw new ProofError('E_NO_SUCH_ENTRY', `the log has ${tree.size} entries; there is no seq ${seq}`);
  if (!covering) throw new ProofError('E_NOT_COVERED', `no signed checkpoint covers seq ${seq} yet`);
  return makeReceipt(entry, tree.inclusionProof(seq, covering.size), covering.note);
}
