// Shared by the audit tests: a fresh data directory, a log filled with entries, and its stored bytes.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_ORIGIN,
  findKeyFiles,
  openDataDirLog,
  readDataDirLog,
  segmentsDir,
} from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import { verifyLog, type VerifyResult } from '../../src/audit/verify.js';
import type { VerifierKey } from '../../src/crypto/signed_note.js';

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'carapace-audit-'));
}

/** A closed log of `n` payload entries (plus the checkpoints the log adds), in a fresh data directory. */
export async function filledLog(
  n: number,
  checkpointEvery = 10,
): Promise<{ dataDir: string; vkey: VerifierKey }> {
  const dataDir = tempDataDir();
  const { log } = await openDataDirLog(dataDir, { checkpointEvery, checkpointIntervalMs: 60_000 });
  // One at a time: concurrent appends would be group-committed into a single batch and checkpoint.
  for (let i = 0; i < n; i++) await log.append('test.event', { i, text: `event number ${i}` });
  await log.close();
  const found = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  if (!found) throw new Error('no key written');
  return { dataDir, vkey: found.vkey };
}

/** The single segment file of a small log, as text lines (without the final empty string). */
export async function segmentPath(dataDir: string): Promise<string> {
  const [first] = await listSegments(segmentsDir(dataDir));
  if (!first) throw new Error('no segment');
  return join(segmentsDir(dataDir), first);
}

export function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

export function writeLines(path: string, lines: readonly string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
}

export async function verifyDataDir(dataDir: string, vkey: VerifierKey): Promise<VerifyResult> {
  const { sources } = await readDataDirLog(dataDir);
  return verifyLog(sources, { key: vkey });
}
