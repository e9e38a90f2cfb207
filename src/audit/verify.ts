// The offline verifier: walks every entry of a log (segment files or an export bundle) and checks the
// hash chain, rebuilds the RFC 6962 tree, checks every checkpoint's signature and root, and the
// consistency of each checkpoint with the one before. It names the first bad entry and what is wrong.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { VerifierKey } from '../crypto/signed_note.js';
import { openCheckpoint } from './checkpoint.js';
import { GENESIS_PREV } from './entry.js';
import type { CheckpointPayload } from './log.js';
import { MerkleTree, verifyConsistency } from './merkle.js';
import { type ScannedRange, scanLines, splitLineAligned } from './scan_lines.js';

/** Where bytes come from: a segment file or a bundle, with the byte offset its entries start at. */
export interface LogSource {
  name: string;
  bytes: Buffer;
  start: number;
}

export interface VerifySummary {
  entries: number;
  checkpoints: number;
  recoveries: number;
  /** Size the last valid checkpoint covers. */
  covered: number;
  /** Hex root of the whole log as rebuilt. */
  root: string;
  /** Entries after the last checkpoint entry (not yet signed over). */
  uncovered: number;
}

export type VerifyResult =
  | ({ ok: true } & VerifySummary)
  | ({ ok: false; seq: number; where: string; problem: string } & VerifySummary);

export interface VerifyOptions {
  key: VerifierKey;
  /** Verify that the log still contains this previously seen checkpoint (it was not cut or forked). */
  knownCheckpoint?: { size: number; rootHash: Buffer };
}

/** Verifies a whole log in this thread. It decodes lines in place, so the sources' bytes are consumed. */
export function verifyLog(sources: readonly LogSource[], options: VerifyOptions): VerifyResult {
  return combineRanges(
    sources.map((source) => ({
      source,
      base: 0,
      range: scanLines(source.bytes, source.start, source.bytes.length),
    })),
    options,
  );
}

/** Below this many bytes a source is scanned in this thread: starting workers would cost more. */
const PARALLEL_BYTES = 8 * 1024 * 1024;

/**
 * verifyLog with the per-line work (two SHA-256 per entry) spread over worker threads; the chain links
 * between ranges, the tree and the checkpoints are then checked here, in order.
 */
export async function verifyLogParallel(
  sources: readonly LogSource[],
  options: VerifyOptions,
  { threads = availableParallelism(), minBytes = PARALLEL_BYTES } = {},
): Promise<VerifyResult> {
  const jobs: Promise<ScannedSource>[] = [];
  for (const source of sources) {
    if (threads < 2 || source.bytes.length - source.start < minBytes) {
      jobs.push(
        Promise.resolve({
          source,
          base: 0,
          range: scanLines(source.bytes, source.start, source.bytes.length),
        }),
      );
      continue;
    }
    for (const [from, to] of splitLineAligned(source.bytes, source.start, threads))
      jobs.push(
        scanInWorker(source.bytes.subarray(from, to)).then((range) => ({ source, base: from, range })),
      );
  }
  return combineRanges(await Promise.all(jobs), options);
}

interface ScannedSource {
  source: LogSource;
  /** Offset in source.bytes that the range's offsets are relative to. */
  base: number;
  range: ScannedRange;
}

// Built code runs the compiled worker. Run from source (tests, benchmarks), the worker registers tsx
// first, since workers do not inherit the parent's module hooks.
const COMPILED_WORKER = new URL('./verify_worker.js', import.meta.url);
function startWorker(): Worker {
  if (existsSync(fileURLToPath(COMPILED_WORKER))) return new Worker(COMPILED_WORKER);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = JSON.stringify(new URL('./verify_worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${source}); })`, {
    eval: true,
  });
}

function scanInWorker(bytes: Buffer): Promise<ScannedRange> {
  return new Promise((resolve, reject) => {
    const worker = startWorker();
    worker.once('message', (range: ScannedRange & { leafHashes: Uint8Array }) => {
      void worker.terminate();
      resolve({
        ...range,
        leafHashes: Buffer.from(
          range.leafHashes.buffer,
          range.leafHashes.byteOffset,
          range.leafHashes.byteLength,
        ),
      });
    });
    worker.once('error', reject);
    const copy = new Uint8Array(bytes); // the worker gets its own copy, transferred rather than cloned
    worker.postMessage({ bytes: copy }, [copy.buffer]);
  });
}

