// Export bundles: one file an auditor can take away and verify offline. The first line is a header
// naming the log and its verifier key; every further line is an entry exactly as stored. A cluster's
// bundle (entries read from PostgreSQL) also names every instance's verifier key in `vkeys`.

import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogSource } from './verify.js';

export const BUNDLE_FORMAT = 'carapace.audit-bundle/v1';

export interface BundleHeader {
  format: typeof BUNDLE_FORMAT;
  origin: string;
  /** The log's C2SP verifier key. An auditor should compare it with a key obtained out of band. */
  vkey: string;
  /** A cluster's log: the verifier keys of every instance that signs checkpoints (vkey is one of them). */
  vkeys?: string[];
  entries: number;
}

export class BundleError extends Error {
  readonly code = 'E_BUNDLE_MALFORMED';
}

/** Writes a bundle from the segment files of a log directory; returns the number of entries. */
export async function writeBundle(
  out: string,
  header: Omit<BundleHeader, 'format' | 'entries'>,
  segmentsDir: string,
  segments: readonly string[],
): Promise<number> {
  const contents = await Promise.all(segments.map((name) => readFile(join(segmentsDir, name))));
  let entries = 0;
  for (const bytes of contents)
    for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) entries++;
  const file = await open(out, 'wx', 0o600);
  try {
    const full: BundleHeader = { format: BUNDLE_FORMAT, ...header, entries };
    await file.write(`${JSON.stringify(full)}\n`);
    for (const bytes of contents) await file.write(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  return entries;
}

/** Writes a bundle of entry lines already read (a cluster's log); returns the number of entries. */
export async function writeBundleOfSources(
  out: string,
  header: Omit<BundleHeader, 'format' | 'entries'>,
  sources: readonly LogSource[],
): Promise<number> {
  let entries = 0;
  for (const { bytes, start } of sources)
    for (let i = bytes.indexOf(0x0a, start); i !== -1; i = bytes.indexOf(0x0a, i + 1)) entries++;
  const file = await open(out, 'wx', 0o600);
  try {
    const full: BundleHeader = { format: BUNDLE_FORMAT, ...header, entries };
    await file.write(`${JSON.stringify(full)}\n`);
    for (const { bytes, start } of sources) await file.write(bytes.subarray(start));
    await file.sync();
  } finally {
    await file.close();
  }
  return entries;
}

/** Reads a bundle: its header and the entry lines as one source for verifyLog. */
export async function readBundle(path: string): Promise<{ header: BundleHeader; source: LogSource }> {
  const bytes = await readFile(path);
  const newline = bytes.indexOf(0x0a);
  if (newline === -1) throw new BundleError(`${path}: no header line`);
  let header: BundleHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, newline)) as BundleHeader;
  } catch {
    throw new BundleError(`${path}: the header line is not JSON`);
  }
  if (
    header?.format !== BUNDLE_FORMAT ||
    typeof header.vkey !== 'string' ||
    typeof header.origin !== 'string' ||
    (header.vkeys !== undefined &&
      !(Array.isArray(header.vkeys) && header.vkeys.every((k) => typeof k === 'string')))
  )
    throw new BundleError(`${path}: not a ${BUNDLE_FORMAT} bundle`);
  return { header, source: { name: path, bytes, start: newline + 1 } };
}
