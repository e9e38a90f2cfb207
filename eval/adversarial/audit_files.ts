// Reading a stopped gateway's audit log the way an auditor does: the segment files of its data
// directory, verified offline with a public key the auditor already holds (src/audit/verify.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/audit/checkpoint.js';
import { readDataDirLog, segmentsDir } from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import { type VerifyResult, verifyLog } from '../../src/audit/verify.js';
import type { VerifierKey } from '../../src/crypto/signed_note.js';

export interface LogEntry {
  seq: number;
  ts: string;
  kind: string;
  payload: Record<string, unknown>;
  prev: string;
  hash: string;
}

/** The segment files of a data directory, oldest first. */
export async function segmentPaths(dataDir: string): Promise<string[]> {
  const dir = segmentsDir(dataDir);
  return (await listSegments(dir)).map((name) => join(dir, name));
}

/** Every line of the log as text (for "does this value appear anywhere in the log"). */
export async function logText(dataDir: string): Promise<string> {
  return (await segmentPaths(dataDir)).map((p) => readFileSync(p, 'utf8')).join('');
}

export async function logEntries(dataDir: string): Promise<LogEntry[]> {
  return (await logText(dataDir))
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LogEntry);
}

/** Rewrites the (single) segment of a stopped gateway's log with `lines`. */
export async function writeLogLines(dataDir: string, lines: readonly string[]): Promise<void> {
  const [path, ...more] = await segmentPaths(dataDir);
  if (!path || more.length > 0) throw new Error('expected exactly one audit segment');
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
}

/** The log's own verifier key, read before any tampering: the key the auditor trusts. */
export async function logKey(dataDir: string): Promise<VerifierKey> {
  const { vkey } = await readDataDirLog(dataDir);
  if (!vkey) throw new Error(`no audit key in ${dataDir}`);
  return vkey;
}

/** `carapace audit verify` as a function: the whole log, optionally against a checkpoint seen before. */
export async function verifyAudit(
  dataDir: string,
  key: VerifierKey,
  knownCheckpointNote?: string,
): Promise<VerifyResult> {
  const { sources } = await readDataDirLog(dataDir);
  const known = knownCheckpointNote ? openCheckpoint(knownCheckpointNote, key) : undefined;
  return verifyLog(sources, { key, ...(known ? { knownCheckpoint: known } : {}) });
}

/** One line of a verifier's answer, as `carapace audit verify` prints it. */
export function describeVerify(result: VerifyResult): string {
  return result.ok
    ? `OK: ${result.entries} entries, ${result.checkpoints} checkpoint${result.checkpoints === 1 ? '' : 's'} (latest covers ${result.covered})`
    : `FAIL at seq ${result.seq}: ${result.problem}`;
}
