// The c2sp.org/tlog-proof@v1 text format: an entry's index, its inclusion proof and the signed
// checkpoint it is proved against, in one offline-verifiable file (`.tlog-proof`). Text only;
// the Merkle check is verifyInclusion's job and the signature check openCheckpoint's.

import { decodeCanonicalBase64, describeInvalidNoteText } from '../crypto/signed_note.js';

export class TlogProofError extends Error {
  readonly code = 'E_TLOG_PROOF_MALFORMED';
  /** 1-based line of the proof text where the problem is, when there is one. */
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'TlogProofError';
    this.line = line;
  }
}

export interface TlogProof {
  /** Opaque, unauthenticated application data; null when the proof has none. */
  extra: Buffer | null;
  /** Zero-based index of the entry in the log. */
  index: number;
  /** SHA-256 hashes from the leaf's sibling up to the root's child (RFC 6962 §2.1.1). */
  proof: Buffer[];
  /** The log's signed checkpoint note, verbatim. */
  checkpointNote: string;
}

export type TlogProofFields = Omit<TlogProof, 'extra'> & { extra?: Buffer | null };

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

/** No tree of at most 2^64 leaves has a longer inclusion proof. */
const MAX_PROOF_HASHES = 64;
const HASH_BYTES = 32;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** The proof's text. Requires 0 <= index <= 2^53-1, 32-byte hashes, non-empty extra when present. */
export function formatTlogProof(proof: TlogProofFields): string {
  const { extra, index, checkpointNote } = proof;
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TlogProofError(`index ${index} is not an integer in 0..2^53-1`);
  }
  if (extra != null && extra.length === 0) {
    throw new TlogProofError('extra data is empty; omit it (null) instead');
  }
  if (proof.proof.length > MAX_PROOF_HASHES) {
    throw new TlogProofError(`${proof.proof.length} proof hashes (at most ${MAX_PROOF_HASHES})`);
  }
  proof.proof.forEach((hash, i) => {
    if (hash.length !== HASH_BYTES)
      throw new TlogProofError(`proof hash ${i} is ${hash.length} bytes, not 32`);
  });
  checkCheckpointNote(checkpointNote);
  const lines = [
    TLOG_PROOF_HEADER,
    ...(extra == null ? [] : [`extra ${extra.toString('base64')}`]),
    `index ${index}`,
    ...proof.proof.map((hash) => hash.toString('base64')),
  ];
  return `${lines.join('\n')}\n\n${checkpointNote}`;
}

/**
 * Parses a tlog-proof strictly: the header line, an optional `extra <base64>` line, `index <n>`
 * (decimal, no leading zeros), up to 64 canonical base64 SHA-256 hashes, an empty line, then the
 * checkpoint note (not verified here).
 */
export function parseTlogProof(text: string): TlogProof {
  let cursor = 0;
  let lineNumber = 0;
  const nextLine = (what: string): string => {
    const end = text.indexOf('\n', cursor);
    lineNumber++;
    if (end < 0) throw new TlogProofError(`expected ${what}, found the end of the text`, lineNumber);
    const line = text.slice(cursor, end);
    cursor = end + 1;
    return line;
  };

  if (nextLine(`the header ${TLOG_PROOF_HEADER}`) !== TLOG_PROOF_HEADER) {
    throw new TlogProofError(`the first line must be ${TLOG_PROOF_HEADER}`, 1);
  }
  let line = nextLine("'extra <base64>' or 'index <n>'");
  let extra: Buffer | null = null;
  if (line.startsWith('extra ')) {
    extra = decodeCanonicalBase64(line.slice('extra '.length));
    if (extra === null || extra.length === 0) {
      throw new TlogProofError('extra data must be non-empty canonical base64', lineNumber);
    }
    line = nextLine("'index <n>'");
  }
  if (!line.startsWith('index ') || !DECIMAL.test(line.slice('index '.length))) {
    throw new TlogProofError("expected 'index <n>' (decimal, no leading zeros)", lineNumber);
  }
  const index = Number(line.slice('index '.length));
  if (!Number.isSafeInteger(index)) throw new TlogProofError('index is larger than 2^53-1', lineNumber);

  const hashes: Buffer[] = [];
  for (;;) {
    line = nextLine('a proof hash or the empty line before the checkpoint');
    if (line === '') break;
    if (hashes.length === MAX_PROOF_HASHES) {
      throw new TlogProofError(`more than ${MAX_PROOF_HASHES} proof hashes`, lineNumber);
    }
    const hash = decodeCanonicalBase64(line);
    if (hash === null) throw new TlogProofError('proof hash is not canonical base64', lineNumber);
    if (hash.length !== HASH_BYTES) {
      throw new TlogProofError(`proof hash is ${hash.length} bytes, not 32`, lineNumber);
    }
    hashes.push(hash);
  }
  const checkpointNote = text.slice(cursor);
  checkCheckpointNote(checkpointNote, lineNumber + 1);
  return { extra, index, proof: hashes, checkpointNote };
}

/** Shape only: a non-empty note (text, empty line, signatures) made of valid note characters. */
function checkCheckpointNote(note: string, firstLine = 1): void {
  if (note.length === 0) throw new TlogProofError('the checkpoint note is missing', firstLine);
  const problem = describeInvalidNoteText(note);
  if (problem !== undefined)
    throw new TlogProofError(`in the checkpoint note that starts here: ${problem}`, firstLine);
  if (!note.includes('\n\n')) {
    throw new TlogProofError('checkpoint note has no empty line before its signatures', firstLine);
  }
}
