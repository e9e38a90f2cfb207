// The embedded audit store: append-only NDJSON segment files in <data>/audit/segments/. Appends are
// written in one write to a file opened O_DSYNC, so the write returns only once the data is durable
// (a write and fdatasync in one system call, one trip to the thread pool); a new segment file is made
// durable with an fsync of its directory. On open, a torn or corrupt tail is cut and reported.

import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { GENESIS_PREV, type SealedEntry } from './entry.js';
import { decodeLine, entryOfLine } from './entry_line.js';
import type { AuditStore, RecoveryReport } from './store.js';

export const SEGMENT_PATTERN = /^segment-(\d{20})\.ndjson$/;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Every write is durable (synchronized I/O data integrity) when it returns: no separate fdatasync. */
const APPEND_DURABLY = constants.O_WRONLY | constants.O_APPEND | constants.O_DSYNC;

export class AuditStoreError extends Error {
  constructor(
    readonly code: 'E_AUDIT_CORRUPT' | 'E_AUDIT_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'AuditStoreError';
  }
}

export function segmentName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(20, '0')}.ndjson`;
}

/** Segment file names in a directory, in log order. */
export async function listSegments(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => SEGMENT_PATTERN.test(n)).sort();
}

export class SegmentStore implements AuditStore {
  private file: fs.FileHandle | null = null;
  private fileBytes = 0;
  private nextSeq = 0;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly segmentBytes = DEFAULT_SEGMENT_BYTES,
  ) {}

  async open(onEntry: Parameters<AuditStore['open']>[0]): Promise<RecoveryReport | null> {
    // Opened again after close (the log reopens after a failed write): read everything afresh.
    await this.file?.close().catch(() => {});
    this.file = null;
    this.fileBytes = 0;
    this.nextSeq = 0;
    this.closed = false;
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const segments = await listSegments(this.dir);
    let prev = GENESIS_PREV;
    let recovery: RecoveryReport | null = null;

    for (const [i, name] of segments.entries()) {
      const path = join(this.dir, name);
      const bytes = await fs.readFile(path);
      const isLast = i === segments.length - 1;
      const firstSeq = Number(SEGMENT_PATTERN.exec(name)?.[1]);
      if (firstSeq !== this.nextSeq)
        throw new AuditStoreError(
          'E_AUDIT_CORRUPT',
          `${name}: starts at seq ${firstSeq}, expected ${this.nextSeq}`,
        );

      let offset = 0;
      while (offset < bytes.length) {
        const newline = bytes.indexOf(0x0a, offset);
        const end = newline === -1 ? bytes.length : newline;
        const accepted =
          newline === -1
            ? { problem: 'incomplete last line (no newline)' }
            : this.acceptLine(bytes, offset, end, prev, onEntry);
        if ('problem' in accepted) {
          const problem = accepted.problem;
          if (!isLast || hasValidLineAfter(bytes, end + 1))
            throw new AuditStoreError(
              'E_AUDIT_CORRUPT',
              `${name} at byte ${offset} (seq ${this.nextSeq}): ${problem}; entries follow it, so it is not a torn tail: run \`carapace audit verify\``,
            );
          recovery = {
            segment: name,
            offset,
            bytes_cut: bytes.length - offset,
            lines_cut: countLines(bytes, offset),
            reason: problem,
            next_seq: this.nextSeq,
          };
          await truncateDurably(path, offset);
          break;
        }
        prev = accepted.hash;
        offset = end + 1;
      }
      if (isLast) this.fileBytes = recovery ? recovery.offset : bytes.length;
    }

    const last = segments[segments.length - 1];
    if (last) this.file = await fs.open(join(this.dir, last), APPEND_DURABLY);
    return recovery;
  }

  /** Checks one line and hands it on; returns its hash (the next prev), or what is wrong. */
  private acceptLine(
    bytes: Buffer,
    start: number,
    end: number,
    prev: string,
    onEntry: Parameters<AuditStore['open']>[0],
  ): { hash: string } | { problem: string } {
    const decoded = decodeLine(Buffer.from(bytes.subarray(start, end)));
    if (typeof decoded === 'string') return { problem: decoded };
    if (decoded.seq !== this.nextSeq) return { problem: `seq is ${decoded.seq}, expected ${this.nextSeq}` };
    if (decoded.prev !== prev)
      return { problem: `prev is ${decoded.prev}, but entry ${this.nextSeq - 1} has hash ${prev}` };
    onEntry(entryOfLine(decoded), decoded.leafHash);
    this.nextSeq++;
    return { hash: decoded.hash };
  }

  async append(entries: readonly SealedEntry[]): Promise<void> {
    if (this.closed) throw new AuditStoreError('E_AUDIT_CLOSED', 'the audit store is closed');
    if (entries.length === 0) return;
    const first = entries[0] as SealedEntry;
    if (first.entry.seq !== this.nextSeq)
      throw new AuditStoreError(
        'E_AUDIT_CORRUPT',
        `append of seq ${first.entry.seq}, expected ${this.nextSeq}`,
      );
    if (this.file === null || this.fileBytes >= this.segmentBytes) await this.startSegment(first.entry.seq);
    const data = Buffer.from(entries.map((e) => `${e.line}\n`).join(''), 'utf8');
    const file = this.file as fs.FileHandle;
    let written = 0;
    while (written < data.length)
      written += (await file.write(data, written, data.length - written)).bytesWritten;
    this.fileBytes += data.length;
    this.nextSeq += entries.length;
  }

  private async startSegment(firstSeq: number): Promise<void> {
    await this.file?.close();
    this.file = await fs.open(
      join(this.dir, segmentName(firstSeq)),
      APPEND_DURABLY | constants.O_CREAT | constants.O_EXCL,
      0o600,
    );
    this.fileBytes = 0;
    await fsyncDirectory(this.dir);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.file?.close();
    this.file = null;
  }
}

function hasValidLineAfter(bytes: Buffer, from: number): boolean {
  let offset = from;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    if (newline === -1) return false;
    if (typeof decodeLine(Buffer.from(bytes.subarray(offset, newline))) !== 'string') return true;
    offset = newline + 1;
  }
  return false;
}

function countLines(bytes: Buffer, from: number): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a, from); i !== -1; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

async function truncateDurably(path: string, length: number): Promise<void> {
  const file = await fs.open(path, constants.O_WRONLY);
  try {
    await file.truncate(length);
    await file.sync();
  } finally {
    await file.close();
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
