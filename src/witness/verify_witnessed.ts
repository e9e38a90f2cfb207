// The offline witness check of `carapace audit verify --witness-key`: after the log itself verifies, every
// `checkpoint.cosigned` entry's cosignature must verify over a checkpoint the log holds, and every entry
// other than checkpoints and cosignature records must lie under a checkpoint each required witness cosigned.
// (A witness that cosigned size N vouches, by the consistency proofs it checked, for every smaller checkpoint.)

import { decodeLine, entryOfLine } from '../audit/entry_line.js';
import type { CheckpointPayload } from '../audit/log.js';
import type { LogSource } from '../audit/verify.js';
import { type CosignerKey, CosignatureError, verifyCosignature } from './cosignature.js';

export const COSIGNED_KIND = 'checkpoint.cosigned';

/** The payload of a `checkpoint.cosigned` entry. */
export interface CosignedPayload {
  origin: string;
  size: number;
  /** Base64 root hash. */
  root: string;
  /** The witness's key name. */
  witness: string;
  /** Its cosignature line (C2SP tlog-cosignature), over the checkpoint note with this size and root. */
  cosignature: string;
}

/** Kinds that need no witness: the records of witnessing itself. */
export function needsWitness(kind: string): boolean {
  return kind !== 'checkpoint' && kind !== COSIGNED_KIND;
}

export type WitnessVerifyResult =
  | { ok: true; cosignatures: number; coveredBy: Record<string, number> }
  | { ok: false; seq: number | null; problem: string };

export function verifyWitnessed(
  sources: readonly LogSource[],
  witnessKeys: readonly CosignerKey[],
): WitnessVerifyResult {
  const checkpointTexts = new Map<string, string>(); // `${size} ${root}` → note text
  const covered = new Map<string, number>(witnessKeys.map((k) => [k.name, 0]));
  let lastNeeding = -1;
  let cosignatures = 0;
  for (const source of sources) {
    for (let offset = source.start; offset < source.bytes.length;) {
      const newline = source.bytes.indexOf(0x0a, offset);
      if (newline === -1) break;
      const decoded = decodeLine(Buffer.from(source.bytes.subarray(offset, newline)));
      offset = newline + 1;
      if (typeof decoded === 'string') return { ok: false, seq: null, problem: decoded };
      const entry = entryOfLine(decoded);
      if (needsWitness(entry.kind)) lastNeeding = entry.seq;
      if (entry.kind === 'checkpoint') {
        const p = entry.payload as CheckpointPayload;
        const split = p.note.lastIndexOf('\n\n');
        checkpointTexts.set(`${p.size} ${p.root}`, p.note.slice(0, split + 1));
      } else if (entry.kind === COSIGNED_KIND) {
        const p = entry.payload as CosignedPayload;
        const key = witnessKeys.find((k) => k.name === p.witness);
        if (key === undefined) continue; // a witness this verifier does not require
        const text = checkpointTexts.get(`${p.size} ${p.root}`);
        if (text === undefined)
          return {
            ok: false,
            seq: entry.seq,
            problem: `cosignature of size ${p.size} for a checkpoint the log does not hold before it`,
          };
        try {
          verifyCosignature(text, p.cosignature, key);
        } catch (e) {
          const why = e instanceof CosignatureError ? e.message : String(e);
          return { ok: false, seq: entry.seq, problem: `cosignature by ${p.witness}: ${why}` };
        }
        cosignatures++;
        covered.set(key.name, Math.max(covered.get(key.name) ?? 0, p.size));
      }
    }
  }
  for (const [name, size] of covered) {
    if (size <= lastNeeding)
      return {
        ok: false,
        seq: size,
        problem:
          size === 0
            ? `no valid cosignature by witness ${name}: entries 0..${lastNeeding} are not witnessed`
            : `entries ${size}..${lastNeeding} are under no checkpoint cosigned by witness ${name}`,
      };
  }
  return { ok: true, cosignatures, coveredBy: Object.fromEntries(covered) };
}
