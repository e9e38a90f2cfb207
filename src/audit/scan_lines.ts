// The per-line half of verification, on one byte range of a log: decode every line, check its hash,
// its seq and its link to the line before, and collect leaf hashes and checkpoint bodies. It needs
// nothing from other ranges, so ranges can be scanned in parallel (verify_worker.ts).

import { locateLine, sameBytes } from './entry_line.js';
import { hashChildren } from './merkle.js';

export interface ScannedRange {
  /** Byte offset of the range's first line. */
  start: number;
  /** Lines that decoded and chained correctly (before `error`, if any). */
  count: number;
  /** count × 32 bytes. */
  leafHashes: Buffer;
  /**
   * Parents of the leaf pairs (2k, 2k+1) that lie wholly in this range, in order, 32 bytes each: the
   * first pair starts at local index firstSeq % 2. Saves the tree builder half of its hashing.
   */
  pairHashes: Buffer;
  firstSeq: number | null;
  firstPrev: string | null;
  lastHash: string | null;
  /** Checkpoint entries: their index in this range and their canonical body. */
  checkpoints: { index: number; body: string }[];
  recoveries: number;
  /** The first line in this range that is wrong: its index in the range, byte offset, and why. */
  error: { index: number; offset: number; problem: string } | null;
}

/**
 * Scans bytes[start, end) (line-aligned: `end` is just past a newline, or the end of the data). The
 * bytes are decoded in place, so they are consumed.
 */
export function scanLines(bytes: Buffer, start: number, end: number): ScannedRange {
  let leaves = Buffer.allocUnsafe(estimateLines(bytes, start, end) * 32);
  const range: ScannedRange = {
    start,
    count: 0,
    leafHashes: leaves,
    pairHashes: Buffer.alloc(0),
    firstSeq: null,
    firstPrev: null,
    lastHash: null,
    checkpoints: [],
    recoveries: 0,
    error: null,
  };
  let pairs = Buffer.allocUnsafe(Math.ceil(leaves.length / 2) + 32);
  let pairCount = 0;
  let lastHashHex = -1; // where the previous line's hash hex digits are in `bytes`
  let offset = start;
  while (offset < end) {
    const newline = bytes.indexOf(0x0a, offset);
    if (newline === -1 || newline >= end) {
      range.error = {
        index: range.count,
        offset,
        problem: 'incomplete last line (no newline): the log was cut mid-entry',
      };
      break;
    }
    const line = locateLine(bytes, offset, newline);
    let problem: string | null = typeof line === 'string' ? line : null;
    if (typeof line !== 'string') {
      if (range.firstSeq === null) {
        range.firstSeq = line.seq;
        range.firstPrev = `sha256:${bytes.toString('latin1', line.prevHex, line.prevHex + 64)}`;
      } else if (line.seq !== range.firstSeq + range.count)
        problem = `seq is ${line.seq}, expected ${range.firstSeq + range.count}: entries were dropped, added or reordered`;
      else if (!sameBytes(bytes, lastHashHex, bytes, line.prevHex, 64))
        problem = `prev is sha256:${bytes.toString('latin1', line.prevHex, line.prevHex + 64)}, but the entry before has hash sha256:${bytes.toString('latin1', lastHashHex, lastHashHex + 64)}`;
    }
    if (problem !== null || typeof line === 'string') {
      range.error = { index: range.count, offset, problem: problem ?? 'unreadable line' };
      break;
    }
    if ((range.count + 1) * 32 > leaves.length) {
      const grown = Buffer.allocUnsafe(leaves.length * 2 + 32 * 1024);
      leaves.copy(grown);
      leaves = grown;
    }
    line.leafHash.copy(leaves, range.count * 32);
    if (range.count > 0 && ((range.firstSeq as number) + range.count) % 2 === 1) {
      if ((pairCount + 1) * 32 > pairs.length) {
        const grown = Buffer.allocUnsafe(pairs.length * 2 + 32 * 1024);
        pairs.copy(grown);
        pairs = grown;
      }
      hashChildren(leaves.subarray((range.count - 1) * 32, range.count * 32), line.leafHash).copy(
        pairs,
        pairCount * 32,
      );
      pairCount++;
    }
    if (line.isCheckpoint)
      range.checkpoints.push({ index: range.count, body: bytes.toString('utf8', line.bodyStart, newline) });
    else if (line.isRecovery) range.recoveries++;
    lastHashHex = line.hashHex;
    range.count++;
    offset = newline + 1;
  }
  if (lastHashHex >= 0) range.lastHash = `sha256:${bytes.toString('latin1', lastHashHex, lastHashHex + 64)}`;
  range.leafHashes = leaves.subarray(0, range.count * 32);
  range.pairHashes = pairs.subarray(0, pairCount * 32);
  return range;
}

function estimateLines(bytes: Buffer, start: number, end: number): number {
  const sample = Math.min(end - start, 64 * 1024);
  let lines = 0;
  for (let i = bytes.indexOf(0x0a, start); i !== -1 && i < start + sample; i = bytes.indexOf(0x0a, i + 1))
    lines++;
  return Math.ceil(((lines + 1) * (end - start)) / Math.max(1, sample)) + 16;
}

/** Splits bytes[start, length) into up to `parts` line-aligned ranges. */
export function splitLineAligned(bytes: Buffer, start: number, parts: number): [number, number][] {
  const ranges: [number, number][] = [];
  let from = start;
  for (let k = 1; k < parts && from < bytes.length; k++) {
    const target = start + Math.floor(((bytes.length - start) * k) / parts);
    const newline = bytes.indexOf(0x0a, Math.max(from, target));
    if (newline === -1) break;
    ranges.push([from, newline + 1]);
    from = newline + 1;
  }
  ranges.push([from, bytes.length]);
  return ranges;
}
