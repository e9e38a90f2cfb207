// Where each character of a rewritten text came from. The folding steps delete, replace and join
// characters; a signal found in the rewritten text must still point at the original bytes, so each step
// records a piecewise map: runs copied unchanged (identity) and units that replaced a whole range.

export interface Span {
  start: number;
  end: number;
}

/** Maps offsets of a rewritten text back to the text it was made from (which may itself be rewritten). */
export class OffsetMap {
  private outStarts: Int32Array;
  private sourceStarts: Int32Array;
  private sourceEnds: Int32Array;
  private identity: Uint8Array;
  private count = 0;
  private outLength = 0;
  private sourceLength = 0;

  constructor(
    capacity = 16,
    private readonly parent: OffsetMap | null = null,
  ) {
    this.outStarts = new Int32Array(capacity);
    this.sourceStarts = new Int32Array(capacity);
    this.sourceEnds = new Int32Array(capacity);
    this.identity = new Uint8Array(capacity);
  }

  /** The map of a text copied without change. */
  static identity(length: number): OffsetMap {
    const map = new OffsetMap(1);
    map.copied(0, 0, length);
    map.finish(length, length);
    return map;
  }

  private grow(): void {
    const size = this.outStarts.length * 2;
    const next32 = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.outStarts = next32(this.outStarts);
    this.sourceStarts = next32(this.sourceStarts);
    this.sourceEnds = next32(this.sourceEnds);
    const id = new Uint8Array(size);
    id.set(this.identity);
    this.identity = id;
  }

  /** Output units [outStart, outStart + length) are source units [sourceStart, sourceStart + length). */
  copied(outStart: number, sourceStart: number, length: number): void {
    if (length <= 0) return;
    const last = this.count - 1;
    if (
      last >= 0 &&
      this.identity[last] === 1 &&
      this.sourceEnds[last] === sourceStart &&
      this.outStarts[last]! + (this.sourceEnds[last]! - this.sourceStarts[last]!) === outStart
    ) {
      this.sourceEnds[last] = sourceStart + length;
      return;
    }
    this.push(outStart, sourceStart, sourceStart + length, 1);
  }

  /** Output units starting at outStart (up to the next segment) all stand for source [sourceStart, sourceEnd). */
  replaced(outStart: number, sourceStart: number, sourceEnd: number): void {
    this.push(outStart, sourceStart, sourceEnd, 0);
  }

  private push(outStart: number, sourceStart: number, sourceEnd: number, identity: 0 | 1): void {
    if (this.count === this.outStarts.length) this.grow();
    this.outStarts[this.count] = outStart;
    this.sourceStarts[this.count] = sourceStart;
    this.sourceEnds[this.count] = sourceEnd;
    this.identity[this.count] = identity;
    this.count++;
  }

  finish(outLength: number, sourceLength: number): void {
    this.outLength = outLength;
    this.sourceLength = sourceLength;
  }

  /** Index of the segment holding output unit k (the last segment starting at or before k). */
  private segmentOf(k: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.outStarts[mid]! <= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private sourceStartOf(k: number): number {
    if (this.count === 0 || k >= this.outLength) return this.sourceLength;
    const s = this.segmentOf(k);
    return this.identity[s] === 1 ? this.sourceStarts[s]! + (k - this.outStarts[s]!) : this.sourceStarts[s]!;
  }

  private sourceEndOf(k: number): number {
    if (this.count === 0) return this.sourceLength;
    const s = this.segmentOf(k);
    return this.identity[s] === 1
      ? this.sourceStarts[s]! + (k - this.outStarts[s]!) + 1
      : this.sourceEnds[s]!;
  }

  /** The original span that output [start, end) came from, through every earlier rewrite. */
  toOriginal(start: number, end: number): Span {
    const s = Math.max(0, Math.min(start, this.outLength));
    const e = Math.max(s, Math.min(end, this.outLength));
    const sourceStart = this.sourceStartOf(s);
    const span = {
      start: sourceStart,
      end: e > s ? Math.max(sourceStart, this.sourceEndOf(e - 1)) : sourceStart,
    };
    return this.parent ? this.parent.toOriginal(span.start, span.end) : span;
  }
}
