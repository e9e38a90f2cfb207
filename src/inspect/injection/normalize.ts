// Text as the patterns should see it: invisible characters removed, compatibility forms and look-alike
// letters folded to ASCII, spaced-out letters joined. Every character of the result keeps the offsets of
// the original characters it came from (OffsetMap), so a signal found in the folded text points into the
// original; and every change made on the way is reported, because hiding a word is itself a signal.
// Linear time: plain ASCII is copied in bulk and only non-ASCII runs are read character by character.

import { OffsetMap } from './offset_map.js';

export interface FoldedText {
  text: string;
  map: OffsetMap;
  findings: Finding[];
}

export type FindingKind =
  | 'zero-width'
  | 'bidi-control'
  | 'unicode-tags'
  | 'mixed-script'
  | 'compatibility-letters'
  | 'spaced-letters';

/** Something the folding removed or rewrote, at original offsets; `folded` is what it became. */
export interface Finding {
  kind: FindingKind;
  start: number;
  end: number;
  folded: string;
}

/** Look-alikes folded to the Latin letter they imitate (Cyrillic, Greek, a few others): pairs "<look-alike><latin>". */
const CONFUSABLES: Readonly<Record<string, string>> = Object.fromEntries(
  (
    'аa вb еe ёe кk мm нh оo рp сc тt уy хx ѕs іi їi јj ԁd ԛq ԝw һh ɡg ӏl үy ' +
    'АA ВB ЕE КK МM НH ОO РP СC ТT УY ХX ЅS ІI ЈJ ҮY ӀI ԀD ԚQ ԜW ' +
    'αa οo ρp νv ιi κk τt υu χx εe γy ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX ' +
    'ɑa ıi ȷj ʏy ᴄc ᴏo ᴠv ᴡw ᴢz'
  )
    .split(' ')
    .map((pair) => [pair.slice(0, -1), pair.slice(-1)]),
);

/** What a code point is for folding purposes. */
const Class = {
  /** Kept as is (punctuation, symbols, emoji, letters of scripts without look-alikes in the table). */
  Other: 1,
  /** A letter of a non-Latin script, kept. */
  ForeignLetter: 2,
  /** A Latin letter with accents or similar, folded to ASCII by removing the marks. */
  AccentedLatin: 3,
  /** A look-alike folded to a Latin letter. */
  Lookalike: 4,
  /** A compatibility form (fullwidth, mathematical, circled...) folded to ASCII. */
  Compat: 5,
  /** Zero-width and other invisible format characters: removed. */
  Invisible: 6,
  /** Bidi embedding, override and isolate controls: removed. */
  BidiControl: 7,
  /** Combining marks: removed (the letter they sit on stays). */
  Mark: 8,
  /** Unicode tag characters (U+E0000..E007F): removed and decoded as hidden ASCII. */
  Tag: 9,
} as const;
type Class = (typeof Class)[keyof typeof Class];

interface Fold {
  cls: Class;
  out: string;
}

const COMBINING = /\p{M}/gu;
const IS_MARK = /^\p{M}$/u;
const IS_LETTER = /^\p{L}$/u;

function isInvisible(cp: number): boolean {
  return (
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    cp === 0xfeff ||
    cp === 0x00ad ||
    cp === 0x180e ||
    cp === 0x034f ||
    cp === 0x061c ||
    cp === 0x115f ||
    cp === 0x1160 ||
    cp === 0x3164 ||
    cp === 0xffa0 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef)
  );
}
const isBidiControl = (cp: number) => (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);

