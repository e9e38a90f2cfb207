// Unicode normalisation for scanners, with a map from every offset of the normalised text back to the
// original: detectors match on one canonical form (NFKC, invisible characters removed, so fullwidth
// digits and zero-width joiners cannot hide a value), while findings and redactions keep original offsets.

/** Text as the scanners see it, and the way back to the text as it was given. */
export interface NormalizedText {
  /** The normalised text. */
  readonly text: string;
  /** True when `text` is the original string unchanged (every offset maps to itself). */
  readonly identity: boolean;
  /**
   * The original range covering the normalised range [start, end). Requires 0 <= start <= end <=
   * text.length. A normalised character made from several original ones (a base character and its
   * combining marks, a removed invisible character next to it) maps to all of them.
   */
  toOriginal(start: number, end: number): { start: number; end: number };
}

export interface NormalizeOptions {
  /** Apply NFKC compatibility normalisation (fullwidth forms, ligatures, superscripts). Default true. */
  nfkc?: boolean;
  /** Remove invisible format characters (zero-width space/joiners, bidi controls, tags...). Default true. */
  removeInvisible?: boolean;
}

/**
 * Characters that render as nothing and are dropped before scanning: soft hyphen, combining grapheme
 * joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels, Mongolian selectors, zero-width
 * space/non-joiner/joiner, LRM/RLM, bidi embeddings and isolates, word joiner and invisible operators,
 * variation selectors, BOM, and the Unicode tag block (U+E0000-E007F) and its variation selectors.
 */
/* eslint-disable no-misleading-character-class -- single invisible code points, listed on purpose */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]|\uDB40[\uDC00-\uDC7F\uDD00-\uDDEF]/;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'g');
/* eslint-enable no-misleading-character-class */
const NON_ASCII = /[^\x00-\x7f]/;
const COMBINING_MARK = /^\p{M}$/u;

/** Identity result: no allocation for the common all-ASCII case. */
function identityOf(text: string): NormalizedText {
  return {
    text,
    identity: true,
    toOriginal: (start, end) => ({ start, end }),
  };
}

/**
 * Normalises `text` for scanning. Work is linear in the length: characters NFKC leaves alone are copied
 * (a table per code unit, filled on first sight), fullwidth ASCII is mapped directly, and everything else
 * is normalised cluster by cluster (a base character with its combining marks). Hangul conjoining jamo
 * are not recomposed across clusters.
 */
export function normalizeForScan(text: string, options: NormalizeOptions = {}): NormalizedText {
  const nfkc = options.nfkc ?? true;
  const removeInvisible = options.removeInvisible ?? true;
  if ((!nfkc && !removeInvisible) || !NON_ASCII.test(text)) return identityOf(text);
  const n = text.length;
  if (!nfkc) {
    if (!INVISIBLE.test(text)) return identityOf(text);
    const map = new OffsetMapBuilder(n);
    cutInvisible(text, 0, n, map);
    return map.finish(text);
  }
  // Text whose every non-ASCII unit NFKC leaves alone (no marks, no invisibles) is returned as it is.
  let allStable = true;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x80 && !isStableUnit(c)) {
      allStable = false;
      break;
    }
  }
  if (allStable) return identityOf(text);

  const map = new OffsetMapBuilder(n);
  const cache = new Map<string, string>();
  let i = 0;
  while (i < n) {
    if (text.charCodeAt(i) < 0x80) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) < 0x80) j++;
      if (j < n && isCombiningAt(text, j)) {
        // The last ASCII character is the base of the following marks ("e" + U+0301): one cluster.
        if (j - 1 > i) map.identity(text, i, j - 1);
        i = normalizeCluster(j - 1, n);
      } else {
        map.identity(text, i, j);
        i = j;
      }
      continue;
    }
    let j = i + 1;
    while (j < n && text.charCodeAt(j) >= 0x80) j++;
    while (i < j) {
      const c = text.charCodeAt(i);
      if (isStableUnit(c) && !(i + 1 < j && isCombiningAt(text, i + 1))) {
        // A run of characters NFKC leaves alone (most non-ASCII text): copied in one go.
        let k = i + 1;
        while (k < j && isStableUnit(text.charCodeAt(k)) && !(k + 1 < j && isCombiningAt(text, k + 1))) k++;
        map.identity(text, i, k);
        i = k;
      } else if (nfkc && c >= 0xff01 && c <= 0xff5e && !(i + 1 < j && isCombiningAt(text, i + 1))) {
        // Fullwidth ASCII, the frequent case, mapped without calling into ICU.
        map.unit(c - 0xfee0, i, i + 1);
        i++;
      } else i = normalizeCluster(i, j);
    }
  }
  return map.finish(text);

  /** Normalises the cluster starting at `from` (a code point and its following marks); returns its end. */
  function normalizeCluster(from: number, limit: number): number {
    let to = from + codePointLength(text, from);
    while (to < limit && isCombiningAt(text, to)) to += codePointLength(text, to);
    const code = text.charCodeAt(from);
    let piece: string;
    if (to - from === 1 && code >= 0xff01 && code <= 0xff5e) {
      // Fullwidth ASCII, the frequent case, mapped without calling into ICU.
      map.unit(code - 0xfee0, from, to);
      return to;
    } else if (to - from === 1 && code === 0x3000) {
      map.unit(0x20, from, to);
      return to;
    } else {
      const cluster = text.slice(from, to);
      const cached = cache.get(cluster);
      if (cached !== undefined) piece = cached;
      else {
        piece = cluster.normalize('NFKC');
        if (removeInvisible && INVISIBLE.test(piece)) piece = piece.replace(INVISIBLE_ALL, '');
        if (cache.size < 4096) cache.set(cluster, piece);
      }
    }
    if (piece.length > 0) map.piece(piece, from, to);
    return to;
  }
}

