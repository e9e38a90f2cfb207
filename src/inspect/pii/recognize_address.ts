// Street addresses and places of residence, by postal structure rather than by a model. Anchors are
// the parts postal formats share (a street with its type word or ending and a house number, a unit, a
// PO or military box, "City, ST 12345", a country); anchors that sit together with only address glue
// between them (commas, line breaks, city words, postcodes) grow into one address. A cue ("my address
// is", "lives at", "send it to") lets a run of address-like words count with weaker anchors.
// Precision trade-off: a capitalised word followed by a number ("Article 50") is never an address on
// its own; lower-case free text is only read as an address after a cue.

import { type Candidate, clampScore } from './candidate.js';
import { endingMatcher, foldName } from './fold_name.js';
import {
  CITIES,
  COUNTRIES,
  STREET_ENDINGS,
  STREET_PREFIXES,
  STREET_SUFFIXES,
  STREET_WORDS_AFTER,
  UNIT_WORDS,
} from './places_data.js';
import { isAdjacent, type SegmentView, type Token, tokensAfterCue } from './tokens.js';

/** Lower-case words that may sit inside a street or place name ("Rua do Arenque", "Ostrov nad Ohří"). */
const PARTICLES: ReadonlySet<string> = new Set(
  'de do da dos das del della delle dei di du des la le les van von der den het ter ten z ze nad pod na u y e al el an am im auf sur sous en'.split(
    ' ',
  ),
);

/** Words that end a run of address words even when capitalised. */
const STOP_WORDS: ReadonlySet<string> = new Set(
  `the a an and or but if then so for of to in on at by with from as is are was were be been it its this that
these those i you he she we they my your his her our their me him us them please thanks thank yes no not
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december today tomorrow yesterday hello hi dear regards`.split(/\s+/),
);

const NUMBER = /^\d{1,6}[a-z]?\.?$/i;
const POSTCODE = /^(?:\d{3,6}(?:-\d{3,4})?|\d{2}-\d{3})$/;

function countryIndex(list: readonly string[]): Map<string, string[][]> {
  const index = new Map<string, string[][]>();
  for (const name of list) {
    const words = name.split(/\s+/).map((w) => foldName(w));
    const first = words[0] ?? '';
    index.set(first, [...(index.get(first) ?? []), words]);
  }
  for (const v of index.values()) v.sort((a, b) => b.length - a.length);
  return index;
}
const COUNTRY_INDEX = countryIndex(COUNTRIES);
const CITY_INDEX = countryIndex(CITIES);

/** Number of tokens of the gazetteer entry starting at token i (0 when none). */
function gazetteerAt(tokens: Token[], i: number, index: Map<string, string[][]>): number {
  const t = tokens[i];
  if (t === undefined || t.kind !== 'word') return 0;
  const entries = index.get(t.key);
  if (entries === undefined) return 0;
  for (const words of entries) {
    let ok = true;
    for (let k = 0; k < words.length; k++) {
      const u = tokens[i + k];
      if (u === undefined || u.kind !== 'word' || u.key !== words[k]) {
        ok = false;
        break;
      }
    }
    if (ok) return words.length;
  }
  return 0;
}

interface Anchor {
  first: number;
  last: number;
  strength: number;
}

type Scan = SegmentView;

function isNum(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'num' && NUMBER.test(t.text);
}

function isNameWord(s: Scan, t: Token | undefined): boolean {
  if (t === undefined || t.kind !== 'word' || STOP_WORDS.has(t.key)) return false;
  return t.cap || s.lowerMode;
}

/** The set has the token's key, or its key with the full stop when it has one ("u.", "ul."). */
function inSet(set: ReadonlySet<string>, t: Token | undefined): boolean {
  if (t === undefined || t.kind !== 'word') return false;
  return set.has(t.key) || (t.dot && set.has(t.dotKey));
}

function isStreetSuffix(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'word' && STREET_SUFFIXES.has(t.key);
}
function isStreetPrefix(t: Token | undefined): boolean {
  return inSet(STREET_PREFIXES, t);
}
function isStreetWordAfter(t: Token | undefined): boolean {
  return inSet(STREET_WORDS_AFTER, t);
}
const endsLikeStreet = endingMatcher([...new Set(STREET_ENDINGS.map((e) => foldName(e)))], 3);

