// The console's view of the audit log: the durable entries as they are in the segment files, read
// incrementally (only complete lines, so a line being written is never half-read), with an index of where
// each entry is and a compact index of decisions for filtering. Entries are read from disk on demand;
// what is kept in memory is a few numbers per entry and one small row per decision.

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry } from '../audit/entry.js';
import { listSegments, SEGMENT_PATTERN } from '../audit/segment_store.js';

/** A decision as the list filters it: the final verdict, which tool, for which agent. */
export interface DecisionRow {
  seq: number;
  ts: string;
  hash: string;
  agent: string;
  tool: string;
  decision: string;
  rule: string;
}

/** An entry in a few fields: what the live stream and the lists show before the entry is opened. */
export interface EntrySummary {
  seq: number;
  ts: string;
  kind: string;
  hash: string;
  summary: Record<string, string | number | boolean | null>;
}

/** Bytes read from a segment at once while indexing. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const SUMMARY_FIELDS = 12;
const SUMMARY_STRING_CHARS = 200;

interface Segment {
  name: string;
  firstSeq: number;
  /** Bytes indexed so far: always the end of a complete line. */
  indexed: number;
}

export class AuditReader {
  private readonly segments: Segment[] = [];
  /** Per entry: which segment, at which byte offset, how long (without the newline), and its kind. */
  private readonly segmentOf: number[] = [];
  private readonly offsetOf: number[] = [];
  private readonly lengthOf: number[] = [];
  private readonly kindOf: number[] = [];
  private readonly kinds: string[] = [];
  private readonly kindIds = new Map<string, number>();
  private readonly decisionRows: DecisionRow[] = [];
  private readonly decisionByHash = new Map<string, number>();
  /** The first `ingest` entry of each chunk id: where its channel, trust and signals are recorded. */
  private readonly ingestOfChunk = new Map<string, number>();
  private refreshing: Promise<number> | null = null;
  /** The segment being read: every one before it is indexed to its end. */
  private current = 0;

  constructor(private readonly dir: string) {}

  /** Entries indexed so far (seq 0 .. size-1). */
  get size(): number {
    return this.offsetOf.length;
  }

