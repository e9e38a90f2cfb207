// The C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint): the signed tree head of the audit log,
// a signed note whose text is `<origin>\n<size>\n<base64 root>\n[extension lines]`.

import type { SigningKey } from '../crypto/ed25519_key.js';
import {
  decodeCanonicalBase64,
  describeInvalidNoteText,
  openNote,
  signNote,
  type VerifierKey,
} from '../crypto/signed_note.js';

export type CheckpointErrorCode = 'E_CHECKPOINT_MALFORMED' | 'E_CHECKPOINT_ORIGIN';

export class CheckpointError extends Error {
  /** 1-based line of the checkpoint text where the problem is, when there is one. */
  readonly line: number | undefined;

  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'CheckpointError';
    this.line = line;
  }
}

export interface Checkpoint {
  /** The log's identity; our logs sign with a key of the same name. */
  origin: string;
  /** Number of leaves in the tree. */
  size: number;
  /** RFC 6962 Merkle tree hash of the first `size` leaves (32 bytes). */
  rootHash: Buffer;
  /** Opaque, non-empty lines after the root hash (discouraged by the spec; usually none). */
  extensions: string[];
}

export type CheckpointFields = Omit<Checkpoint, 'extensions'> & { extensions?: readonly string[] };

const ROOT_HASH_BYTES = 32;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** The checkpoint's note text. Requires a non-empty one-line origin, 0 <= size <= 2^53-1 and a 32-byte root. */
export function formatCheckpoint(checkpoint: CheckpointFields): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (origin.includes('\n'))
    throw new CheckpointError('E_CHECKPOINT_MALFORMED', 'origin must be a single line');
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CheckpointError('E_CHECKPOINT_MALFORMED', `tree size ${size} is not an integer in 0..2^53-1`);
  }
  if (rootHash.length !== ROOT_HASH_BYTES) {
    throw new CheckpointError('E_CHECKPOINT_MALFORMED', `root hash is ${rootHash.length} bytes, not 32`);
  }
  extensions.forEach((line, i) => {
    if (line.length === 0 || line.includes('\n')) {
      throw new CheckpointError(
        'E_CHECKPOINT_MALFORMED',
        `extension line ${i + 1} must be one non-empty line`,
      );
    }
  });
  const text = [origin, String(size), rootHash.toString('base64'), ...extensions].join('\n') + '\n';
  parseCheckpoint(text); // the same rules on the way out as on the way in
  return text;
}

/**
 * Parses checkpoint note text strictly: non-empty origin, decimal size without leading zeros (at
 * most 2^53-1), canonical base64 of a 32-byte root, then optional non-empty extension lines.
 */
export function parseCheckpoint(text: string): Checkpoint {
  const problem = describeInvalidNoteText(text);
  if (problem !== undefined) throw new CheckpointError('E_CHECKPOINT_MALFORMED', problem);
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    throw new CheckpointError(
      'E_CHECKPOINT_MALFORMED',
      `a checkpoint has at least 3 lines (origin, size, root hash), not ${lines.length}`,
    );
  }
  if (origin.length === 0) throw new CheckpointError('E_CHECKPOINT_MALFORMED', 'origin is empty', 1);
  if (!DECIMAL.test(sizeText)) {
    throw new CheckpointError(
      'E_CHECKPOINT_MALFORMED',
      `tree size ${JSON.stringify(sizeText)} is not a decimal number without leading zeros`,
      2,
    );
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) {
    throw new CheckpointError('E_CHECKPOINT_MALFORMED', `tree size ${sizeText} is larger than 2^53-1`, 2);
  }
  const rootHash = decodeCanonicalBase64(rootText);
  if (rootHash === null)
    throw new CheckpointError('E_CHECKPOINT_MALFORMED', 'root hash is not canonical base64', 3);
  if (rootHash.length !== ROOT_HASH_BYTES) {
    throw new CheckpointError('E_CHECKPOINT_MALFORMED', `root hash is ${rootHash.length} bytes, not 32`, 3);
  }
  extensions.forEach((line, i) => {
    if (line.length === 0)
      throw new CheckpointError('E_CHECKPOINT_MALFORMED', 'extension lines must be non-empty', 4 + i);
  });
  return { origin, size, rootHash, extensions };
}

/** Signs a checkpoint as a note. Requires key.name === checkpoint.origin, as the spec recommends. */
export function signCheckpoint(checkpoint: CheckpointFields, key: SigningKey): string {
  if (key.name !== checkpoint.origin) {
    throw new CheckpointError(
      'E_CHECKPOINT_ORIGIN',
      `key ${JSON.stringify(key.name)} may not sign checkpoints of origin ${JSON.stringify(checkpoint.origin)}`,
    );
  }
  return signNote(formatCheckpoint(checkpoint), [key]);
}

/**
 * Opens a signed checkpoint: the note must carry a valid signature by `verifier` (NoteError
 * otherwise), its text must be a checkpoint, and its origin must be `expectedOrigin`, which
 * defaults to the verifier's key name.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifier: VerifierKey,
  expectedOrigin: string = verifier.name,
): Checkpoint & { note: string } {
  const opened = openNote(note, [verifier]);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== expectedOrigin) {
    throw new CheckpointError(
      'E_CHECKPOINT_ORIGIN',
      `origin ${JSON.stringify(checkpoint.origin)} is not the expected ${JSON.stringify(expectedOrigin)}`,
      1,
    );
  }
  const noteText = typeof note === 'string' ? note : Buffer.from(note).toString('utf8');
  return { ...checkpoint, note: noteText };
}
