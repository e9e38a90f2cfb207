// The witness itself (c2sp.org/tlog-witness add-checkpoint, without HTTP): for each log it trusts, it keeps
// durably the latest checkpoint it cosigned, and cosigns a new checkpoint only when it is signed by that
// log's key and proved consistent with that one. Check and persist happen under one lock, so two requests
// can never roll the recorded size back (the race the spec describes).

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseCheckpoint } from '../audit/checkpoint.js';
import { verifyConsistency } from '../audit/merkle.js';
import type { SigningKey } from '../crypto/ed25519_key.js';
import { decodeCanonicalBase64, openNote, type VerifierKey } from '../crypto/signed_note.js';
import { cosign } from './cosignature.js';

export type WitnessErrorCode =
  | 'E_WITNESS_MALFORMED'
  | 'E_WITNESS_UNKNOWN_LOG'
  | 'E_WITNESS_LOG_SIGNATURE'
  | 'E_WITNESS_OLD_SIZE'
  | 'E_WITNESS_CONFLICT'
  | 'E_WITNESS_PROOF'
  | 'E_WITNESS_STATE';

/** HTTP status per error, as tlog-witness prescribes (500 for a state that cannot be persisted). */
export const WITNESS_ERROR_STATUS: Record<WitnessErrorCode, number> = {
  E_WITNESS_MALFORMED: 400,
  E_WITNESS_OLD_SIZE: 400,
  E_WITNESS_LOG_SIGNATURE: 403,
  E_WITNESS_UNKNOWN_LOG: 404,
  E_WITNESS_CONFLICT: 409,
  E_WITNESS_PROOF: 422,
  E_WITNESS_STATE: 500,
};

export class WitnessError extends Error {
  constructor(
    readonly code: WitnessErrorCode,
    message: string,
    /** On a conflict: the size of the latest checkpoint the witness cosigned for the log. */
    readonly size?: number,
  ) {
    super(message);
    this.name = 'WitnessError';
  }
}

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  /** The signed checkpoint note. */
  note: string;
}

/** What the witness keeps per log origin. */
export interface WitnessedLog {
  /** `<name>+<hex key ID>` of the log key that signed the checkpoint. */
  logKey: string;
  size: number;
  /** Base64 root hash. */
  root: string;
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const MAX_PROOF_LINES = 63;
const MAX_BODY_BYTES = 64 * 1024;

/** Parses an add-checkpoint body: `old <n>`, up to 63 base64 hashes, an empty line, the checkpoint note. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  if (body.length > MAX_BODY_BYTES) throw new WitnessError('E_WITNESS_MALFORMED', 'request body too large');
  const lines: string[] = [];
  let cursor = 0;
  for (;;) {
    const end = body.indexOf('\n', cursor);
    if (end < 0)
      throw new WitnessError('E_WITNESS_MALFORMED', 'expected an empty line before the checkpoint');
    const line = body.slice(cursor, end);
    cursor = end + 1;
    if (line === '') break;
    lines.push(line);
  }
  const [oldLine, ...proofLines] = lines;
  if (oldLine === undefined || !oldLine.startsWith('old ') || !DECIMAL.test(oldLine.slice(4)))
    throw new WitnessError('E_WITNESS_MALFORMED', "the first line must be 'old <size>' (decimal)");
  const oldSize = Number(oldLine.slice(4));
  if (!Number.isSafeInteger(oldSize)) throw new WitnessError('E_WITNESS_MALFORMED', 'old size beyond 2^53-1');
  if (proofLines.length > MAX_PROOF_LINES)
    throw new WitnessError('E_WITNESS_MALFORMED', `more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = proofLines.map((line, i) => {
    const hash = decodeCanonicalBase64(line);
    if (hash === null || hash.length !== 32)
      throw new WitnessError('E_WITNESS_MALFORMED', `proof line ${i + 1} is not a base64 SHA-256 hash`);
    return hash;
  });
  return { oldSize, proof, note: body.slice(cursor) };
}

export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  return [`old ${request.oldSize}`, ...request.proof.map((h) => h.toString('base64')), '', request.note].join(
    '\n',
  );
}

export interface WitnessOptions {
  /** Where the state file lives (created 0700 if missing). */
  dataDir: string;
  key: SigningKey;
  /** The log keys it trusts; a log's origin is its key's name. */
  logKeys: readonly VerifierKey[];
  clock?: () => Date;
}

