// Person names without a model: evidence is a title ("Dr. Kuefer"), a cue ("my name is", "call me",
// "Dear"), a given name from a compact list, or a surname by its language's ending ("-sson", "-ová",
// "-ić"). A name then extends over following initials and capitalised words. Precision trade-offs:
// given names that are also common words ("Will", "Grant", "May") need a surname or a cue; a word
// known only by its surname ending counts only mid-sentence; lower-case names are only read after a
// strong cue or in text that has no capitals at all. Unknown capitalised words with no cue are missed.

import { type Candidate, clampScore } from './candidate.js';
import { endingMatcher } from './fold_name.js';
import { AMBIGUOUS_GIVEN_NAMES, GIVEN_NAMES, SURNAME_SUFFIXES, SURNAMES_SET } from './names_data.js';
import { COUNTRIES, STREET_SUFFIXES, UNIT_WORDS } from './places_data.js';
import { ORG_SUFFIXES } from './recognize_organization.js';
import { isAdjacent, lineContentStart, type SegmentView, type Token, tokensAfterCue } from './tokens.js';

const TITLES: ReadonlySet<string> = new Set(
  'mr mrs ms miss mx dr prof professor sir dame lord lady madam madame mme mlle herr frau sr sra srta signor signora sig rev reverend fr capt captain col gen lt sgt judge senator'.split(
    ' ',
  ),
);

/** Capitalised words that are never part of a name. */
const NOT_NAME: ReadonlySet<string> = new Set(
  `i the a an and or but if of in on at to for from by with as is are was were be been it its this that these
those my your his her our their me him us them we you he she they what who why how when where which there
here not no yes please thanks thank hello hi hey dear regards sincerely cheers best kind warm
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december today tomorrow yesterday morning evening night
inc llc ltd gmbh corp corporation company co group holdings bank university school college hospital
street road avenue lane drive court place square boulevard st rd ave apt suite unit box po
mobile phone fax email e-mail website address name date time zip code tel desk user bot admin
error warning info debug note notes subject re fw fwd`.split(/\s+/),
);

const PARTICLES: ReadonlySet<string> = new Set(
  'van von der den de da di del della du dos das le la bin ibn al el ter ten zu'.split(' '),
);
const GENERATION = /^(?:jr|sr|ii|iii|iv)$/i;

/** Cues after which a name may be lower-case: the text says a name comes next. */
const STRONG_CUE =
  /(?:\b(?:my name is|my name's|name is|names are|name's|i am called|i'm called|call me|calls me|called me|called|named|maiden name is|nickname is|surname is|full name is|first name is|last name is|name:|signed|sincerely|regards|cheers|dear|attn:?|attention:|from:|to:|cc:|author:|directed by:|written by|contact person:?|name\b[^.?!\n]{0,30}\?(?:\s{1,3}(?:user|a|answer):)?|it's under|under the name|account holder:?)[ \t]{1,4}|\b(?:hi|hello|hey|thanks|thank you|bye|goodbye|welcome)[ \t,]{1,3})/g;

/** Cues after which a capitalised word is read as a name. */
const WEAK_CUE =
  /\b(?:this is|i am|i'm|with|add|added|meet|met|ask|asked|tell|told|speak to|talk to|contact|contacted|by|says|said|according to|thanks to|tribute to|fan of|gender of|leave me|(?:wife|husband|son|daughter|brother|sister|mother|father|mom|mum|dad|kid|child|friend|partner|boyfriend|girlfriend|fiance|fiancee|spouse|colleague|boss|manager|guardian|grandfather|grandmother|grandson|granddaughter|grandpa|grandma|uncle|aunt|cousin|nephew|niece|neighbour|neighbor|roommate|tenant|landlord|lawyer|client|customer|patient|employee|producer|director|author|singer|player|speaker|beneficiary|doctor|nurse|teacher)(?:'s name is|,)?)[ \t]{1,3}/g;

type Scan = SegmentView;

/** Longest word read as part of a name. */
const MAX_NAME_WORD = 24;

