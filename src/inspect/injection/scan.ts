// Runs the patterns over a text in linear time: one pass of a single regex finds every anchor word; each
// pattern registered under a word is tried there once, as a sticky regex whose gaps are bounded. Work is
// capped per text (attempts in all, and occurrences of any one anchor word); a text that would need more
// is not cleared: the caller reports it (fails closed).

import type { NearPattern, Pattern, SignalCategory } from './patterns.js';

/** One thing tried at an anchor: a pattern, or one part of a near pattern. */
interface Entry {
  /** Index into the compiled set's counters. */
  id: number;
  regex: RegExp;
  pattern: Pattern | null;
  /** For a part of a near pattern: which one, and which part (0 = first, 1 = then). */
  near: number;
  part: 0 | 1;
}

export interface CompiledPatterns {
  /** Global: every anchor word, as a whole word (an underscore separates words). */
  anchors: RegExp;
  /** Sticky, without the leading word boundary: for anchors glued to the word before them. */
  gluedAnchors: RegExp;
  byAnchor: Map<string, Anchor>;
  near: readonly NearPattern[];
  entries: number;
  anchorCount: number;
}

interface Anchor {
  id: number;
  entries: Entry[];
}

export interface Match {
  kind: string;
  category: SignalCategory;
  weight: number;
  start: number;
  end: number;
}

/** Matches kept per pattern per text: more of the same add nothing to the score. */
const MAX_MATCHES_PER_PATTERN = 8;
/** Hits kept per part of a near pattern: pairing needs more candidates than a plain pattern. */
const MAX_HITS_PER_PART = 64;
/** Positions tried for glued anchors per text. */
const MAX_GLUED_STARTS = 512;

export function compilePatterns(
  patterns: readonly Pattern[],
  near: readonly NearPattern[] = [],
): CompiledPatterns {
  const byAnchor = new Map<string, Anchor>();
  let id = 0;
  const add = (anchors: readonly string[], entry: Omit<Entry, 'id'>) => {
    const e = { ...entry, id: id++ };
    for (const a of anchors) {
      const anchor = byAnchor.get(a) ?? { id: byAnchor.size, entries: [] };
      anchor.entries.push(e);
      byAnchor.set(a, anchor);
    }
  };
  for (const pattern of patterns) add(pattern.anchors, { regex: pattern.regex, pattern, near: -1, part: 0 });
  near.forEach((n, i) => {
    add(n.first.anchors, { regex: n.first.regex, pattern: null, near: i, part: 0 });
    add(n.then.anchors, { regex: n.then.regex, pattern: null, near: i, part: 1 });
  });
  const words = [...byAnchor.keys()].sort((a, b) => b.length - a.length).join('|');
  return {
    anchors: new RegExp(`(?<![a-z0-9])(?:${words})(?![a-z0-9])`, 'gi'),
    gluedAnchors: new RegExp(`(?:${words})(?![a-z0-9])`, 'iy'),
    byAnchor,
    near,
    entries: id,
    anchorCount: byAnchor.size,
  };
}

/** What scans may still spend; one budget is shared by every scan of a window (decoded text included). */
export interface ScanBudget {
  attempts: number;
  /** Decoded payloads (base64, hex, reversed, tag text) that may still be rescanned. */
  decodes: number;
  /** Occurrences of one anchor word allowed per scan. */
  perWord: number;
  exhausted: boolean;
}

/** Word starts glued to the word before: "USAIgnore". */
const GLUED_START = /(?<=[A-Za-z0-9])[A-Z](?=[a-z])/g;

interface Span {
  start: number;
  end: number;
}

/**
 * Every match of the compiled patterns in `text`. With `glued`, anchors glued to the previous word
 * are tried too.
 */
