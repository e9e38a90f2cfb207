// The word-level view of a segment shared by the address, person, organisation and contact-card
// recognisers: words, numbers, line breaks and punctuation with their offsets and a few properties.
// Tokenised once per segment by a character loop (no regular expression per token), so the cost is a
// small constant per character whatever the input looks like.

import { foldName } from './fold_name.js';

export type TokenKind = 'word' | 'num' | 'nl' | 'punct';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  text: string;
  /** Accent-folded, lower-cased, without a trailing full stop. */
  key: string;
  /** `key` with its full stop when the token has one ("u.", "ul."), else `key`. */
  dotKey: string;
  /** Ends with a full stop ("St.", "Apt.", "12."). */
  dot: boolean;
  /** Starts with an upper-case letter. */
  cap: boolean;
  /** Has letters and all of them are upper case. */
  upper: boolean;
  /** First token of a sentence (after . ! ? or a line start, or at the segment start). */
  sentenceStart: boolean;
}

/** A segment as the word-level recognisers see it. */
export interface SegmentView {
  text: string;
  lower: string;
  tokens: Token[];
  /** The segment has no upper-case letters: capitalisation is no evidence either way. */
  lowerMode: boolean;
}

export function viewOf(text: string): SegmentView {
  const lower = lowerSameLength(text);
  return { text, lower, tokens: tokenize(text), lowerMode: lower === text };
}

/** Lower case with the offsets of `text` ("İ" lowers to two code units, so it is kept as it is). */
function lowerSameLength(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const l = c.toLowerCase();
    out += l.length === 1 ? l : c;
  }
  return out;
}

// Character classes, cached per BMP code unit on first use: bit 1 letter, 2 upper, 4 lower, 8 digit, 16 mark.
const LETTER = 1;
const UPPER = 2;
const LOWER = 4;
const DIGIT = 8;
const MARK = 16;
const KNOWN = 128;
const classes = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  let v = KNOWN;
  if (c >= 65 && c <= 90) v |= LETTER | UPPER;
  else if (c >= 97 && c <= 122) v |= LETTER | LOWER;
  else if (c >= 48 && c <= 57) v |= DIGIT;
  classes[c] = v;
}

function classOf(code: number): number {
  const cached = classes[code] ?? 0;
  if (cached !== 0) return cached;
  if (code >= 0xd800 && code <= 0xdfff) {
    // Surrogates: astral letters are treated as letters (scripts beyond the BMP are rare in PII).
    classes[code] = KNOWN | LETTER;
    return KNOWN | LETTER;
  }
  const ch = String.fromCharCode(code);
  let v = KNOWN;
  if (/\p{L}/u.test(ch)) v |= LETTER;
  if (/\p{Lu}|\p{Lt}/u.test(ch)) v |= UPPER;
  if (/\p{Ll}/u.test(ch)) v |= LOWER;
  if (/\p{N}/u.test(ch)) v |= DIGIT;
  if (/\p{M}/u.test(ch)) v |= MARK;
  classes[code] = v;
  return v;
}

/** Abbreviations whose full stop does not end a sentence. */
const ABBREVIATIONS: ReadonlySet<string> = new Set(
  'mr mrs ms mx dr st apt no nr prof u jr sr ste vs etc ul al av str'.split(' '),
);
/** , . : ; ! ? ( ) > - & # / ' " * • | – and curly quotes. */
const PUNCTUATION_READ: ReadonlySet<number> = new Set([
  44, 46, 58, 59, 33, 63, 40, 41, 62, 45, 38, 35, 47, 39, 34, 42, 0x2022, 124, 0x2013, 0x201c, 0x201d, 0x2018,
  0x2019,
]);
const MAX_WORD = 48;
const MAX_NUMBER = 16;