function hasStreetEnding(t: Token | undefined): boolean {
  if (t === undefined || t.kind !== 'word' || t.key.length < 6 || t.key.length > 32) return false;
  return endsLikeStreet(t.dotKey);
}
function isUnitWord(t: Token | undefined): boolean {
  return inSet(UNIT_WORDS, t);
}

/** Adjacent tokens (only spaces between them). */
function adjacent(s: Scan, a: Token | undefined, b: Token | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.end === b.start || isAdjacent(s.text, a, b);
}

/** Name words ending at token `j` (inclusive), going left, up to `max`; returns the first index. */
function nameWordsBefore(s: Scan, j: number, max: number): number {
  let i = j;
  let n = 0;
  while (n < max) {
    const t = s.tokens[i];
    const next = s.tokens[i + 1];
    if (t === undefined || !(isNameWord(s, t) || (PARTICLES.has(t.key) && n > 0))) break;
    if (i !== j && !adjacent(s, t, next)) break;
    i--;
    n++;
  }
  // Do not start on a particle.
  while (i + 1 <= j && PARTICLES.has(s.tokens[i + 1]?.key ?? '')) i++;
  return i + 1;
}

/** Every word an anchor can start or turn on (lower-case words outside this set start nothing). */
const ADDRESS_KEYWORDS: ReadonlySet<string> = new Set([
  ...STREET_SUFFIXES,
  ...[...STREET_PREFIXES, ...STREET_WORDS_AFTER, ...UNIT_WORDS].map((w) => w.replace(/\.$/, '')),
  'box',
  'postbox',
  'postfach',
  'apartado',
  'psc',
  'cmr',
  'unit',
  'apo',
  'fpo',
  'dpo',
  'usns',
  'usnv',
  'uss',
  'usnc',
  'uscgc',
  'p',
  'o',
  'po',
]);