export function scanPatterns(
  text: string,
  compiled: CompiledPatterns,
  budget: ScanBudget,
  glued = false,
): Match[] {
  const out: Match[] = [];
  const kept = new Uint16Array(compiled.entries);
  // End of the last match per entry: an anchor inside it would find the same thing again.
  const lastEnd = new Int32Array(compiled.entries);
  const seenWord = new Uint32Array(compiled.anchorCount);
  const nearHits = compiled.near.map(() => ({ first: [] as Span[], then: [] as Span[] }));
  // Next occurrence of a character at or after a position, remembered between calls.
  const nextOf = new Map<string, { from: number; at: number }>();
  const next = (char: string, from: number) => {
    const cached = nextOf.get(char);
    if (cached && cached.from <= from && (cached.at >= from || cached.at < 0)) return cached.at;
    const at = text.indexOf(char, from);
    nextOf.set(char, { from, at });
    return at;
  };

  const tryAt = (at: number, word: string) => {
    const anchor = compiled.byAnchor.get(word);
    if (anchor === undefined) return;
    if (++seenWord[anchor.id]! > budget.perWord) {
      budget.exhausted = true;
      return;
    }
    for (const entry of anchor.entries) {
      const limit = entry.pattern ? MAX_MATCHES_PER_PATTERN : MAX_HITS_PER_PART;
      if (kept[entry.id]! >= limit || at < lastEnd[entry.id]!) continue;
      const needs = entry.pattern?.needs;
      if (needs) {
        const n = next(needs.char, at);
        if (n < 0 || n - at > needs.within) continue;
      }
      if (--budget.attempts < 0) {
        budget.exhausted = true;
        return;
      }
      const re = entry.regex;
      re.lastIndex = at;
      const m = re.exec(text);
      if (m === null) continue;
      const end = at + m[0].length;
      const p = entry.pattern;
      if (p) {
        const start = widened(text, at, p.prefix);
        if (p.accept && !p.accept(text, start, end)) continue;
        out.push({ kind: p.kind, category: p.category, weight: p.weight, start, end });
      } else {
        const hits = nearHits[entry.near]!;
        (entry.part === 0 ? hits.first : hits.then).push({ start: at, end });
      }
      kept[entry.id]!++;
      lastEnd[entry.id] = end;
    }
  };

  const anchors = compiled.anchors;
  anchors.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (!budget.exhausted && (m = anchors.exec(text)) !== null) tryAt(m.index, m[0].toLowerCase());

  if (glued && !budget.exhausted) {
    GLUED_START.lastIndex = 0;
    let tried = 0;
    const sticky = compiled.gluedAnchors;
    while (!budget.exhausted && tried++ < MAX_GLUED_STARTS && (m = GLUED_START.exec(text)) !== null) {
      sticky.lastIndex = m.index;
      const word = sticky.exec(text);
      if (word !== null) tryAt(m.index, word[0].toLowerCase());
    }
  }

  compiled.near.forEach((n, i) => {
    const { first, then } = nearHits[i]!;
    then.sort((a, b) => a.start - b.start);
    let found = 0;
    for (const f of first) {
      const t = firstStartingIn(then, f.end, f.end + n.within);
      if (t === null) continue;
      out.push({ kind: n.kind, category: n.category, weight: n.weight, start: f.start, end: t.end });
      if (++found >= MAX_MATCHES_PER_PATTERN) break;
    }
  });
  return out;
}

/** The start of a match widened over its lookbehind context ("###" before "SYSTEM:"), not over a newline. */
function widened(text: string, start: number, prefix: RegExp | undefined): number {
  if (prefix === undefined) return start;
  const from = Math.max(0, start - 256);
  const m = prefix.exec(text.slice(from, start));
  if (m === null) return start;
  let s = from + m.index;
  while (s < start && (text[s] === '\n' || text[s] === '\r')) s++;
  return s;
}

/** The first span (of spans sorted by start) starting in [from, to]. */
function firstStartingIn(spans: Span[], from: number, to: number): Span | null {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.start < from) lo = mid + 1;
    else hi = mid;
  }
  const s = spans[lo];
  return s !== undefined && s.start <= to ? s : null;
}
