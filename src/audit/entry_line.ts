// Reading segment lines fast. A line is the canonical JSON of an entry, so it begins
// `{"hash":"sha256:<64 hex>",` and the bytes after that comma, behind a `{`, are exactly the canonical
// body that `hash` and the Merkle leaf cover; the body ends `"prev":"sha256:<hex>","seq":N,"ts":"…"}`
// because those keys sort last. Checking a line needs two hashes, byte comparisons, and no JSON parse.

import { hash as sha256 } from 'node:crypto';
import type { AuditEntry } from './entry.js';

const PREFIX = Buffer.from('{"hash":"sha256:', 'latin1');
const HASH_START = PREFIX.length;
const HASH_END = HASH_START + 64; // the closing quote of the hash
const BODY_START = HASH_END + 1; // the comma that becomes `{`
const KIND_KEY = Buffer.from('"kind":"', 'latin1');
const TS_KEY = Buffer.from(',"ts":"', 'latin1');
const SEQ_KEY = Buffer.from('","seq":', 'latin1');
const PREV_KEY = Buffer.from(',"prev":"sha256:', 'latin1');
const CHECKPOINT_KIND = Buffer.from('checkpoint', 'latin1');
const RECOVERY_KIND = Buffer.from('recovery', 'latin1');

/** Where the fields of a checked line are, as offsets into the buffer given to locateLine. */
export interface LineLayout {
  /** Start of the 64 hex digits of `hash`. */
  hashHex: number;
  /** Start of the 64 hex digits of `prev`. */
  prevHex: number;
  seq: number;
  kindStart: number;
  kindEnd: number;
  tsStart: number;
  tsEnd: number;
  /** The body [bodyStart, end), once locateLine has rewritten its first byte to `{`. */
  bodyStart: number;
  /** The entry's kind is `checkpoint` / `recovery`. */
  isCheckpoint: boolean;
  isRecovery: boolean;
  /** SHA-256(0x00 ‖ body). */
  leafHash: Buffer;
}

const scratch = Buffer.alloc(64);

/**
 * Checks the line bytes[start, end) (no newline) and returns where its fields are, or what is wrong.
 * Two bytes of the line are rewritten, so that the body and the leaf input (0x00 ‖ body) are views of
 * the buffer rather than copies: the bytes are consumed.
 */