function classify(cp: number): Fold {
  if (cp >= 0xe0000 && cp <= 0xe007f) return { cls: Class.Tag, out: '' };
  if (isInvisible(cp)) return { cls: Class.Invisible, out: '' };
  if (isBidiControl(cp)) return { cls: Class.BidiControl, out: '' };
  const ch = String.fromCodePoint(cp);
  const look = CONFUSABLES[ch];
  if (look !== undefined) return { cls: Class.Lookalike, out: look };
  if (IS_MARK.test(ch)) return { cls: Class.Mark, out: '' };
  const compat = ch.normalize('NFKD').replace(COMBINING, '');
  const canonical = ch.normalize('NFD').replace(COMBINING, '');
  if (compat !== canonical && /^[\x20-\x7e]+$/.test(compat)) return { cls: Class.Compat, out: compat };
  if (/^[A-Za-z]$/.test(canonical)) return { cls: Class.AccentedLatin, out: canonical };
  return { cls: IS_LETTER.test(ch) ? Class.ForeignLetter : Class.Other, out: ch };
}

const bmpCache: (Fold | undefined)[] = new Array<Fold | undefined>(0x10000);
const astralCache = new Map<number, Fold>();
function foldOf(cp: number): Fold {
  if (cp < 0x10000) return (bmpCache[cp] ??= classify(cp));
  let f = astralCache.get(cp);
  if (f === undefined) {
    f = classify(cp);
    if (astralCache.size < 4096) astralCache.set(cp, f);
  }
  return f;
}

const HAS_NON_ASCII = /[^\x00-\x7f]/;
const isAsciiLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isAsciiWordUnit = (c: number) => isAsciiLetter(c) || (c >= 0x30 && c <= 0x39);
/** Findings of one kind kept per folded text; more add nothing the first ones do not already say. */
const MAX_FINDINGS_PER_KIND = 32;

/** Fold `text`: offsets in the result's map and findings are relative to `text`. */
export function foldText(text: string): FoldedText {
  const findings = new FindingList();
  const layer1 = foldCharacters(text, findings);
  const layer2 = joinSpacedLetters(layer1, findings);
  return { ...layer2, findings: findings.items };
}

class FindingList {
  readonly items: Finding[] = [];
  private counts = new Map<FindingKind, number>();
  add(f: Finding): void {
    const n = this.counts.get(f.kind) ?? 0;
    if (n >= MAX_FINDINGS_PER_KIND) return;
    this.counts.set(f.kind, n + 1);
    this.items.push(f);
  }
  /** Whether another finding of this kind would be dropped (so need not be worked out). */
  full(kind: FindingKind): boolean {
    return (this.counts.get(kind) ?? 0) >= MAX_FINDINGS_PER_KIND;
  }
}

/** A growable buffer of UTF-16 units with, per unit, the Class of the character it came from. */
class UnitBuffer {
  units: Uint16Array;
  classes: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.units = new Uint16Array(Math.max(16, capacity));
    this.classes = new Uint8Array(Math.max(16, capacity));
  }
  private ensure(extra: number): void {
    if (this.length + extra <= this.units.length) return;
    const size = Math.max(this.length + extra, this.units.length * 2);
    const units = new Uint16Array(size);
    units.set(this.units.subarray(0, this.length));
    const classes = new Uint8Array(size);
    classes.set(this.classes.subarray(0, this.length));
    this.units = units;
    this.classes = classes;
  }
  pushUnit(unit: number, cls: number): void {
    this.ensure(1);
    this.units[this.length] = unit;
    this.classes[this.length] = cls;
    this.length++;
  }
  pushString(s: string, cls: number): void {
    this.ensure(s.length);
    for (let k = 0; k < s.length; k++) {
      this.units[this.length] = s.charCodeAt(k);
      this.classes[this.length] = cls;
      this.length++;
    }
  }
  toString(): string {
    return UTF16.decode(this.units.subarray(0, this.length));
  }
}
const UTF16 = new TextDecoder('utf-16le');

