// The offline verifier: walks every entry of a log (segment files or an export bundle) and checks the
// hash chain, rebuilds the RFC 6962 tree, checks every checkpoint's signature and root, and the
// consistency of each checkpoint with the one before. It names the first bad entry and what is wrong.
// A cluster's log holds checkpoints signed by several instances, each with its own key (its origin):
// given several keys, each checkpoint must verify with the key named by its origin, and checkpoints of
// different instances may arrive out of size order (each is still checked against the one tree).

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
  /** The key, or the keys of every instance that signs checkpoints (matched by name to the origin). */
  key: VerifierKey | readonly VerifierKey[];
  /** Verify that the log still contains this previously seen checkpoint (it was not cut or forked). */
  knownCheckpoint?: { size: number; rootHash: Buffer };
  /**
   * The most entries a writer leaves after its newest checkpoint (default DEFAULT_MAX_UNCOVERED). A
   * writer signs every 1000 entries, every second and on close, so a longer unsigned tail means the
   * checkpoints after it were removed.
   */
  maxUncovered?: number;
}

/** Twice the writer's default checkpoint interval, for entries appended while a checkpoint is signed. */
export const DEFAULT_MAX_UNCOVERED = 2000;

/** Verifies a whole log in this thread. It decodes lines in place, so the sources' bytes are consumed. */
export function verifyLog(sources: readonly LogSource[], options: VerifyOptions): VerifyResult {
  const checker = new LogChecker(options);
  for (const source of sources) {
    const failure = checker.add({
      source,
      base: 0,
      range: scanLines(source.bytes, source.start, source.bytes.length),
    });
    if (failure) return failure;
  }
  return checker.finish();
}

/** Sources smaller than this are scanned in this thread: starting workers would cost more. */
const PARALLEL_BYTES = 8 * 1024 * 1024;
/** Larger sources are cut into line-aligned ranges of about this size, handed to workers in turn. */
const RANGE_BYTES = 8 * 1024 * 1024;

/**
 * verifyLog with the per-line work (two SHA-256 per entry) done by a pool of worker threads, while
 * this thread checks the links between ranges, builds the tree and checks checkpoints, in order, as
 * ranges come back.
 */