function findAnchors(s: Scan): Anchor[] {
  const { tokens } = s;
  const anchors: Anchor[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined || t.kind === 'nl' || t.kind === 'num') continue;
    if (t.kind === 'punct' && t.text !== ',') continue;
    // Most words of running text are lower-case and no address word: nothing below can start there.
    if (t.kind === 'word' && !t.cap && (!s.lowerMode || t.text.length < 2) && !ADDRESS_KEYWORDS.has(t.key))
      continue;
    const next = tokens[i + 1];
    const prev = tokens[i - 1];

    // A: name words + street type word ("24 Clarke Avenue", "Cheriton Dr"), optional number after.
    if (isStreetSuffix(t) && (t.cap || s.lowerMode) && i > 0 && isNameWord(s, prev) && adjacent(s, prev, t)) {
      const first = nameWordsBefore(s, i - 1, 4);
      const numBefore = isNum(tokens[first - 1]) && adjacent(s, tokens[first - 1], tokens[first]);
      const numAfter = isNum(next) && adjacent(s, t, next);
      let start = numBefore ? first - 1 : first;
      if (numBefore && isNum(tokens[start - 1]) && adjacent(s, tokens[start - 1], tokens[start])) start--;
      anchors.push({ first: start, last: numAfter ? i + 1 : i, strength: numBefore || numAfter ? 3 : 1 });
    }
    // B: street type word first ("Via Roma 131", "Rue de Virton 38", "ul. Cicha 86").
    if (isStreetPrefix(t) && (t.cap || s.lowerMode || t.dot || (isNum(prev) && adjacent(s, prev, t)))) {
      let j = i + 1;
      let names = 0;
      while (j < tokens.length && names < 4) {
        const u = tokens[j];
        if (!adjacent(s, tokens[j - 1], u)) break;
        if (isNameWord(s, u) || (u !== undefined && u.kind === 'word' && names > 0 && !STOP_WORDS.has(u.key)))
          names++;
        else if (!(u !== undefined && PARTICLES.has(u.key))) break;
        j++;
      }
      if (names > 0) {
        const numAfter = isNum(tokens[j]) && adjacent(s, tokens[j - 1], tokens[j]);
        const numBefore = isNum(prev) && adjacent(s, prev, t);
        anchors.push({
          first: numBefore ? i - 1 : i,
          last: numAfter ? j : j - 1,
          strength: numAfter || numBefore ? 3 : 1,
        });
      }
    }
    // C: name words + a separate street word + number ("Kálmán Imre u. 12.", "Luite tee 87").
    if (isStreetWordAfter(t) && i > 0 && isNameWord(s, prev) && adjacent(s, prev, t)) {
      const first = nameWordsBefore(s, i - 1, 3);
      const numAfter = isNum(next) && adjacent(s, t, next);
      anchors.push({ first, last: numAfter ? i + 1 : i, strength: numAfter ? 3 : 1 });
    }
    // D: one-word street name by its ending + number ("Koskikatu 25", "Strickstrasse 61").
    if ((t.cap || s.lowerMode) && hasStreetEnding(t)) {
      const numAfter = isNum(next) && adjacent(s, t, next);
      anchors.push({ first: i, last: numAfter ? i + 1 : i, strength: numAfter ? 3 : 1 });
    }
    // E: unit ("Apt. 864", "Suite 464", "Unit #5").
    if (isUnitWord(t)) {
      let j = i + 1;
      if (tokens[j]?.text === '#') j++;
      if (isNum(tokens[j]) && adjacent(s, tokens[j - 1], tokens[j]))
        anchors.push({ first: i, last: j, strength: 2 });
    }
    // F: boxes: "P.O. Box 12", "PO Box 12", "Postbox 21", "PSC 3294, Box 9168", "APO AA 61487", ships.
    if (t.kind === 'word') {
      const k = t.key;
      if ((k === 'box' || k === 'postbox' || k === 'postfach' || k === 'apartado') && isNum(next)) {
        let first = i;
        if (tokens[i - 1]?.key === 'po' || tokens[i - 1]?.key === 'o') first = i - 1;
        if (tokens[first - 1]?.key === 'p') first--;
        anchors.push({ first, last: i + 1, strength: 3 });
      }
      if ((k === 'psc' || k === 'cmr' || (k === 'unit' && t.cap)) && isNum(next)) {
        const box = tokens[i + 2]?.text === ',' ? i + 3 : i + 2;
        if (tokens[box]?.key === 'box' && isNum(tokens[box + 1]))
          anchors.push({ first: i, last: box + 1, strength: 3 });
      }
      if (
        (k === 'apo' || k === 'fpo' || k === 'dpo') &&
        /^(?:aa|ae|ap)$/.test(next?.key ?? '') &&
        isNum(tokens[i + 2])
      ) {
        anchors.push({ first: i, last: i + 2, strength: 3 });
      }
      if (
        (k === 'usns' || k === 'usnv' || k === 'uss' || k === 'usnc' || k === 'uscgc') &&
        next?.kind === 'word'
      ) {
        anchors.push({ first: i, last: i + 1, strength: 3 });
      }
    }
    // G: "City, ST 12345".
    if (t.text === ',' && isNameWord(s, prev)) {
      const state = next;
      const zip = tokens[i + 2];
      if (
        state !== undefined &&
        state.kind === 'word' &&
        state.upper &&
        /^[A-Z]{2,3}$/.test(state.text) &&
        zip !== undefined &&
        zip.kind === 'num' &&
        POSTCODE.test(zip.text)
      ) {
        anchors.push({ first: nameWordsBefore(s, i - 1, 3), last: i + 2, strength: 3 });
      }
    }
    // I: "20789 Allika 46" (house number, name, number) is a street line; "Brisas 6802" alone is weak.
    if (
      isNameWord(s, t) &&
      !STOP_WORDS.has(t.key) &&
      (i === 0 || !isNameWord(s, prev) || !adjacent(s, prev, t))
    ) {
      let j = i;
      while (j - i < 3 && isNameWord(s, tokens[j + 1]) && adjacent(s, tokens[j], tokens[j + 1])) j++;
      const numAfter = tokens[j + 1];
      if (
        isNum(numAfter) &&
        adjacent(s, tokens[j], numAfter) &&
        numAfter !== undefined &&
        /^\d{1,5}[a-z]?\.?$/i.test(numAfter.text)
      ) {
        const numBefore = isNum(prev) && adjacent(s, prev, t);
        const titleCase = s.lowerMode || /^\p{Lu}\p{Ll}/u.test(t.text) || /^\p{Lu}+$/u.test(t.text);
        anchors.push({
          first: numBefore ? i - 1 : i,
          last: j + 1,
          strength: numBefore && titleCase ? 2 : 0.5,
        });
      }
    }
    // H: a country, with a postcode after it ("Estonia 62031") or alone (glue only).
    const country = gazetteerAt(tokens, i, COUNTRY_INDEX);
    if (country > 0 && (t.cap || s.lowerMode)) {
      const after = tokens[i + country];
      const withCode =
        after !== undefined &&
        after.kind === 'num' &&
        POSTCODE.test(after.text) &&
        adjacent(s, tokens[i + country - 1], after);
      anchors.push({
        first: i,
        last: withCode ? i + country : i + country - 1,
        strength: withCode ? 1.5 : 0.5,
      });
      i += country - 1;
    }
  }
  return anchors.sort((a, b) => a.first - b.first || b.last - a.last);
}