function combineRanges(scanned: readonly ScannedSource[], options: VerifyOptions): VerifyResult {
  const tree = new MerkleTree();
  let prev = GENESIS_PREV;
  let seq = 0;
  let checkpoints = 0;
  let recoveries = 0;
  let last: { seq: number; size: number; root: Buffer } | null = null;
  const summary = (): VerifySummary => ({
    entries: seq,
    checkpoints,
    recoveries,
    covered: last?.size ?? 0,
    root: tree.root().toString('hex'),
    uncovered: last ? seq - last.seq - 1 : seq,
  });
  const failAt = (where: string, problem: string): VerifyResult => ({
    ok: false,
    seq,
    where,
    problem,
    ...summary(),
  });

  for (const { source, base, range } of scanned) {
    if (range.count > 0) {
      const where = `${source.name} byte ${base + range.start}`;
      if (range.firstSeq !== seq)
        return failAt(
          where,
          `seq is ${range.firstSeq}, expected ${seq}: entries were dropped, added or reordered`,
        );
      if (range.firstPrev !== prev)
        return failAt(where, `prev is ${range.firstPrev}, but entry ${seq - 1} has hash ${prev}`);
    }
    let next = 0;
    for (let i = 0; i < range.count; i++) {
      tree.append(range.leafHashes.subarray(i * 32, i * 32 + 32));
      const checkpoint = range.checkpoints[next];
      if (checkpoint?.index === i) {
        next++;
        const payload = (JSON.parse(checkpoint.body) as { payload: unknown }).payload;
        const checked = checkCheckpoint(payload, seq, tree, last, options.key);
        if (typeof checked === 'string') return failAt(`${source.name}, entry ${seq}`, checked);
        last = { seq, size: checked.size, root: checked.root };
        checkpoints++;
      }
      seq++;
    }
    recoveries += range.recoveries;
    if (range.count > 0) prev = range.lastHash as string;
    if (range.error) return failAt(`${source.name} byte ${base + range.error.offset}`, range.error.problem);
  }

  const known = options.knownCheckpoint;
  if (known) {
    if (known.size > seq)
      return failAt(
        'end of log',
        `a known checkpoint covers ${known.size} entries but the log has only ${seq}: it was cut`,
      );
    if (!tree.root(known.size).equals(known.rootHash))
      return failAt(
        'end of log',
        `the first ${known.size} entries do not match the known checkpoint: the log was rewritten`,
      );
  }
  return { ok: true, ...summary() };
}

function checkCheckpoint(
  payload: unknown,
  seq: number,
  tree: MerkleTree,
  previous: { size: number; root: Buffer } | null,
  key: VerifierKey,
): string | { size: number; root: Buffer } {
  const p = payload as Partial<CheckpointPayload>;
  if (typeof p?.note !== 'string') return 'checkpoint entry has no signed note';
  let opened: { size: number; rootHash: Buffer; origin: string };
  try {
    opened = openCheckpoint(p.note, key, key.name);
  } catch (e) {
    return `checkpoint signature does not verify with key ${key.name}: ${(e as Error).message}`;
  }
  if (opened.size !== p.size || opened.rootHash.toString('base64') !== p.root || opened.origin !== p.origin)
    return 'checkpoint entry fields differ from its signed note';
  if (opened.size > seq) return `checkpoint signs size ${opened.size}, but only ${seq} entries precede it`;
  const rebuilt = tree.root(opened.size);
  if (!rebuilt.equals(opened.rootHash))
    return `checkpoint signs root ${opened.rootHash.toString('hex')} for size ${opened.size}, but entries 0..${opened.size - 1} hash to ${rebuilt.toString('hex')}`;
  if (previous) {
    if (opened.size < previous.size)
      return `checkpoint size ${opened.size} is smaller than the previous ${previous.size}`;
    if (opened.size > previous.size && previous.size > 0) {
      try {
        verifyConsistency(
          previous.size,
          opened.size,
          tree.consistencyProof(previous.size, opened.size),
          previous.root,
          opened.rootHash,
        );
      } catch (e) {
        return `checkpoint is not consistent with the previous one: ${(e as Error).message}`;
      }
    } else if (!previous.root.equals(opened.rootHash))
      return 'two checkpoints of the same size sign different roots';
  }
  return { size: opened.size, root: opened.rootHash };
}

/** Reads the segment files of an audit directory, in order. */
export async function readSegments(dir: string, names: readonly string[]): Promise<LogSource[]> {
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)), start: 0 })));
}
