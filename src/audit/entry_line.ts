// Reading segment lines fast. A line is the canonical JSON of an entry, so it begins
// `{"hash":"sha256:<64 hex>",` and the bytes after that comma, behind a `{`, are exactly the canonical
// body that `hash` and the Merkle leaf cover: checking a line needs two hashes and no JSON parse.

import { hash as sha256 } from 'node:crypto';

const PREFIX = Buffer.from('{"hash":"sha256:', 'latin1');
const HASH_END = PREFIX.length + 64; // the closing quote of the hash
const BODY_START = HASH_END + 1; // the comma that becomes `{`
const TAIL = /,"prev":"(sha256:[0-9a-f]{64})","seq":(0|[1-9][0-9]{0,15}),"ts":"([^"\\]{1,64})"\}$/;
const KIND = /^\{"kind":"([a-z][a-z0-9_.-]{0,63})",/;

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

/**
 * Decodes and checks one line (without its newline). The buffer must be the caller's own: two bytes
 * of it are rewritten so that the body and the leaf input (0x00 ‖ body) are views, not copies.
 * Returns what is wrong as a string.
 */
export function decodeLine(line: Buffer): DecodedLine | string {
  if (line.length < BODY_START + 2 || !line.subarray(0, PREFIX.length).equals(PREFIX))
    return 'does not begin with {"hash":"sha256:…"';
  if (line[HASH_END] !== 0x22 || line[BODY_START] !== 0x2c) return 'malformed hash field';
  const recordedHex = line.toString('latin1', PREFIX.length, HASH_END);
  line[BODY_START] = 0x7b; // ',' → '{'
  const body = line.subarray(BODY_START);
  const actualHex = sha256('sha256', body, 'hex');
  if (actualHex !== recordedHex)
    return `hash is sha256:${recordedHex} but the entry hashes to sha256:${actualHex}`;
  const head = KIND.exec(body.toString('latin1', 0, Math.min(body.length, 80)));
  const tail = TAIL.exec(body.toString('latin1', Math.max(0, body.length - 200)));
  if (!head || !tail) return 'not an audit entry {seq, ts, kind, payload, prev, hash}';
  line[HASH_END] = 0x00; // '"' → the RFC 6962 leaf prefix, right before the body
  return {
    hash: `sha256:${recordedHex}`,
    seq: Number(tail[2]),
    prev: tail[1] as string,
    ts: tail[3] as string,
    kind: head[1] as string,
    body,
    leafHash: sha256('sha256', line.subarray(HASH_END), 'buffer'),
  };
}

/** The full entry of a decoded line (JSON-parses the body; use where the payload is needed). */
export function entryOfLine(decoded: DecodedLine): {
  seq: number;
  ts: string;
  kind: string;
  payload: unknown;
  prev: string;
  hash: string;
} {
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