function isSpace(code: number): boolean {
  return (
    code === 32 ||
    code === 9 ||
    code === 13 ||
    code === 11 ||
    code === 12 ||
    code === 0xa0 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x3000 ||
    code === 0x2028 ||
    code === 0x2029
  );
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let sentenceStart = true;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (isSpace(code)) {
      i++;
      continue;
    }
    const start = i;
    const cls = classOf(code);
    let kind: TokenKind;
    let upperSeen = (cls & UPPER) !== 0;
    let lowerSeen = (cls & LOWER) !== 0;
    let ascii = code < 128;
    if (code === 10) {
      kind = 'nl';
      i++;
    } else if ((cls & LETTER) !== 0) {
      kind = 'word';
      i++;
      // Letters, marks, digits and hyphens; an apostrophe unless it starts a possessive "'s".
      while (i < n && i - start < MAX_WORD) {
        const c = text.charCodeAt(i);
        const k = classOf(c);
        if ((k & (LETTER | MARK | DIGIT)) !== 0 || c === 45) {
          if ((k & UPPER) !== 0) upperSeen = true;
          if ((k & LOWER) !== 0) lowerSeen = true;
          if (c >= 128) ascii = false;
          i++;
        } else if (c === 39 || c === 0x2019) {
          if (c >= 128) ascii = false;
          const s = text.charCodeAt(i + 1);
          if ((s === 115 || s === 83) && !((classOf(text.charCodeAt(i + 2)) & (LETTER | DIGIT)) !== 0)) break;
          if ((classOf(s) & LETTER) === 0) break;
          i++;
        } else break;
      }
      if (text.charCodeAt(i) === 46) i++;
    } else if ((cls & DIGIT) !== 0) {
      kind = 'num';
      i++;
      while (i < n && i - start < MAX_NUMBER) {
        const c = text.charCodeAt(i);
        if ((classOf(c) & (DIGIT | LETTER)) !== 0 || c === 45 || c === 47) i++;
        else break;
      }
      if (text.charCodeAt(i) === 46) i++;
    } else {
      kind = 'punct';
      i += code >= 0xd800 && code <= 0xdbff && i + 1 < n ? 2 : 1;
      // Only punctuation some recogniser reads becomes a token; other symbols stay gaps between tokens.
      if (!PUNCTUATION_READ.has(code)) {
        sentenceStart = false;
        continue;
      }
    }
    const raw = text.slice(start, i);
    const dot = raw.length > 1 && raw.charCodeAt(raw.length - 1) === 46;
    const core = dot ? raw.slice(0, -1) : raw;
    let key: string;
    if (kind === 'word') key = !ascii ? foldName(core) : upperSeen ? core.toLowerCase() : core;
    else key = kind === 'num' ? core.toLowerCase() : raw;
    tokens.push({
      kind,
      start,
      end: i,
      text: raw,
      key,
      dotKey: dot ? `${key}.` : key,
      dot,
      cap: kind === 'word' && (cls & UPPER) !== 0,
      upper: kind === 'word' && upperSeen && !lowerSeen,
      sentenceStart,
    });
    if (kind === 'nl' || (kind === 'punct' && (code === 46 || code === 33 || code === 63)))
      sentenceStart = true;
    else if (
      kind === 'punct' &&
      (code === 34 ||
        code === 39 ||
        code === 0x201c ||
        code === 0x2018 ||
        code === 40 ||
        code === 62 ||
        code === 58 ||
        code === 42 ||
        code === 0x2022 ||
        code === 45)
    ) {
      // Quotes, brackets, list marks and colons keep the sentence start open.
    } else sentenceStart = kind === 'word' && dot && !(core.length === 1 || ABBREVIATIONS.has(key));
  }
  return tokens;
}

/**
 * Indexes of the tokens that start where a match of `cue` ends. `cue` must be global; it is run once
 * over `lower` (the lower-cased text), so cue phrases cost one pass, not one test per token.
 */
export function tokensAfterCue(tokens: Token[], lower: string, cue: RegExp): Set<number> {
  const found = new Set<number>();
  for (const m of lower.matchAll(cue)) {
    const at = m.index + m[0].length;
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((tokens[mid]?.start ?? 0) < at) lo = mid + 1;
      else hi = mid;
    }
    if (lo < tokens.length && tokens[lo]?.start === at) found.add(lo);
  }
  return found;
}

/** The first token of a line's content after line marks ("> ", "- ", "??? "); `i` starts the line. */
export function lineContentStart(tokens: Token[], i: number): number {
  let k = i;
  while (tokens[k]?.kind === 'punct' && /^[>\-*•?#|]$/.test(tokens[k]?.text ?? '')) k++;
  return k;
}

/** True when only 1 to `max` spaces or tabs separate the two tokens (or none after an abbreviation's dot). */
export function isAdjacent(text: string, a: Token | undefined, b: Token | undefined, max = 3): boolean {
  if (a === undefined || b === undefined) return false;
  const gap = b.start - a.end;
  if (gap === 0) return a.dot;
  if (gap < 0 || gap > max) return false;
  for (let k = a.end; k < b.start; k++) {
    const c = text.charCodeAt(k);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