/** Tokens that may sit between two anchors of one address. */
function isGlue(s: Scan, t: Token): boolean {
  if (t.kind === 'nl' || t.kind === 'num') return true;
  if (t.kind === 'punct') return /^[,\-–>()'"]$/.test(t.text);
  return isNameWord(s, t) || (t.upper && t.text.length <= 3) || PARTICLES.has(t.key);
}

/** Line-prefix marks ("> ", "??? ") between address lines count as glue after a line break. */
function isLineMark(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  if (t === undefined || t.kind !== 'punct') return false;
  let k = i - 1;
  while (k >= 0 && tokens[k]?.kind === 'punct' && tokens[k]?.text === t.text) k--;
  return k < 0 || tokens[k]?.kind === 'nl';
}

interface Region {
  first: number;
  last: number;
  strength: number;
}

function mergeAnchors(s: Scan, anchors: Anchor[]): Region[] {
  const regions: Region[] = [];
  for (const a of anchors) {
    const r = regions[regions.length - 1];
    if (r !== undefined && a.first <= r.last + 1) {
      r.last = Math.max(r.last, a.last);
      r.strength += a.first > r.last ? a.strength : a.strength / 2;
      continue;
    }
    if (r !== undefined && a.first - r.last <= 9) {
      let glue = true;
      let words = 0;
      for (let k = r.last + 1; k < a.first; k++) {
        const t = s.tokens[k];
        if (t === undefined) continue;
        if (t.kind === 'word') words++;
        if (!(isGlue(s, t) || isLineMark(s.tokens, k)) || words > 4) {
          glue = false;
          break;
        }
      }
      if (glue) {
        r.last = Math.max(r.last, a.last);
        r.strength += a.strength;
        continue;
      }
    }
    regions.push({ ...a });
  }
  return regions;
}

/** Extends a region over a trailing ", City", "\nCity\n, ST\n Country 12345" (items ended by , or a line end). */
function extendRight(s: Scan, r: Region): void {
  const { tokens } = s;
  let k = r.last + 1;
  for (let items = 0; items < 4; items++) {
    let j = k;
    // Separators: commas, line breaks, line marks.
    let separated = false;
    while (
      j < tokens.length &&
      (tokens[j]?.text === ',' || tokens[j]?.kind === 'nl' || isLineMark(tokens, j))
    ) {
      separated = true;
      j++;
    }
    if (!separated) {
      // A postcode right after the last anchor ("Estonia 62031" is taken by H; "Apt. 5 12345" is not).
      break;
    }
    const itemStart = j;
    let words = 0;
    while (j < tokens.length) {
      const t = tokens[j];
      if (t === undefined) break;
      if (t.kind === 'word' && (isNameWord(s, t) || PARTICLES.has(t.key) || (t.upper && t.text.length <= 3)))
        words++;
      else if (
        !(t.kind === 'num' && POSTCODE.test(t.text.replace(/\.$/, ''))) &&
        !(t.text === '(' || t.text === ')')
      )
        break;
      if (words > 4) break;
      j++;
      if (tokens[j - 1]?.dot && tokens[j - 1]?.kind === 'word' && !isStreetSuffix(tokens[j - 1])) break;
    }
    if (j === itemStart || words > 4) break;
    const end = tokens[j];
    const terminated =
      end === undefined ||
      end.text === ',' ||
      end.kind === 'nl' ||
      /^[.?!)]$/.test(end.text) ||
      tokens[j - 1]?.dot === true;
    if (!terminated) break;
    r.last = j - 1;
    k = j;
  }
}