function isCapWord(s: Scan, t: Token | undefined): boolean {
  return (
    t !== undefined &&
    t.kind === 'word' &&
    (t.cap || s.lowerMode) &&
    t.text.length <= MAX_NAME_WORD &&
    !NOT_NAME.has(t.key) &&
    !ORG_SUFFIXES.has(t.key)
  );
}

function isInitial(t: Token | undefined): boolean {
  return (
    t !== undefined && t.kind === 'word' && t.cap && (t.text.length === 1 || (t.text.length === 2 && t.dot))
  );
}

function adjacent(s: Scan, a: Token | undefined, b: Token | undefined): boolean {
  return isAdjacent(s.text, a, b);
}

const COUNTRY_WORDS: ReadonlySet<string> = new Set(COUNTRIES.filter((c) => !c.includes(' ')));

// Matched on the lower-cased word as written: "-ić" and "-ová" keep their accents ("Atlantic" is no "-ić").
const endsLikeSurname = endingMatcher(SURNAME_SUFFIXES, 0);

function hasSurnameEnding(t: Token): boolean {
  const k = t.key;
  if (k.length < 5 || k.length > 24 || COUNTRY_WORDS.has(k)) return false;
  return endsLikeSurname((t.dot ? t.text.slice(0, -1) : t.text).toLowerCase());
}

function isKnownSurname(t: Token): boolean {
  return t.key.length >= 2 && SURNAMES_SET.has(t.key.replace(/^(?:o'|d')/, ''));
}

function isGivenName(t: Token): boolean {
  return t.key.length >= 3 && GIVEN_NAMES.has(t.key);
}

/** Name evidence in the word itself (not its neighbours). */
function hasNameEvidence(t: Token): boolean {
  return isGivenName(t) || isKnownSurname(t) || hasSurnameEnding(t);
}

/** Words that would continue a name: initials, particles before a capitalised word, capitalised words. */
function extendName(s: Scan, i: number, maxExtra: number): number {
  const { tokens } = s;
  let last = i;
  for (let k = i + 1; k < tokens.length && k - i <= maxExtra; k++) {
    const t = tokens[k];
    if (t === undefined || !adjacent(s, tokens[k - 1], t) || t.kind !== 'word') break;
    if (tokens[k - 1]?.dot && !isInitial(tokens[k - 1]) && k - 1 !== i) break;
    if (STREET_SUFFIXES.has(t.key) || UNIT_WORDS.has(t.key)) break;
    if (isInitial(t) || GENERATION.test(t.key)) {
      last = k;
      continue;
    }
    if (PARTICLES.has(t.key) && isCapWord(s, tokens[k + 1])) continue;
    if (isCapWord(s, t)) {
      last = k;
      continue;
    }
    break;
  }
  return last;
}

function push(out: Candidate[], s: Scan, first: number, last: number, score: number): void {
  const a = s.tokens[first];
  const b = s.tokens[last];
  if (a === undefined || b === undefined) return;
  const end = b.dot && !isInitial(b) ? b.end - 1 : b.end;
  out.push({ type: 'PERSON', start: a.start, end, score: clampScore(score) });
}

