// Organisation names, reported because an employer next to a person is a quasi-identifier. Evidence:
// a legal or sector suffix ("Civic Impulse LLC", "Rapid Cycle Solutions"), the partnership shape
// "Marshall, Hernandez and Simpson", or an employment or company cue ("I work for X", "X is a design
// agency"). Precision trade-off: one-word brand names with no suffix and no cue are missed.

import { type Candidate } from './candidate.js';
import { isAdjacent, type SegmentView, type Token, tokensAfterCue } from './tokens.js';

/** Words that end an organisation name: legal forms, then sector words. */
export const ORG_SUFFIXES: ReadonlySet<string> = new Set(
  `inc incorporated llc llp lp plc ltd limited gmbh ag kg se sa sas sarl spa srl bv nv oy oyj ab as asa aps kft
zrt corp corporation co company companies group holdings holding partners associates sons bros brothers
technologies technology solutions systems software labs laboratories industries enterprises international
global consulting consultants services capital investments ventures bank insurance foundation institute
university college agency media networks communications pharmaceuticals pharma motors airlines markets
research analytics resources trust fund financial energy logistics movers studios productions publishing
healthcare health clinic hospital`.split(/\s+/),
);

const CONNECTORS: ReadonlySet<string> = new Set(['&', 'and', 'of', 'the', 'de', 'for', 'und', 'et', 'y']);

const EMPLOYMENT_CUE =
  /\b(?:work(?:s|ed|ing)? (?:for|at)|employed (?:by|at)|employer(?: is|:)|job at|position at|joined|joining|intern(?:ed|ing)? at|company(?: is|:)|organi[sz]ation(?: is|:)|support|hired by|contractor for|on behalf of|client of)[ \t]{1,3}/g;
const COMPANY_APPOSITIVE =
  /^[ \t]{1,3}(?:is|was)\s(?:an?|the)\s(?:[\p{L}-]{1,20}\s){0,4}(?:company|agency|firm|bank|startup|start-up|corporation|business|organi[sz]ation|nonprofit|non-profit|charity|501\(c\)3|brand|retailer|manufacturer|provider|vendor|consultancy|publisher|studio|lab|group|platform|insurer)\b/u;

function isCapWord(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'word' && (t.cap || t.upper);
}

function adjacent(text: string, a: Token | undefined, b: Token | undefined): boolean {
  return a !== undefined && b !== undefined && a.end !== b.start && isAdjacent(text, a, b);
}

/** Capitalised words (with inner connectors) starting at i; returns the last index. */
function capitalisedRun(text: string, tokens: Token[], i: number, max: number): number {
  let last = i;
  for (let k = i + 1; k < tokens.length && k - i < max; k++) {
    const t = tokens[k];
    if (t === undefined || !adjacent(text, tokens[k - 1], t)) break;
    if (isCapWord(t) && !tokens[k - 1]?.dot) last = k;
    else if (t !== undefined && (CONNECTORS.has(t.key) || t.text === '&') && isCapWord(tokens[k + 1]))
      continue;
    else break;
  }
  return last;
}

export function recognizeOrganizations(s: SegmentView, out: Candidate[]): void {
  const { text, tokens, lower } = s;
  const employed = tokensAfterCue(tokens, lower, EMPLOYMENT_CUE);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!isCapWord(t) || t === undefined) continue;
    const last = capitalisedRun(text, tokens, i, 6);
    const end = tokens[last];
    if (end === undefined) continue;

    // "Marshall, Hernandez and Simpson": capitalised word, comma, capitalised word, "and", capitalised word.
    const comma = tokens[i + 1];
    if (
      last === i &&
      comma?.text === ',' &&
      isCapWord(tokens[i + 2]) &&
      tokens[i + 3]?.key === 'and' &&
      isCapWord(tokens[i + 4])
    ) {
      const tail = tokens[i + 4];
      if (tail !== undefined && tokens[i + 5]?.text !== ',') {
        out.push({ type: 'ORGANIZATION', start: t.start, end: tail.end - (tail.dot ? 1 : 0), score: 0.7 });
        i += 4;
        continue;
      }
    }

    let score = 0;
    if (last > i && ORG_SUFFIXES.has(end.key)) score = 0.7;
    else if (last === i && ORG_SUFFIXES.has(end.key)) score = 0;
    else {
      // A suffix right after the run ("Johnson Inc.", "Otc Markets").
      if (employed.has(i)) score = 0.65;
      else if (t.sentenceStart && COMPANY_APPOSITIVE.test(text.slice(end.end, end.end + 80))) score = 0.65;
    }
    if (score === 0) continue;
    const stop = end.dot && !ORG_SUFFIXES.has(end.key) ? end.end - 1 : end.end;
    out.push({ type: 'ORGANIZATION', start: t.start, end: stop, score });
    i = last;
  }
}

/** Every regular expression above, for the ReDoS tests. */
export const ORGANIZATION_PATTERNS: readonly RegExp[] = [EMPLOYMENT_CUE, COMPANY_APPOSITIVE];