function foldCharacters(text: string, findings: FindingList): { text: string; map: OffsetMap } {
  if (!HAS_NON_ASCII.test(text)) return { text, map: OffsetMap.identity(text.length) };

  const n = text.length;
  const map = new OffsetMap(64);
  const out = new UnitBuffer(n);
  let sawSuspectLetter = false;
  // Start of the current run of units copied with unchanged offsets.
  let runSource = 0;
  let runOut = 0;
  const closeRun = (sourceEnd: number) => {
    map.copied(runOut, runSource, sourceEnd - runSource);
  };
  const restartRun = (source: number) => {
    runSource = source;
    runOut = out.length;
  };

  let tagStart = -1;
  let tagEnd = -1;
  let tagDecoded = '';
  const closeTags = () => {
    if (tagStart < 0) return;
    findings.add({ kind: 'unicode-tags', start: tagStart, end: tagEnd, folded: tagDecoded });
    tagStart = -1;
    tagDecoded = '';
  };
  let hiddenStart = -1;
  let hiddenEnd = -1;
  let hiddenCount = 0;
  const closeHidden = () => {
    if (hiddenStart < 0) return;
    // Inside a Latin word (Latin letters on both sides), or three or more in a row: hiding something.
    if (
      !findings.full('zero-width') &&
      (hiddenCount >= 3 || (isLatinAt(text, hiddenStart - 1, true) && isLatinAt(text, hiddenEnd, false)))
    )
      findings.add({ kind: 'zero-width', start: hiddenStart, end: hiddenEnd, folded: '' });
    hiddenStart = -1;
    hiddenCount = 0;
  };

  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (hiddenStart >= 0) closeHidden();
      if (tagStart >= 0) closeTags();
      out.pushUnit(c, 0);
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const fold = foldOf(cp);
    const cls = fold.cls;
    if (cls !== Class.Invisible && hiddenStart >= 0) closeHidden();
    if (cls !== Class.Tag && tagStart >= 0) closeTags();
    if (cls === Class.Lookalike || cls === Class.Compat) sawSuspectLetter = true;
    if (fold.out.length === width && cls !== Class.Mark) {
      // Same number of units: offsets unchanged, the run of copied offsets goes on.
      if (width === 1) out.pushUnit(fold.out.charCodeAt(0), cls);
      else out.pushString(fold.out, cls);
      i += width;
      continue;
    }
    closeRun(i);
    if (cls === Class.Tag) {
      if (tagStart < 0) tagStart = i;
      tagEnd = i + width;
      if (cp >= 0xe0020 && cp <= 0xe007e && tagDecoded.length < 4096)
        tagDecoded += String.fromCharCode(cp - 0xe0000);
    } else if (cls === Class.Invisible) {
      if (hiddenStart < 0) hiddenStart = i;
      hiddenEnd = i + width;
      hiddenCount++;
    } else if (cls === Class.BidiControl) {
      findings.add({ kind: 'bidi-control', start: i, end: i + width, folded: '' });
    } else if (cls !== Class.Mark) {
      map.replaced(out.length, i, i + width);
      out.pushString(fold.out, cls);
      restartRun(i + width);
      map.copied(out.length, i + width, 0);
      i += width;
      continue;
    }
    i += width;
    restartRun(i);
  }
  closeRun(n);
  closeHidden();
  closeTags();
  map.finish(out.length, n);
  const folded = out.toString();
  if (sawSuspectLetter) classifyWords(folded, out.classes, map, findings);
  return { text: folded, map };
}

/** Whether the code point ending (before = true) or starting at `at` is a Latin letter or folds to one. */
function isLatinAt(text: string, at: number, before: boolean): boolean {
  if (at < 0 || at >= text.length) return false;
  let cp = text.charCodeAt(at);
  if (before && cp >= 0xdc00 && cp <= 0xdfff && at > 0) cp = text.codePointAt(at - 1)!;
  else cp = text.codePointAt(at)!;
  if (cp < 0x80) return isAsciiLetter(cp);
  const cls = foldOf(cp).cls;
  return cls === Class.Lookalike || cls === Class.Compat || cls === Class.AccentedLatin;
}