const POSTCODE_CUE =
  /\b(?:zip|zip code|zipcode|postcode|post code|postal code|plz)\b[ \t]{0,3}(?:is|:|#|no\.?)?[ \t]{0,3}((?:\d{3,6}(?:[ -]\d{2,4})?|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})(?: ?[A-Z]{2}(?![\p{L}\p{N}]))?)(?![\p{L}\p{N}])/giu;

const ADDRESS_CUE =
  /(?:\baddress(?:es)?\b[^.?!\n]{0,40}?(?:\bis|\bare|:|\bto|\bwith|\bof)|\b(?:live|lives|living|lived|reside|resides|residing|located|situated|stay|staying)\s(?:at|on)|\b(?:send|sent|ship|shipped|deliver|delivered|mail|mailed|post|posted|return|returned|forward|forwarded|drop|meet me|stop|pick me up)(?:\s(?:it|this|them|me|us|the \w{1,12}))?\s(?:to|at|on)|\bcorner of|\bside of|\benter on|\bhere they are:|\bit'?s in|\bmoved to|\bmoving to)[ \t]{0,8}\n?[ \t]{0,8}/g;

/** A run of address-like tokens right after an address cue, ended by sentence punctuation or a plain word. */
function cueRun(s: Scan, startToken: number): Region | undefined {
  const { tokens } = s;
  let j = startToken;
  let digits = false;
  let words = 0;
  while (j < tokens.length && j - startToken < 40) {
    const t = tokens[j];
    if (t === undefined) break;
    if (t.kind === 'num') digits = true;
    else if (t.kind === 'word') {
      const addressWord =
        isNameWord(s, t) ||
        PARTICLES.has(t.key) ||
        (t.key === 'and' && words > 0) ||
        isStreetSuffix(t) ||
        isStreetPrefix(t) ||
        isStreetWordAfter(t) ||
        isUnitWord(t) ||
        (t.upper && t.text.length <= 3);
      if (!addressWord) break;
      words++;
    } else if (t.kind === 'punct' && !/^[,\-–#/'()]$/.test(t.text)) break;
    j++;
    if (
      t.kind !== 'punct' &&
      t.dot &&
      !isStreetSuffix(t) &&
      !isUnitWord(t) &&
      !isStreetWordAfter(t) &&
      !isStreetPrefix(t) &&
      !/^(?:p|o|po|st|no|nr)$/.test(t.key) &&
      t.text.length > 2
    ) {
      break;
    }
  }
  let last = j - 1;
  while (
    last >= startToken &&
    (tokens[last]?.kind === 'punct' || tokens[last]?.kind === 'nl' || tokens[last]?.key === 'and')
  )
    last--;
  if (last < startToken || !digits) return undefined;
  return { first: startToken, last, strength: 2 };
}

const PLACE_CUE =
  /(?:\b(?:live|lives|living|lived|reside|resides|residing|based|born|grew up|raised|moved(?: here| there| back)?|moving|relocated|emigrated|flew|fly|flying|travel(?:l?ed|l?ing)?|drove|arrived|returned|headed|i'?m|i am|we'?re|we are|he'?s|she'?s|they'?re|trip|visit(?:ed|ing)?|coming)\s(?:from|to|in|at)|\b(?:city|town|village|municipality|province|region|county) of|\b(?:home ?town|home city|where:))[ \t]{1,4}/g;

function spanOf(s: Scan, r: { first: number; last: number }): { start: number; end: number } {
  const first = s.tokens[r.first];
  const last = s.tokens[r.last];
  if (first === undefined || last === undefined) return { start: 0, end: 0 };
  let end = last.end;
  // A sentence-final full stop is not part of the address; an abbreviation's is.
  const abbreviation =
    last.key.length <= 4 && (isStreetSuffix(last) || isUnitWord(last) || isStreetWordAfter(last));
  if (last.dot && last.kind === 'word' && !abbreviation) end--;
  if (last.dot && last.kind === 'num' && r.last + 1 >= s.tokens.length) end--;
  return { start: first.start, end };
}

export function recognizeAddresses(s: SegmentView, out: Candidate[]): void {
  const { text, tokens } = s;
  const regions = mergeAnchors(s, findAnchors(s));
  const cueStarts = tokensAfterCue(tokens, s.lower, ADDRESS_CUE);
  const regionScores: number[] = [];
  for (const r of regions) {
    // A house number right before the first anchor ("6750 Koskikatu 25").
    if (isNum(tokens[r.first - 1]) && adjacent(s, tokens[r.first - 1], tokens[r.first])) r.first--;
    if (r.strength >= 1.5) extendRight(s, r);
    let score = r.strength >= 3 ? 0.85 : r.strength >= 2 ? 0.7 : r.strength >= 1.5 ? 0.55 : 0.35;
    if (r.strength >= 4) score = 0.9;
    for (let k = Math.max(0, r.first - 1); k <= r.first; k++) if (cueStarts.has(k)) score += 0.15;
    regionScores.push(clampScore(score));
    const { start, end } = spanOf(s, r);
    if (end > start) out.push({ type: 'STREET_ADDRESS', start, end, score: clampScore(score) });
  }
  for (const i of cueStarts) {
    const run = cueRun(s, i);
    if (run === undefined) continue;
    const { start, end } = spanOf(s, run);
    // A run after a cue scores at least as high as the anchors inside it, so the whole run is kept.
    let score = 0.9;
    regions.forEach((r, k) => {
      if (r.first >= run.first && r.last <= run.last && r.strength >= 1.5)
        score = Math.max(score + 0.05, regionScores[k] ?? 0);
    });
    if (end > start) out.push({ type: 'STREET_ADDRESS', start, end, score: clampScore(Math.min(score, 1)) });
  }
  const postal = s.lower.includes('zip') || s.lower.includes('post') || s.lower.includes('plz');
  for (const m of postal ? text.matchAll(POSTCODE_CUE) : []) {
    const code = m[1] ?? '';
    const start = m.index + m[0].length - code.length;
    out.push({ type: 'STREET_ADDRESS', start, end: start + code.length, score: 0.7 });
  }
  recognizePlaces(s, out);
}

/** Places of residence and travel: a gazetteer place, or capitalised words after a place cue. */
function recognizePlaces(s: Scan, out: Candidate[]): void {
  const { tokens, lower } = s;
  const cued = tokensAfterCue(tokens, lower, PLACE_CUE);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined || t.kind !== 'word' || !(t.cap || s.lowerMode)) continue;
    const cue = cued.has(i);
    const gazetteer = Math.max(gazetteerAt(tokens, i, COUNTRY_INDEX), gazetteerAt(tokens, i, CITY_INDEX));
    let n = gazetteer;
    if (n === 0 && cue && isNameWord(s, t)) {
      n = 1;
      while (n < 4) {
        const u = tokens[i + n];
        if (u === undefined || !adjacent(s, tokens[i + n - 1], u)) break;
        if (!(
          isNameWord(s, u) ||
          (PARTICLES.has(u.key) && isNameWord(s, tokens[i + n + 1])) ||
          u.text === '-'
        ))
          break;
        n++;
      }
    }
    if (n === 0) continue;
    const last = tokens[i + n - 1];
    if (last === undefined) continue;
    const preposition = /\b(?:in|from|to|at|near|across|throughout|around)\s$/.test(
      lower.slice(Math.max(0, t.start - 12), t.start),
    );
    const score = cue ? 0.65 : gazetteer > 0 && preposition ? 0.5 : 0.4;
    const end = last.dot && !/^(?:st|ste|mt)$/.test(last.key) ? last.end - 1 : last.end;
    out.push({ type: 'LOCATION', start: t.start, end, score });
    i += n - 1;
  }
}

/** Every regular expression above, for the ReDoS tests. */
export const ADDRESS_PATTERNS: readonly RegExp[] = [ADDRESS_CUE, PLACE_CUE, POSTCODE_CUE, NUMBER, POSTCODE];
