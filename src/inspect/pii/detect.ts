// detectPii: the one entry point that turns text into PII findings. Text is cut into segments
// (segments.ts), each segment is normalised (NFKC, invisible characters out) and scanned by every
// recogniser, overlapping candidates are resolved (highest score, then type rank, then longest), and
// spans are mapped back to the original text. Pure and synchronous: no I/O, no clock, no randomness.

import { normalizeForScan } from '../normalize.js';
import type { Candidate } from './candidate.js';
import { recognizeAddresses } from './recognize_address.js';
import { recognizeContactCards } from './recognize_contact_card.js';
import { recognizeOrganizations } from './recognize_organization.js';
import { recognizePersons } from './recognize_person.js';
import {
  recognizeAges,
  recognizeCards,
  recognizeDatesOfBirth,
  recognizeDocuments,
  recognizeEmails,
  recognizeIbans,
  recognizeIpAddresses,
  recognizePhones,
  recognizeUsSsns,
} from './recognize_structured.js';
import { CONTEXT_CARRY, segmentEnd } from './segments.js';
import { viewOf } from './tokens.js';
import {
  DEFAULT_MIN_SCORE,
  PII_TYPES,
  type PiiDetectOptions,
  type PiiFinding,
  type PiiType,
} from './types.js';

/** Options with defaults applied, computed once per call or stream. */
export interface ResolvedPiiOptions {
  types: ReadonlySet<PiiType>;
  minScore: number;
  includeText: boolean;
}

export function resolvePiiOptions(options: PiiDetectOptions = {}): ResolvedPiiOptions {
  const types = options.types ?? PII_TYPES;
  for (const t of types) {
    if (!(PII_TYPES as readonly string[]).includes(t))
      throw new TypeError(`unknown PII type ${JSON.stringify(t)}`);
  }
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  if (!(minScore >= 0 && minScore <= 1)) throw new RangeError('minScore must be within [0, 1]');
  return { types: new Set(types), minScore, includeText: options.includeText ?? false };
}

const TYPE_RANK: ReadonlyMap<PiiType, number> = new Map(PII_TYPES.map((t, i) => [t, i]));

/** Every recogniser, run over one normalised segment. Recognisers see earlier findings (structured first). */
function recognizeAll(text: string, types: ReadonlySet<PiiType>): Candidate[] {
  const out: Candidate[] = [];
  const view = viewOf(text);
  const { lower } = view;
  recognizeCards(text, out);
  recognizeIbans(text, out);
  recognizeUsSsns(text, out);
  recognizeEmails(text, out);
  recognizeIpAddresses(text, out);
  recognizePhones(text, out);
  recognizeDocuments(text, lower, out);
  recognizeDatesOfBirth(text, lower, out);
  recognizeAges(text, lower, out);
  const words = ['STREET_ADDRESS', 'LOCATION', 'PERSON', 'ORGANIZATION'] as const;
  if (!words.some((t) => types.has(t))) return out;
  if (types.has('STREET_ADDRESS') || types.has('LOCATION')) recognizeAddresses(view, out);
  if (types.has('PERSON')) recognizePersons(view, out);
  if (types.has('ORGANIZATION')) recognizeOrganizations(view, out);
  if (types.has('PERSON') || types.has('ORGANIZATION')) recognizeContactCards(view, out);
  return out;
}

/**
 * Scans text[segStart, segEnd) with up to CONTEXT_CARRY characters before it as context, and appends
 * findings (offsets into `text`, plus `base`) that start inside the segment.
 */
export function scanSegment(
  text: string,
  segStart: number,
  segEnd: number,
  options: ResolvedPiiOptions,
  base: number,
  out: PiiFinding[],
): void {
  const from = Math.max(0, segStart - CONTEXT_CARRY);
  const raw = text.slice(from, segEnd);
  const normalized = normalizeForScan(raw);
  const carry = segStart - from;

  const kept: (Candidate & { oStart: number; oEnd: number })[] = [];
  for (const c of recognizeAll(normalized.text, options.types)) {
    if (!options.types.has(c.type) || c.score < options.minScore || c.end <= c.start) continue;
    const o = normalized.toOriginal(c.start, c.end);
    if (o.start < carry) continue;
    kept.push({ ...c, oStart: o.start, oEnd: o.end });
  }
  kept.sort(
    (a, b) =>
      b.score - a.score ||
      (TYPE_RANK.get(a.type) ?? 0) - (TYPE_RANK.get(b.type) ?? 0) ||
      b.oEnd - b.oStart - (a.oEnd - a.oStart) ||
      a.oStart - b.oStart,
  );
  const taken = new Uint8Array(raw.length);
  const accepted: (Candidate & { oStart: number; oEnd: number })[] = [];
  for (const c of kept) {
    let free = true;
    for (let k = c.oStart; k < c.oEnd; k++) {
      if (taken[k] === 1) {
        free = false;
        break;
      }
    }
    if (!free) continue;
    taken.fill(1, c.oStart, c.oEnd);
    accepted.push(c);
  }
  accepted.sort((a, b) => a.oStart - b.oStart);
  for (const c of accepted) {
    const start = from + c.oStart;
    const end = from + c.oEnd;
    const finding: PiiFinding = { type: c.type, start: base + start, end: base + end, score: c.score };
    if (c.checksum_valid !== undefined) finding.checksum_valid = c.checksum_valid;
    if (options.includeText) finding.text = text.slice(start, end);
    out.push(finding);
  }
}

/** Finds PII in `text`. Offsets index `text` as given; findings are sorted by start and never overlap. */
export function detectPii(text: string, options: PiiDetectOptions = {}): PiiFinding[] {
  const resolved = resolvePiiOptions(options);
  const out: PiiFinding[] = [];
  let start = 0;
  while (start < text.length) {
    const end = segmentEnd(text, start, true) ?? text.length;
    scanSegment(text, start, end, resolved, 0, out);
    start = end;
  }
  return out;
}
