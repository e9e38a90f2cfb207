// Contact cards and signatures: a name on its own line, often a company on the next, then address,
// phone or e-mail lines. The layout is the evidence, so names and companies no list knows are found.
// Precision trade-off: a line of two or three capitalised words counts as a name only when a phone
// number, a postcode or an e-mail address follows within a few lines.

import { type Candidate } from './candidate.js';
import { ORG_SUFFIXES } from './recognize_organization.js';
import { lineContentStart, type SegmentView, type Token } from './tokens.js';

const LABELS: ReadonlySet<string> = new Set(
  'name date phone mobile cell desk fax tel email e-mail website web address note notes subject from to cc re when where title company'.split(
    ' ',
  ),
);
const CONNECTORS: ReadonlySet<string> = new Set(['and', '&', 'of', 'the', '-', ',', '.']);

interface Line {
  first: number;
  /** Index after the last token of the line. */
  end: number;
}

function linesOf(tokens: Token[]): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let i = 0; i <= tokens.length; i++) {
    if (i === tokens.length || tokens[i]?.kind === 'nl') {
      lines.push({ first: lineContentStart(tokens, start), end: i });
      start = i + 1;
    }
  }
  return lines;
}

function isTitleWord(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'word' && t.cap && !t.upper && !LABELS.has(t.key);
}

function isInitial(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'word' && /^\p{Lu}\.?$/u.test(t.text);
}

/** Two or three capitalised words (initials allowed in the middle) and nothing else. */
function isNameLine(tokens: Token[], line: Line): boolean {
  const n = line.end - line.first;
  if (n < 2 || n > 4) return false;
  const first = tokens[line.first];
  const last = tokens[line.end - 1];
  if (!isTitleWord(first) || !isTitleWord(last) || ORG_SUFFIXES.has(last?.key ?? '')) return false;
  for (let k = line.first + 1; k < line.end - 1; k++)
    if (!isTitleWord(tokens[k]) && !isInitial(tokens[k])) return false;
  return true;
}

/** One to five capitalised words with connectors ("Marshall, Hernandez and Simpson", "Johnson Inc."). */
function isCompanyLine(tokens: Token[], line: Line): boolean {
  const n = line.end - line.first;
  if (n < 1 || n > 7) return false;
  const first = tokens[line.first];
  if (first === undefined || first.kind !== 'word' || !first.cap || LABELS.has(first.key)) return false;
  let words = 0;
  for (let k = line.first; k < line.end; k++) {
    const t = tokens[k];
    if (t === undefined) return false;
    if (t.kind === 'word' && (t.cap || CONNECTORS.has(t.key) || ORG_SUFFIXES.has(t.key))) words++;
    else if (!(t.kind === 'punct' && CONNECTORS.has(t.text))) return false;
  }
  return words >= 1 && words <= 5 && tokens[line.end]?.kind === 'nl';
}

export function recognizeContactCards(s: SegmentView, out: Candidate[]): void {
  const { text, tokens } = s;
  if (!text.includes('\n')) return;
  const lines = linesOf(tokens);
  const names = new Set<string>();
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    if (line === undefined || !isNameLine(tokens, line)) continue;
    const a = tokens[line.first];
    const b = tokens[line.end - 1];
    if (a === undefined || b === undefined) continue;
    const value = text.slice(a.start, b.end);
    const after = text.slice(b.end, b.end + 240);
    if (!names.has(value) && !/@|\d{4}/.test(after)) continue;
    names.add(value);
    out.push({ type: 'PERSON', start: a.start, end: b.end, score: 0.65 });
    const next = lines[l + 1];
    const nextValue =
      next !== undefined && next.end > next.first
        ? text.slice(tokens[next.first]?.start ?? 0, tokens[next.end - 1]?.end ?? 0)
        : '';
    if (next !== undefined && nextValue !== value && isCompanyLine(tokens, next) && !/\d/.test(nextValue)) {
      const c = tokens[next.first];
      const d = tokens[next.end - 1];
      if (c !== undefined && d !== undefined) {
        const end = d.dot && !ORG_SUFFIXES.has(d.key) ? d.end - 1 : d.end;
        out.push({ type: 'ORGANIZATION', start: c.start, end, score: 0.6 });
        l++;
      }
    }
  }
}
