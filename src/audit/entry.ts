// Audit entries and the hash chain (DESIGN.md §6). An entry's canonical bytes are the RFC 8785 JSON of
// {seq, ts, kind, payload, prev}; its `hash` is SHA-256 of those bytes and its Merkle leaf hash is
// SHA-256(0x00 ‖ those bytes), so the chain and the tree commit to exactly the same thing.

import { hash as sha256 } from 'node:crypto';
import { canonicalJson, toCanonicalJson } from '../engine/canonical_json.js';
import { hashLeaf } from './merkle.js';

export interface AuditEntry {
  seq: number;
  /** ISO 8601 UTC time the log assigned. */
  ts: string;
  kind: string;
  payload: unknown;
  /** `hash` of the previous entry; GENESIS_PREV for seq 0. */
  prev: string;
  /** `sha256:` + hex SHA-256 of the canonical entry without `hash`. */
  hash: string;
}

export const GENESIS_PREV = `sha256:${'0'.repeat(64)}`;
/** Bounds an entry, so one event cannot grow the log without limit. */
export const MAX_ENTRY_CHARS = 1024 * 1024;
const KIND = /^[a-z][a-z0-9_.-]{0,63}$/;

export class AuditEntryError extends Error {
  constructor(
    readonly code: 'E_AUDIT_ENTRY_INVALID' | 'E_INPUT_TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'AuditEntryError';
  }
}

export interface SealedEntry {
  entry: AuditEntry;
  /** The canonical JSON of the whole entry (with `hash`): one line of a segment file. */
  line: string;
  leafHash: Buffer;
}

/** Builds entry `seq` after `prev`; throws AuditEntryError for a payload that is not bounded JSON. */
export function sealEntry(
  seq: number,
  ts: string,
  kind: string,
  payload: unknown,
  prev: string,
): SealedEntry {
  if (!KIND.test(kind))
    throw new AuditEntryError('E_AUDIT_ENTRY_INVALID', `kind ${JSON.stringify(kind)} is not a valid kind`);
  const body = toCanonicalJson({ seq, ts, kind, payload, prev }, 64, MAX_ENTRY_CHARS);
  if (!body.ok)
    throw new AuditEntryError(
      body.reason.includes('larger than') ? 'E_INPUT_TOO_LARGE' : 'E_AUDIT_ENTRY_INVALID',
      `payload${body.path.replace(/^\.payload/, '')}: ${body.reason}`,
    );
  const bytes = Buffer.from(body.json, 'utf8');
  const hash = `sha256:${sha256('sha256', bytes, 'hex')}`;
  const entry: AuditEntry = {
    seq,
    ts,
    kind,
    payload: (body.value as { payload: unknown }).payload,
    prev,
    hash,
  };
  // "hash" sorts before every other key, so the canonical line is the body with it spliced in front.
  return { entry, line: `{"hash":"${hash}",${body.json.slice(1)}`, leafHash: hashLeaf(bytes) };
}

/** Canonical bytes of an entry without its `hash`: what `hash` and the Merkle leaf are computed over. */
export function entryBody(entry: AuditEntry): Buffer {
  const { hash: _hash, ...body } = entry;
  return Buffer.from(canonicalJson(body), 'utf8');
}

/** Recomputes `hash` of an entry read back; null when it matches, else what is wrong. */
export function checkEntryHash(entry: AuditEntry): string | null {
  const expected = `sha256:${sha256('sha256', entryBody(entry), 'hex')}`;
  return expected === entry.hash ? null : `hash is ${entry.hash} but the entry hashes to ${expected}`;
}