export function recognizePersons(s: SegmentView, out: Candidate[]): void {
  const { tokens, lower } = s;
  const strongCued = tokensAfterCue(tokens, lower, STRONG_CUE);
  const weakCued = tokensAfterCue(tokens, lower, WEAK_CUE);
  const isPerson = new Uint8Array(tokens.length);
  const found: [first: number, last: number, score: number][] = [];

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined || t.kind !== 'word' || t.text.length > MAX_NAME_WORD) continue;
    const cap = t.cap || s.lowerMode;
    const prev = tokens[i - 1];
    // A title is "Ms." or "Dr" before a name; "42 ms later" is a unit after a number, and a lower-case
    // title without a dot counts only in text that has no capitals at all.
    const afterTitle =
      prev !== undefined &&
      prev.kind === 'word' &&
      TITLES.has(prev.key) &&
      tokens[i - 2]?.kind !== 'num' &&
      (prev.cap || prev.dot || s.lowerMode);
    if (!cap && !afterTitle && !strongCued.has(i)) continue;
    if (NOT_NAME.has(t.key) || TITLES.has(t.key)) continue;
    const titled = afterTitle && adjacent(s, prev, t);
    const next = tokens[i + 1];
    const nextAdjacent = next !== undefined && next.kind === 'word' && adjacent(s, t, next);
    const nextIsName = nextAdjacent && (isCapWord(s, next) || isInitial(next));
    const nextIsSurname =
      nextAdjacent && isCapWord(s, next) && (isKnownSurname(next) || hasSurnameEnding(next));

    let score = 0;
    let maxExtra = 4;
    if (titled && (cap || !prev.cap)) score = 0.85;
    else if (strongCued.has(i)) {
      score = 0.8;
      if (!t.cap) maxExtra = s.lowerMode ? 1 : 0;
    } else if (cap && isCapWord(s, t)) {
      const given = isGivenName(t);
      const ambiguous = AMBIGUOUS_GIVEN_NAMES.has(t.key);
      if (given && nextIsName) score = 0.85;
      else if (given) score = t.sentenceStart ? 0.6 : 0.65;
      else if (ambiguous && nextIsSurname) score = 0.75;
      else if (weakCued.has(i) && !COUNTRY_WORDS.has(t.key)) score = 0.6;
      else if (nextIsSurname && /^\p{Lu}\p{Ll}/u.test(t.text)) score = 0.6;
      else if (!t.sentenceStart && hasSurnameEnding(t)) score = 0.55;
      if (s.lowerMode) maxExtra = 1;
    }
    if (score === 0) continue;
    const last = extendName(s, i, maxExtra);
    found.push([i, last, score]);
    isPerson.fill(1, i, last + 1);
    i = last;
  }

  // "Marrero and Murphy": a capitalised word joined by "and" to a name, or two that carry name evidence.
  for (let i = 0; i + 2 < tokens.length; i++) {
    const a = tokens[i];
    const conj = tokens[i + 1];
    const b = tokens[i + 2];
    if (a === undefined || conj === undefined || b === undefined) continue;
    if (
      !(conj.key === 'and' || conj.key === 'or' || conj.text === '&') ||
      !isCapWord(s, a) ||
      !isCapWord(s, b)
    )
      continue;
    if (
      !adjacent(s, a, conj) ||
      !adjacent(s, conj, b) ||
      tokens[i + 3]?.kind === 'word' ||
      tokens[i - 1]?.kind === 'word'
    )
      continue;
    if (COUNTRY_WORDS.has(a.key) || COUNTRY_WORDS.has(b.key)) continue;
    const aKnown = isPerson[i] === 1;
    const bKnown = isPerson[i + 2] === 1;
    if (aKnown && bKnown) continue;
    if (
      aKnown ||
      bKnown ||
      (hasNameEvidence(a) && hasNameEvidence(b)) ||
      isKnownSurname(a) ||
      isKnownSurname(b)
    ) {
      if (!aKnown) found.push([i, i, 0.6]);
      if (!bKnown) found.push([i + 2, i + 2, 0.6]);
    }
  }

  // Dialogue: two or more lines "Name: ..." where one speaker is a known given name.
  const speakers: number[] = [];
  let knownSpeaker = false;
  for (let i = 0; i < tokens.length; i++) {
    if (i > 0 && tokens[i - 1]?.kind !== 'nl') continue;
    const k = lineContentStart(tokens, i);
    const t = tokens[k];
    if (t === undefined || !t.cap || t.upper || !isCapWord(s, t) || tokens[k + 1]?.text !== ':') continue;
    speakers.push(k);
    if (isGivenName(t)) knownSpeaker = true;
  }
  if (speakers.length >= 2 && knownSpeaker)
    for (const k of speakers) if (isPerson[k] !== 1) found.push([k, k, 0.65]);

  for (const [first, last, score] of found) push(out, s, first, last, score);
}

/** Every regular expression above, for the ReDoS tests. */
export const PERSON_PATTERNS: readonly RegExp[] = [STRONG_CUE, WEAK_CUE, GENERATION];