export function locateLine(bytes: Buffer, start: number, end: number): LineLayout | string {
  const s = start;
  if (end - s < BODY_START + 60 || !sameBytes(bytes, s, PREFIX, 0, PREFIX.length))
    return 'does not begin with {"hash":"sha256:…"';
  if (bytes[s + HASH_END] !== 0x22 || bytes[s + BODY_START] !== 0x2c) return 'malformed hash field';

  // Tail, from the end: ,"prev":"sha256:<64 hex>","seq":<digits>,"ts":"<ts>"}
  if (bytes[end - 1] !== 0x7d || bytes[end - 2] !== 0x22) return 'not an audit entry (no "ts" at the end)';
  let q = end - 3;
  while (q > s + BODY_START && bytes[q] !== 0x22) {
    if (bytes[q] === 0x5c) return 'not an audit entry (escaped "ts")';
    q--;
  }
  const tsStart = q + 1;
  if (end - 2 - tsStart < 1 || end - 2 - tsStart > 64 || !sameBytes(bytes, q - 6, TS_KEY, 0, 7))
    return 'not an audit entry (bad "ts")';
  let d = q - 7;
  while (d > s && (bytes[d] as number) >= 0x30 && (bytes[d] as number) <= 0x39) d--;
  const digitsStart = d + 1;
  const digits = q - 6 - digitsStart;
  if (digits < 1 || digits > 16 || (digits > 1 && bytes[digitsStart] === 0x30))
    return 'not an audit entry (bad "seq")';
  let seq = 0;
  for (let i = digitsStart; i < q - 6; i++) seq = seq * 10 + ((bytes[i] as number) - 0x30);
  const prevHex = digitsStart - SEQ_KEY.length - 64;
  if (
    !sameBytes(bytes, digitsStart - SEQ_KEY.length, SEQ_KEY, 0, SEQ_KEY.length) ||
    !sameBytes(bytes, prevHex - PREV_KEY.length, PREV_KEY, 0, PREV_KEY.length) ||
    !isLowerHex(bytes, prevHex, prevHex + 64)
  )
    return 'not an audit entry (bad "prev")';

  // Head: {"kind":"<kind>",
  const kindStart = s + BODY_START + 1 + KIND_KEY.length;
  if (!sameBytes(bytes, kindStart - KIND_KEY.length, KIND_KEY, 0, KIND_KEY.length))
    return 'not an audit entry (no "kind" first)';
  let k = kindStart;
  while (k < kindStart + 64 && isKindByte(bytes[k] as number, k === kindStart)) k++;
  if (k === kindStart || bytes[k] !== 0x22 || bytes[k + 1] !== 0x2c) return 'not an audit entry (bad "kind")';

  // The hash covers the body: `{` + everything after the comma.
  bytes[s + BODY_START] = 0x7b;
  const body = bytes.subarray(s + BODY_START, end);
  scratch.write(sha256('sha256', body, 'hex'), 'latin1');
  if (!sameBytes(bytes, s + HASH_START, scratch, 0, 64))
    return `hash is sha256:${bytes.toString('latin1', s + HASH_START, s + HASH_END)} but the entry hashes to sha256:${scratch.toString('latin1')}`;
  bytes[s + HASH_END] = 0x00; // '"' → the RFC 6962 leaf prefix, right before the body
  return {
    hashHex: s + HASH_START,
    prevHex,
    seq,
    kindStart,
    kindEnd: k,
    tsStart,
    tsEnd: end - 2,
    bodyStart: s + BODY_START,
    isCheckpoint:
      k - kindStart === CHECKPOINT_KIND.length && sameBytes(bytes, kindStart, CHECKPOINT_KIND, 0, 10),
    isRecovery: k - kindStart === RECOVERY_KIND.length && sameBytes(bytes, kindStart, RECOVERY_KIND, 0, 8),
    leafHash: sha256('sha256', bytes.subarray(s + HASH_END, end), 'buffer'),
  };
}

/** a[aStart, aStart+n) equals b[bStart, bStart+n). A JS loop: cheaper than a native call for short runs. */
export function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, n: number): boolean {
  if (aStart < 0 || bStart < 0 || aStart + n > a.length || bStart + n > b.length) return false;
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

function isLowerHex(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = bytes[i] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function isKindByte(c: number, first: boolean): boolean {
  if (c >= 0x61 && c <= 0x7a) return true;
  if (first) return false;
  return (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d;
}

export interface DecodedLine {
  hash: string;
  seq: number;
  prev: string;
  ts: string;
  kind: string;
  /** The canonical body bytes (a view into the line buffer, which decodeLine changes). */
  body: Buffer;
  leafHash: Buffer;
}

/** locateLine for one line in its own buffer, with the fields as strings. Consumes the buffer. */
export function decodeLine(line: Buffer): DecodedLine | string {
  const at = locateLine(line, 0, line.length);
  if (typeof at === 'string') return at;
  return {
    hash: `sha256:${line.toString('latin1', at.hashHex, at.hashHex + 64)}`,
    seq: at.seq,
    prev: `sha256:${line.toString('latin1', at.prevHex, at.prevHex + 64)}`,
    ts: line.toString('utf8', at.tsStart, at.tsEnd),
    kind: line.toString('latin1', at.kindStart, at.kindEnd),
    body: line.subarray(at.bodyStart),
    leafHash: at.leafHash,
  };
}

/** The full entry of a decoded line (JSON-parses the body; use where the payload is needed). */
export function entryOfLine(decoded: DecodedLine): AuditEntry {
  const body = JSON.parse(decoded.body.toString('utf8')) as { payload: unknown };
  return {
    seq: decoded.seq,
    ts: decoded.ts,
    kind: decoded.kind,
    payload: body.payload,
    prev: decoded.prev,
    hash: decoded.hash,
  };
}