/**
 * A word that mixes look-alikes with genuine Latin letters ("іgnоre" with Cyrillic і and о) is
 * disguised; so is a word written in compatibility forms ("ｉｇｎｏｒｅ", "𝐢𝐠𝐧𝐨𝐫𝐞").
 */
function classifyWords(folded: string, classes: Uint8Array, map: OffsetMap, findings: FindingList): void {
  const n = folded.length;
  const inWord = (k: number) => {
    const cls = classes[k]!;
    return cls === 0 ? isAsciiWordUnit(folded.charCodeAt(k)) : cls !== Class.Other;
  };
  let k = 0;
  while (k < n) {
    if (!inWord(k)) {
      k++;
      continue;
    }
    const s = k;
    let plain = 0;
    let lookalike = 0;
    let compat = 0;
    while (k < n && inWord(k)) {
      const cls = classes[k]!;
      if (cls === Class.Lookalike) lookalike++;
      else if (cls === Class.Compat) compat++;
      else if (cls === 0 && isAsciiLetter(folded.charCodeAt(k))) plain++;
      k++;
    }
    if (lookalike > 0 && plain > 0)
      findings.add({
        kind: 'mixed-script',
        ...map.toOriginal(s, k),
        folded: folded.slice(s, Math.min(k, s + 64)),
      });
    else if (compat > 0)
      findings.add({
        kind: 'compatibility-letters',
        ...map.toOriginal(s, k),
        folded: folded.slice(s, Math.min(k, s + 64)),
      });
  }
}

/**
 * Single letters separated by one to three separators (space, tab, dot, hyphen, underscore, asterisk),
 * four or more of them: "i g n o r e", "I.G.N.O.R.E". A gap of two or more separators is a word break.
 */
const SPACED = /(?<![A-Za-z0-9])[A-Za-z](?:[ \t\u00a0._*-]{1,3}[A-Za-z](?![A-Za-z0-9])){3,}/g;

/** "i g n o r e  a l l" → "ignore all": one separator is dropped, two or more are a word break. */
function joinLetters(run: string): string {
  const units = new Uint16Array(run.length);
  let length = 0;
  let gap = 0;
  for (let k = 0; k < run.length; k++) {
    const c = run.charCodeAt(k);
    if (isAsciiLetter(c)) {
      if (gap >= 2) units[length++] = 0x20;
      units[length++] = c;
      gap = 0;
    } else gap++;
  }
  return UTF16.decode(units.subarray(0, length));
}

/** Each joined run becomes one segment of the map: a signal inside it points at the whole run. */
function joinSpacedLetters(
  layer: { text: string; map: OffsetMap },
  findings: FindingList,
): { text: string; map: OffsetMap } {
  const { text } = layer;
  SPACED.lastIndex = 0;
  if (!SPACED.test(text)) return layer;
  const map = new OffsetMap(64, layer.map);
  const parts: string[] = [];
  let outLength = 0;
  let copiedTo = 0;
  SPACED.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SPACED.exec(text)) !== null) {
    const from = m.index;
    const to = from + m[0].length;
    if (from > copiedTo) {
      map.copied(outLength, copiedTo, from - copiedTo);
      parts.push(text.slice(copiedTo, from));
      outLength += from - copiedTo;
    }
    const compact = joinLetters(m[0]);
    map.replaced(outLength, from, to);
    parts.push(compact);
    outLength += compact.length;
    findings.add({
      kind: 'spaced-letters',
      ...layer.map.toOriginal(from, to),
      folded: compact.slice(0, 256),
    });
    copiedTo = to;
  }
  if (copiedTo < text.length) {
    map.copied(outLength, copiedTo, text.length - copiedTo);
    parts.push(text.slice(copiedTo));
    outLength += text.length - copiedTo;
  }
  map.finish(outLength, text.length);
  return { text: parts.join(''), map };
}
