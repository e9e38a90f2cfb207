// The per-line half of verification, on one byte range of a log: decode every line, check its hash,
// its seq and its link to the line before, and collect leaf hashes and checkpoint bodies. It needs
// nothing from other ranges, so ranges can be scanned in parallel (verify_worker.ts).

import { decodeLine } from './entry_line.js';

export interface ScannedRange {
  /** Byte offset of the range's first line. */
  start: number;
  /** Lines that decoded and chained correctly (before `error`, if any). */
  count: number;
  /** count × 32 bytes. */
  leafHashes: Buffer;
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
  const leafHashes = Buffer.allocUnsafe(estimateLines(bytes, start, end) * 32);
  const range: ScannedRange = {
    start,
    count: 0,
    leafHashes,
    firstSeq: null,
    firstPrev: null,
    lastHash: null,
    checkpoints: [],
    recoveries: 0,
    error: null,
  };
  let offset = start;
  let leaves = leafHashes;
  while (offset < end) {
    const newline = bytes.indexOf(0x0a, offset);
    const fail = (problem: string) => {
      range.error = { index: range.count, offset, problem };
    };
    if (newline === -1 || newline >= end) {
      fail('incomplete last line (no newline): the log was cut mid-entry');
      break;
    }
    const decoded = decodeLine(bytes.subarray(offset, newline));
    if (typeof decoded === 'string') {
      fail(decoded);
      break;
    }
    if (range.firstSeq === null) {
      range.firstSeq = decoded.seq;
      range.firstPrev = decoded.prev;
    } else if (decoded.seq !== range.firstSeq + range.count) {
      fail(
        `seq is ${decoded.seq}, expected ${range.firstSeq + range.count}: entries were dropped, added or reordered`,
      );
      break;
    } else if (decoded.prev !== range.lastHash) {
      fail(`prev is ${decoded.prev}, but the entry before has hash ${range.lastHash}`);
      break;
    }
    if ((range.count + 1) * 32 > leaves.length) {
      const grown = Buffer.allocUnsafe(leaves.length * 2 + 32 * 1024);
      leaves.copy(grown);
      leaves = grown;
    }
    decoded.leafHash.copy(leaves, range.count * 32);
    if (decoded.kind === 'checkpoint')
      range.checkpoints.push({ index: range.count, body: decoded.body.toString('utf8') });
    else if (decoded.kind === 'recovery') range.recoveries++;
    range.lastHash = decoded.hash;
    range.count++;
    offset = newline + 1;
  }
  range.leafHashes = leaves.subarray(0, range.count * 32);
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