  /** Indexes what was appended since the last call; returns the number of entries indexed. Calls queue. */
  refresh(): Promise<number> {
    this.refreshing ??= this.readNew().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Indexes the entries appended since the last call (PgAuditReader reads them from PostgreSQL). */
  protected async readNew(): Promise<number> {
    const names = await listSegments(this.dir);
    for (const name of names.slice(this.segments.length)) {
      const firstSeq = Number(SEGMENT_PATTERN.exec(name)?.[1]);
      this.segments.push({ name, firstSeq, indexed: 0 });
    }
    // The writer starts a segment only once the one before is complete: read each to its end in turn.
    for (let i = this.current; i < this.segments.length; i++) {
      await this.indexSegment(i);
      if (i < this.segments.length - 1) this.current = i + 1;
    }
    return this.size;
  }

  private async indexSegment(index: number): Promise<void> {
    const segment = this.segments[index] as Segment;
    if (segment.indexed === 0 && segment.firstSeq !== this.size)
      throw new Error(`audit log: ${segment.name} starts at seq ${segment.firstSeq}, expected ${this.size}`);
    const file = await open(join(this.dir, segment.name), 'r');
    try {
      for (;;) {
        const buffer = Buffer.alloc(READ_CHUNK_BYTES);
        const { bytesRead } = await file.read(buffer, 0, buffer.length, segment.indexed);
        if (bytesRead === 0) return;
        const last = buffer.lastIndexOf(0x0a, bytesRead - 1);
        if (last === -1) {
          if (bytesRead === buffer.length)
            throw new Error(`${segment.name}: a line longer than ${READ_CHUNK_BYTES} bytes`);
          return; // only a line being written
        }
        let start = 0;
        while (start <= last) {
          const end = buffer.indexOf(0x0a, start);
          this.indexLine(index, segment.indexed + start, buffer.toString('utf8', start, end));
          start = end + 1;
        }
        segment.indexed += last + 1;
      }
    } finally {
      await file.close();
    }
  }

  protected indexLine(segment: number, offset: number, line: string): void {
    const entry = JSON.parse(line) as AuditEntry;
    if (entry.seq !== this.size)
      throw new Error(
        `audit log: seq ${entry.seq} where ${this.size} was expected; run carapace audit verify`,
      );
    let kind = this.kindIds.get(entry.kind);
    if (kind === undefined) {
      kind = this.kinds.push(entry.kind) - 1;
      this.kindIds.set(entry.kind, kind);
    }
    this.segmentOf.push(segment);
    this.offsetOf.push(offset);
    this.lengthOf.push(Buffer.byteLength(line));
    this.kindOf.push(kind);
    if (entry.kind === 'decision') {
      this.decisionByHash.set(entry.hash, this.decisionRows.length);
      this.decisionRows.push(decisionRow(entry));
    } else if (entry.kind === 'ingest') {
      const chunk = (entry.payload as { chunk?: unknown }).chunk;
      if (typeof chunk === 'string' && !this.ingestOfChunk.has(chunk))
        this.ingestOfChunk.set(chunk, entry.seq);
    }
  }

  kindAt(seq: number): string | undefined {
    const kind = this.kindOf[seq];
    return kind === undefined ? undefined : this.kinds[kind];
  }

  /** The entries with these seqs (each known one, in the order asked). */
  async entries(seqs: readonly number[]): Promise<AuditEntry[]> {
    const known = seqs.filter((s) => Number.isSafeInteger(s) && s >= 0 && s < this.size);
    const bySegment = new Map<number, number[]>();
    for (const seq of known) {
      const segment = this.segmentOf[seq] as number;
      const list = bySegment.get(segment);
      if (list) list.push(seq);
      else bySegment.set(segment, [seq]);
    }
    const found = new Map<number, AuditEntry>();
    for (const [segment, inSegment] of bySegment) {
      const file = await open(join(this.dir, (this.segments[segment] as Segment).name), 'r');
      try {
        // Neighbours are read in one piece; scattered entries one by one.
        const sorted = [...inSegment].sort((a, b) => a - b);
        const from = this.offsetOf[sorted[0] as number] as number;
        const lastSeq = sorted[sorted.length - 1] as number;
        const to = (this.offsetOf[lastSeq] as number) + (this.lengthOf[lastSeq] as number);
        if (to - from <= READ_CHUNK_BYTES) {
          const buffer = Buffer.alloc(to - from);
          await file.read(buffer, 0, buffer.length, from);
          for (const seq of sorted) {
            const at = (this.offsetOf[seq] as number) - from;
            found.set(seq, JSON.parse(buffer.toString('utf8', at, at + (this.lengthOf[seq] as number))));
          }
        } else
          for (const seq of sorted) {
            const buffer = Buffer.alloc(this.lengthOf[seq] as number);
            await file.read(buffer, 0, buffer.length, this.offsetOf[seq] as number);
            found.set(seq, JSON.parse(buffer.toString('utf8')));
          }
      } finally {
        await file.close();
      }
    }
    return known.map((seq) => found.get(seq) as AuditEntry);
  }

  async entry(seq: number): Promise<AuditEntry | null> {
    return (await this.entries([seq]))[0] ?? null;
  }

  /** Seqs below `before`, newest first, of `kind` (any kind when absent), at most `limit`. */
  seqsBefore(before: number, limit: number, kind?: string): number[] {
    const kindId = kind === undefined ? undefined : this.kindIds.get(kind);
    if (kind !== undefined && kindId === undefined) return [];
    const seqs: number[] = [];
    for (let seq = Math.min(before, this.size) - 1; seq >= 0 && seqs.length < limit; seq--)
      if (kindId === undefined || this.kindOf[seq] === kindId) seqs.push(seq);
    return seqs;
  }

  /** Decisions below seq `before`, newest first, that match every given filter, at most `limit`. */
  decisions(
    filter: { agent?: string; tool?: string; decision?: string; rule?: string },
    before: number,
    limit: number,
  ): DecisionRow[] {
    const rows: DecisionRow[] = [];
    for (let i = this.decisionRows.length - 1; i >= 0 && rows.length < limit; i--) {
      const row = this.decisionRows[i] as DecisionRow;
      if (row.seq >= before) continue;
      if (filter.agent !== undefined && row.agent !== filter.agent) continue;
      if (filter.tool !== undefined && row.tool !== filter.tool) continue;
      if (filter.decision !== undefined && row.decision !== filter.decision) continue;
      if (filter.rule !== undefined && row.rule !== filter.rule) continue;
      rows.push(row);
    }
    return rows;
  }

  /** The decision recorded in the entry with this hash. */
  decisionByEntryHash(hash: string): DecisionRow | null {
    const index = this.decisionByHash.get(hash);
    return index === undefined ? null : (this.decisionRows[index] as DecisionRow);
  }

  /** The seq of the entry that first recorded chunk `id` coming in, if one did. */
  ingestOf(chunkId: string): number | null {
    return this.ingestOfChunk.get(chunkId) ?? null;
  }

  /**
   * Entries after `after` (at most `scan` of them) whose line contains one of `needles`: the entries
   * that refer to a decision (its review, its execution) without an index of every reference.
   */
  async referencing(after: number, needles: readonly string[], scan: number): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    const last = Math.min(this.size, after + 1 + scan);
    for (let from = after + 1; from < last; from += 256) {
      const seqs = Array.from({ length: Math.min(256, last - from) }, (_, i) => from + i);
      for (const entry of await this.entries(seqs)) {
        const text = JSON.stringify(entry.payload);
        if (needles.some((n) => text.includes(n))) found.push(entry);
      }
    }
    return found;
  }
}

/** The decision list's row for a decision entry: the final verdict where a stage beside the engine ran. */
function decisionRow(entry: AuditEntry): DecisionRow {
  const payload = entry.payload as {
    agent?: unknown;
    record?: {
      decision?: unknown;
      rule?: unknown;
      tool?: unknown;
      request?: { envelope?: { tool?: unknown } };
    };
    final?: { decision?: unknown; rule?: unknown };
  };
  const record = payload.record ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    seq: entry.seq,
    ts: entry.ts,
    hash: entry.hash,
    agent: text(payload.agent),
    tool: text(record.tool) || text(record.request?.envelope?.tool),
    decision: text(payload.final?.decision) || text(record.decision),
    rule: text(payload.final?.rule) || text(record.rule),
  };
}

/** The entry in a few scalar fields (the payload's own, shortened), the decision's final verdict for a decision. */
export function summariseEntry(entry: AuditEntry): EntrySummary {
  const head = { seq: entry.seq, ts: entry.ts, kind: entry.kind, hash: entry.hash };
  if (entry.kind === 'decision') {
    const { agent, tool, decision, rule } = decisionRow(entry);
    return { ...head, summary: { agent, tool, decision, rule } };
  }
  const summary: EntrySummary['summary'] = {};
  const payload = entry.payload;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload))
    for (const [key, value] of Object.entries(payload)) {
      if (Object.keys(summary).length >= SUMMARY_FIELDS) break;
      if (typeof value === 'string') summary[key] = value.slice(0, SUMMARY_STRING_CHARS);
      else if (typeof value === 'number' || typeof value === 'boolean' || value === null)
        summary[key] = value;
    }
  return { ...head, summary };
}