export async function verifyLogParallel(
  sources: readonly LogSource[],
  options: VerifyOptions,
  { threads = availableParallelism(), minBytes = PARALLEL_BYTES, rangeBytes = RANGE_BYTES } = {},
): Promise<VerifyResult> {
  const pool = threads >= 2 ? new ScanPool(threads) : null;
  try {
    const jobs: Promise<ScannedSource>[] = [];
    for (const source of sources) {
      const length = source.bytes.length - source.start;
      if (!pool || length < minBytes) {
        jobs.push(
          Promise.resolve({
            source,
            base: 0,
            range: scanLines(source.bytes, source.start, source.bytes.length),
          }),
        );
        continue;
      }
      for (const [from, to] of splitLineAligned(source.bytes, source.start, Math.ceil(length / rangeBytes)))
        jobs.push(
          pool.scan(source.bytes.subarray(from, to)).then((range) => ({ source, base: from, range })),
        );
    }
    const checker = new LogChecker(options);
    for (const job of jobs) {
      const failure = checker.add(await job);
      if (failure) return failure;
    }
    return checker.finish();
  } finally {
    await pool?.close();
  }
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

/** A fixed set of workers, each scanning one range at a time; ranges queue in the order given. */
class ScanPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: {
    bytes: Buffer;
    resolve: (r: ScannedRange) => void;
    reject: (e: Error) => void;
  }[] = [];
  private readonly busy = new Map<Worker, (typeof this.queue)[number]>();

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      worker.on('message', (range: ScannedRange & { leafHashes: Uint8Array; pairHashes: Uint8Array }) => {
        const job = this.busy.get(worker);
        this.busy.delete(worker);
        this.idle.push(worker);
        job?.resolve({
          ...range,
          leafHashes: Buffer.from(
            range.leafHashes.buffer,
            range.leafHashes.byteOffset,
            range.leafHashes.byteLength,
          ),
        });
        this.pump();
      });
      worker.on('error', (e) => {
        this.busy.get(worker)?.reject(e);
        for (const job of this.queue.splice(0)) job.reject(e);
      });
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  scan(bytes: Buffer): Promise<ScannedRange> {
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as (typeof this.queue)[number];
      this.busy.set(worker, job);
      const copy = new Uint8Array(job.bytes); // the worker's own copy, transferred rather than cloned
      worker.postMessage({ bytes: copy }, [copy.buffer]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

/** Checks scanned ranges in log order: links between ranges, the tree, every checkpoint. */
class LogChecker {
  private readonly tree = new MerkleTree();
  private prev = GENESIS_PREV;
  private seq = 0;
  private checkpoints = 0;
  private recoveries = 0;
  /** The largest checkpoint so far (every later one must be consistent with it). */
  private last: { size: number; root: Buffer } | null = null;
  /** Seq of the newest checkpoint entry. */
  private lastSeq = -1;
  /** Largest size each key (name and key ID) has signed: one writer never signs a smaller tree than before. */
  private readonly sizeBySigner = new Map<string, number>();
  private readonly keys: readonly VerifierKey[];

  constructor(private readonly options: VerifyOptions) {
    this.keys = Array.isArray(options.key) ? options.key : [options.key as VerifierKey];
  }

  private summary(): VerifySummary {
    return {
      entries: this.seq,
      checkpoints: this.checkpoints,
      recoveries: this.recoveries,
      covered: this.last?.size ?? 0,
      root: this.tree.root().toString('hex'),
      uncovered: this.seq - this.lastSeq - 1,
    };
  }

  private failAt(where: string, problem: string): VerifyResult {
    return { ok: false, seq: this.seq, where, problem, ...this.summary() };
  }

  /** Takes the next range; returns the failure if it holds one. */
  add({ source, base, range }: ScannedSource): VerifyResult | null {
    if (range.count > 0) {
      const where = `${source.name} byte ${base + range.start}`;
      if (range.firstSeq !== this.seq)
        return this.failAt(
          where,
          `seq is ${range.firstSeq}, expected ${this.seq}: entries were dropped, added or reordered`,
        );
      if (range.firstPrev !== this.prev)
        return this.failAt(
          where,
          `prev is ${range.firstPrev}, but entry ${this.seq - 1} has hash ${this.prev}`,
        );
    }
    let next = 0;
    let pair = 0;
    const leaf = (i: number) => range.leafHashes.subarray(i * 32, i * 32 + 32);
    for (let i = 0; i < range.count; i++) {
      // Whole pairs come with their parent from the scan; a leaf whose partner is in another range does not.
      if (this.seq % 2 === 0 && i + 1 < range.count && (pair + 1) * 32 <= range.pairHashes.length)
        this.tree.appendPair(leaf(i), leaf(i + 1), range.pairHashes.subarray(pair * 32, ++pair * 32));
      else if (this.tree.size === this.seq) this.tree.append(leaf(i));
      const checkpoint = range.checkpoints[next];
      if (checkpoint?.index === i) {
        next++;
        const payload = (JSON.parse(checkpoint.body) as { payload: unknown }).payload;
        const checked = checkCheckpoint(
          payload,
          this.seq,
          this.tree,
          this.last,
          this.keys,
          this.sizeBySigner,
        );
        if (typeof checked === 'string') return this.failAt(`${source.name}, entry ${this.seq}`, checked);
        if (!this.last || checked.size >= this.last.size)
          this.last = { size: checked.size, root: checked.root };
        this.sizeBySigner.set(checked.signer, checked.size);
        this.lastSeq = this.seq;
        this.checkpoints++;
      }
      this.seq++;
    }
    this.recoveries += range.recoveries;
    if (range.count > 0) this.prev = range.lastHash as string;
    if (range.error)
      return this.failAt(`${source.name} byte ${base + range.error.offset}`, range.error.problem);
    return null;
  }

  finish(): VerifyResult {
    const known = this.options.knownCheckpoint;
    if (known) {
      if (known.size > this.seq)
        return this.failAt(
          'end of log',
          `a known checkpoint covers ${known.size} entries but the log has only ${this.seq}: it was cut`,
        );
      if (!this.tree.root(known.size).equals(known.rootHash))
        return this.failAt(
          'end of log',
          `the first ${known.size} entries do not match the known checkpoint: the log was rewritten`,
        );
    }
    // Without a signature nothing above proves who wrote the log: anyone can write a consistent chain.
    // A log with entries must hold a checkpoint, and its unsigned tail must be one a writer leaves.
    const summary = this.summary();
    if (summary.entries > 0 && summary.checkpoints === 0)
      return this.failAt(
        'end of log',
        'no signed checkpoint: nothing in this log is signed by the key (a writer signs within a second and on close; a log rewritten without the key has none)',
      );
    const maxUncovered = this.options.maxUncovered ?? DEFAULT_MAX_UNCOVERED;
    if (summary.uncovered > maxUncovered)
      return this.failAt(
        'end of log',
        `${summary.uncovered} entries after the newest checkpoint, more than a writer leaves unsigned (${maxUncovered}): checkpoints were removed`,
      );
    return { ok: true, ...summary };
  }
}

function checkCheckpoint(
  payload: unknown,
  seq: number,
  tree: MerkleTree,
  previous: { size: number; root: Buffer } | null,
  keys: readonly VerifierKey[],
  sizeBySigner: ReadonlyMap<string, number>,
): string | { size: number; root: Buffer; signer: string } {
  const p = payload as Partial<CheckpointPayload>;
  if (typeof p?.note !== 'string') return 'checkpoint entry has no signed note';
  const named = keys.length === 1 ? keys : keys.filter((k) => k.name === p.origin);
  if (named.length === 0)
    return `checkpoint of origin ${JSON.stringify(p.origin)} is signed by none of the given keys (${keys.map((k) => k.name).join(', ')})`;
  let opened: { size: number; rootHash: Buffer; origin: string } | null = null;
  let signer = '';
  let refused = '';
  for (const key of named) {
    try {
      opened = openCheckpoint(p.note, key, key.name);
      signer = `${key.name}+${key.keyId.toString(16).padStart(8, '0')}`;
      break;
    } catch (e) {
      refused = `checkpoint signature does not verify with key ${key.name}: ${(e as Error).message}`;
    }
  }
  if (!opened) return refused;
  if (opened.size !== p.size || opened.rootHash.toString('base64') !== p.root || opened.origin !== p.origin)
    return 'checkpoint entry fields differ from its signed note';
  if (opened.size > seq) return `checkpoint signs size ${opened.size}, but only ${seq} entries precede it`;
  const rebuilt = tree.root(opened.size);
  if (!rebuilt.equals(opened.rootHash))
    return `checkpoint signs root ${opened.rootHash.toString('hex')} for size ${opened.size}, but entries 0..${opened.size - 1} hash to ${rebuilt.toString('hex')}`;
  const ownPrevious = sizeBySigner.get(signer);
  if (ownPrevious !== undefined && opened.size < ownPrevious)
    return `checkpoint size ${opened.size} is smaller than the previous ${ownPrevious}`;
  if (previous) {
    if (opened.size < previous.size) {
      // Another instance signed a larger tree first (both signed nearly at once): this one must be its prefix.
      if (opened.size > 0)
        try {
          verifyConsistency(
            opened.size,
            previous.size,
            tree.consistencyProof(opened.size, previous.size),
            opened.rootHash,
            previous.root,
          );
        } catch (e) {
          return `checkpoint is not consistent with the larger one before it: ${(e as Error).message}`;
        }
    } else if (opened.size > previous.size && previous.size > 0) {
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
  return { size: opened.size, root: opened.rootHash, signer };
}

/** Reads the segment files of an audit directory, in order. */
export async function readSegments(dir: string, names: readonly string[]): Promise<LogSource[]> {
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)), start: 0 })));
}