export class Witness {
  private readonly state: Map<string, WitnessedLog>;
  private readonly statePath: string;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: WitnessOptions) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    this.statePath = join(options.dataDir, 'witness-state.json');
    this.state = readState(this.statePath);
  }

  get name(): string {
    return this.options.key.name;
  }

  /** The latest checkpoint cosigned for `origin`, if any. */
  latest(origin: string): WitnessedLog | undefined {
    return this.state.get(origin);
  }

  /** Verifies and cosigns; resolves with the cosignature line(s), each ending in a newline. */
  addCheckpoint(request: AddCheckpointRequest): Promise<string> {
    const run = this.lock.then(() => this.addLocked(request));
    this.lock = run.catch(() => {});
    return run;
  }

  private addLocked({ oldSize, proof, note }: AddCheckpointRequest): string {
    const split = note.lastIndexOf('\n\n');
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(split < 0 ? note : note.slice(0, split + 1));
    } catch (e) {
      throw new WitnessError('E_WITNESS_MALFORMED', `not a checkpoint: ${(e as Error).message}`);
    }
    const trusted = this.options.logKeys.filter((k) => k.name === checkpoint.origin);
    if (trusted.length === 0)
      throw new WitnessError(
        'E_WITNESS_UNKNOWN_LOG',
        `no trusted log key for origin ${JSON.stringify(checkpoint.origin)}`,
      );
    let logKey: VerifierKey | undefined;
    try {
      const opened = openNote(note, trusted);
      const signer = opened.signatures.find((s) => s.verified);
      logKey = trusted.find((k) => k.keyId === signer?.keyId);
    } catch (e) {
      throw new WitnessError(
        'E_WITNESS_LOG_SIGNATURE',
        `the log's signature does not verify: ${(e as Error).message}`,
      );
    }
    if (logKey === undefined)
      throw new WitnessError('E_WITNESS_LOG_SIGNATURE', 'no signature by a trusted log key');
    if (oldSize > checkpoint.size)
      throw new WitnessError(
        'E_WITNESS_OLD_SIZE',
        `old size ${oldSize} is larger than the checkpoint size ${checkpoint.size}`,
      );
    const previous = this.state.get(checkpoint.origin);
    const knownSize = previous?.size ?? 0;
    if (oldSize !== knownSize)
      throw new WitnessError(
        'E_WITNESS_CONFLICT',
        `old size ${oldSize} is not the size ${knownSize} this witness last cosigned for ${checkpoint.origin}`,
        knownSize,
      );
    const root = checkpoint.rootHash.toString('base64');
    if (previous === undefined || oldSize === 0) {
      if (proof.length !== 0)
        throw new WitnessError(
          'E_WITNESS_PROOF',
          'the consistency proof must be empty when the old size is 0',
        );
    } else if (oldSize === checkpoint.size) {
      if (root !== previous.root || proof.length !== 0)
        throw new WitnessError(
          'E_WITNESS_CONFLICT',
          `a different root for size ${oldSize} than the one this witness cosigned: the log forked`,
          knownSize,
        );
    } else {
      try {
        verifyConsistency(
          oldSize,
          checkpoint.size,
          proof,
          Buffer.from(previous.root, 'base64'),
          checkpoint.rootHash,
        );
      } catch (e) {
        throw new WitnessError(
          'E_WITNESS_PROOF',
          `the consistency proof does not verify: ${(e as Error).message}`,
        );
      }
    }
    const entry: WitnessedLog = {
      logKey: `${logKey.name}+${logKey.keyId.toString(16).padStart(8, '0')}`,
      size: checkpoint.size,
      root,
    };
    const next = new Map(this.state);
    next.set(checkpoint.origin, entry);
    writeState(this.statePath, next); // durable before the answer
    this.state.set(checkpoint.origin, entry);
    const time = Math.floor((this.options.clock?.() ?? new Date()).getTime() / 1000);
    return `${cosign(note.slice(0, split + 1), this.options.key, time)}\n`;
  }
}

function readState(path: string): Map<string, WitnessedLog> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new WitnessError('E_WITNESS_STATE', `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as { logs: Record<string, WitnessedLog> };
    return new Map(Object.entries(parsed.logs));
  } catch (e) {
    throw new WitnessError('E_WITNESS_STATE', `${path} is not a witness state file: ${(e as Error).message}`);
  }
}

/** Write to a temporary file, fsync, rename over, fsync the directory. */
function writeState(path: string, state: Map<string, WitnessedLog>): void {
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ logs: Object.fromEntries(state) }, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    const dir = openSync(join(path, '..'), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (e) {
    throw new WitnessError('E_WITNESS_STATE', `cannot persist the witness state: ${(e as Error).message}`);
  }
}