/** Copies text[from, to) minus invisible characters, each kept unit mapping to itself. */
function cutInvisible(text: string, from: number, to: number, map: OffsetMapBuilder): void {
  INVISIBLE_ALL.lastIndex = from;
  let at = from;
  for (;;) {
    const m = INVISIBLE_ALL.exec(text);
    if (m === null || m.index >= to) break;
    if (m.index > at) map.identity(text, at, m.index);
    at = m.index + m[0].length;
  }
  if (to > at) map.identity(text, at, to);
}

/** Output UTF-16 units and, for each, the original range it came from (typed arrays, grown by doubling). */
class OffsetMapBuilder {
  private units: Uint16Array;
  private starts: Int32Array;
  private ends: Int32Array;
  private length = 0;

  constructor(capacity: number) {
    const size = Math.max(16, capacity);
    this.units = new Uint16Array(size);
    this.starts = new Int32Array(size);
    this.ends = new Int32Array(size);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.units.length) return;
    let size = this.units.length * 2;
    while (size < needed) size *= 2;
    const units = new Uint16Array(size);
    units.set(this.units);
    const starts = new Int32Array(size);
    starts.set(this.starts);
    const ends = new Int32Array(size);
    ends.set(this.ends);
    this.units = units;
    this.starts = starts;
    this.ends = ends;
  }

  identity(text: string, from: number, to: number): void {
    this.reserve(to - from);
    const { units, starts, ends } = this;
    let out = this.length;
    for (let k = from; k < to; k++, out++) {
      units[out] = text.charCodeAt(k);
      starts[out] = k;
      ends[out] = k + 1;
    }
    this.length = out;
  }

  unit(code: number, from: number, to: number): void {
    this.reserve(1);
    this.units[this.length] = code;
    this.starts[this.length] = from;
    this.ends[this.length] = to;
    this.length++;
  }

  piece(piece: string, from: number, to: number): void {
    for (let k = 0; k < piece.length; k++) this.unit(piece.charCodeAt(k), from, to);
  }

  finish(original: string): NormalizedText {
    const { starts, ends, length } = this;
    const text = UTF16.decode(this.units.subarray(0, length));
    if (text === original) return identityOf(original);
    const n = original.length;
    return {
      text,
      identity: false,
      toOriginal(start: number, end: number) {
        if (start >= length) return { start: n, end: n };
        const s = starts[start] ?? n;
        if (end <= start) return { start: s, end: s };
        const e = ends[Math.min(end, length) - 1] ?? n;
        return { start: s, end: Math.max(s, e) };
      },
    };
  }
}

// Lone surrogates must survive the round trip, so no replacement on decode (fatal: false keeps them).
const UTF16 = new TextDecoder('utf-16le');

/**
 * BMP code units that NFKC maps to themselves and that never combine with a neighbour (not a mark, not
 * a Hangul vowel or final jamo, not a surrogate): 1 stable, 2 not, 0 not yet known.
 */
const stableUnits = new Uint8Array(0x10000);
function isStableUnit(code: number): boolean {
  const known = stableUnits[code] ?? 0;
  if (known !== 0) return known === 1;
  const ch = String.fromCharCode(code);
  const stable =
    !(code >= 0xd800 && code <= 0xdfff) &&
    !(code >= 0x1160 && code <= 0x11ff) &&
    !isBmpMark(code) &&
    !INVISIBLE.test(ch) &&
    ch.normalize('NFKC') === ch;
  stableUnits[code] = stable ? 1 : 2;
  return stable;
}

/** BMP combining marks as a bit table, built once on first use (one regex test per code unit). */
let bmpMarks: Uint8Array | undefined;
function isBmpMark(code: number): boolean {
  if (bmpMarks === undefined) {
    bmpMarks = new Uint8Array(0x10000);
    for (let c = 0x300; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      if (COMBINING_MARK.test(String.fromCharCode(c))) bmpMarks[c] = 1;
    }
  }
  return bmpMarks[code] === 1;
}

function codePointLength(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c >= 0xd800 && c <= 0xdbff && at + 1 < text.length) {
    const d = text.charCodeAt(at + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function isCombiningAt(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c < 0x300) return false;
  if (c < 0xd800 || c > 0xdfff) return isBmpMark(c);
  return COMBINING_MARK.test(text.slice(at, at + codePointLength(text, at)));
}
