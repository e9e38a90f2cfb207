// The offline verifier: walks every entry of a log (segment files or an export bundle) and checks the
// hash chain, rebuilds the RFC 6962 tree, checks every checkpoint's signature and root, and the
// consistency of each checkpoint with the one before. It names the first bad entry and what is wrong.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VerifierKey } from '../crypto/signed_note.js';
import { openCheckpoint } from './checkpoint.js';
import { GENESIS_PREV } from './entry.js';
import { decodeLine, entryOfLine } from './entry_line.js';
import type { CheckpointPayload } from './log.js';
import { MerkleTree, verifyConsistency } from './merkle.js';

/** Where bytes come from: a segment file or a bundle, with the byte offset its entries start at. */
export interface LogSource {
  name: string;
  bytes: Buffer;
  start: number;
}

export interface VerifySummary {
  entries: number;
  checkpoints: number;
  recoveries: number;
  /** Size the last valid checkpoint covers. */
  covered: number;
  /** Hex root of the whole log as rebuilt. */
  root: string;
  /** Entries after the last checkpoint entry (not yet signed over). */
  uncovered: number;
}

export type VerifyResult =
  | ({ ok: true } & VerifySummary)
  | ({ ok: false; seq: number; where: string; problem: string } & VerifySummary);

export interface VerifyOptions {
  key: VerifierKey;
  /** Verify that the log still contains this previously seen checkpoint (it was not cut or forked). */
  knownCheckpoint?: { size: number; rootHash: Buffer };
}

export function verifyLog(sources: readonly LogSource[], options: VerifyOptions): VerifyResult {
  const tree = new MerkleTree();
  let prev = GENESIS_PREV;
  let seq = 0;
  let checkpoints = 0;
  let recoveries = 0;
  let last: { seq: number; size: number; root: Buffer } | null = null;
  const summary = (): VerifySummary => ({
    entries: seq,
    checkpoints,
    recoveries,
    covered: last?.size ?? 0,
    root: tree.root().toString('hex'),
    uncovered: last ? seq - last.seq - 1 : seq,
  });
  const failAt = (where: string, problem: string): VerifyResult => ({
    ok: false,
    seq,
    where,
    problem,
    ...summary(),
  });

  for (const source of sources) {
    let offset = source.start;
    while (offset < source.bytes.length) {
      const newline = source.bytes.indexOf(0x0a, offset);
      const where = `${source.name} byte ${offset}`;
      if (newline === -1)
        return failAt(where, 'incomplete last line (no newline): the log was cut mid-entry');
      const decoded = decodeLine(Buffer.from(source.bytes.subarray(offset, newline)));
      if (typeof decoded === 'string') return failAt(where, decoded);
      if (decoded.seq !== seq)
        return failAt(
          where,
          `seq is ${decoded.seq}, expected ${seq}: entries were dropped, added or reordered`,
        );
      if (decoded.prev !== prev)
        return failAt(where, `prev is ${decoded.prev}, but entry ${seq - 1} has hash ${prev}`);
      tree.append(decoded.leafHash);

      if (decoded.kind === 'checkpoint') {
        const problem = checkCheckpoint(entryOfLine(decoded).payload, seq, tree, last, options.key);
        if (typeof problem === 'string') return failAt(where, problem);
        last = { seq, size: problem.size, root: problem.root };
        checkpoints++;
      } else if (decoded.kind === 'recovery') recoveries++;
      prev = decoded.hash;
      seq++;
      offset = newline + 1;
    }
  }

  const known = options.knownCheckpoint;
  if (known) {
    if (known.size > seq)
      return failAt(
        'end of log',
        `a known checkpoint covers ${known.size} entries but the log has only ${seq}: it was cut`,
      );
    if (!tree.root(known.size).equals(known.rootHash))
      return failAt(
        'end of log',
        `the first ${known.size} entries do not match the known checkpoint: the log was rewritten`,
      );
  }
  return { ok: true, ...summary() };
}

function checkCheckpoint(
  payload: unknown,
  seq: number,
  tree: MerkleTree,
  previous: { size: number; root: Buffer } | null,
  key: VerifierKey,
): string | { size: number; root: Buffer } {
  const p = payload as Partial<CheckpointPayload>;
  if (typeof p?.note !== 'string') return 'checkpoint entry has no signed note';
  let opened: { size: number; rootHash: Buffer; origin: string };
  try {
    opened = openCheckpoint(p.note, key, key.name);
  } catch (e) {
    return `checkpoint signature does not verify with key ${key.name}: ${(e as Error).message}`;
  }
  if (opened.size !== p.size || opened.rootHash.toString('base64') !== p.root || opened.origin !== p.origin)
    return 'checkpoint entry fields differ from its signed note';
  if (opened.size > seq) return `checkpoint signs size ${opened.size}, but only ${seq} entries precede it`;
  const rebuilt = tree.root(opened.size);
  if (!rebuilt.equals(opened.rootHash))
    return `checkpoint signs root ${opened.rootHash.toString('hex')} for size ${opened.size}, but entries 0..${opened.size - 1} hash to ${rebuilt.toString('hex')}`;
  if (previous) {
    if (opened.size < previous.size)
      return `checkpoint size ${opened.size} is smaller than the previous ${previous.size}`;
    if (opened.size > previous.size) {
      try {
        verifyConsistency(
          previous.size,
          opened.size,
          tree.consistencyProof(previous.size, opened.size),
          previous.root,
          opened.rootHash,
        );
      } catch (e) {
        return `checkpoint is not consistent with the previous one: ${(e as Error).message}`;
      }
    } else if (!previous.root.equals(opened.rootHash))
      return 'two checkpoints of the same size sign different roots';
  }
  return { size: opened.size, root: opened.rootHash };
}

/** Reads the segment files of an audit directory, in order. */
export async function readSegments(dir: string, names: readonly string[]): Promise<LogSource[]> {
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)), start: 0 })));
}
