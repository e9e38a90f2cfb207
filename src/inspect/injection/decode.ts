// Instructions smuggled in an encoding: base64, hex (plain, \x or %-escaped), rot13, Unicode tag
// characters and right-to-left overrides hiding reversed text. Each candidate is decoded once, kept only
// if the result reads as text, and handed back for a bounded rescan. Work is bounded by the window: a
// candidate is at most the window's length and decoding never expands it.

export interface EncodedCandidate {
  encoding: 'base64' | 'hex' | 'reversed';
  /** Offsets in the text the candidate was found in. */
  start: number;
  end: number;
  decoded: string;
}

// Maximal runs only, and no lookaround that could fail after a long run: each character is read a
// bounded number of times. Base64 and plain hex runs are found by one loop over the characters.
const HEX_ESCAPED = /(?:(?:\\x|%)[0-9a-fA-F]{2}){6,}/g;
const HEX_SEPARATED = /[0-9a-fA-F]{2}(?:[ :,-][0-9a-fA-F]{2}){7,}/g;
const MIN_RUN = 20;
/** 1: a base64 (standard or URL-safe) character; 2: also a hex digit. */
const CLASS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-')
  CLASS[c.charCodeAt(0)] = 1;
for (const c of '0123456789abcdefABCDEF') CLASS[c.charCodeAt(0)] = 2;
/** rot13 of common English words and of the injection vocabulary; several in one window suggest rot13. */
const ROT13_HINTS =
  /\b(?:gur|naq|lbh|lbhe|vtaber|cerivbhf|vafgehpgvbaf|flfgrz|nyy|vf|gb|bs|qvfertneq|nqzva|cnffjbeq|fraq|sbejneq|cebzcg|vafgehpgvba|rkrphgr|qryrgr)\b/gi;
const ROT13_NAMED = /\brot[- ]?13\b/i;
/** Right-to-left override (U+202E) or isolate (U+2067) up to the pop (U+202C, U+2069) or end of line. */
const RTL_OVERRIDE = /[\u202e\u2067]([^\u202a-\u202e\u2066-\u2069\n]{4,2000})/g;

const MAX_CANDIDATE = 16_384;

/** Reads as text: mostly printable ASCII, some letters and at least one space. */
function readsAsText(s: string): boolean {
  if (s.length < 8) return false;
  let printable = 0;
  let letters = 0;
  let spaces = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) letters++;
    if (c === 0x20) spaces++;
  }
  return printable / s.length >= 0.9 && letters / s.length >= 0.5 && spaces >= 1;
}

function hexBytes(s: string): Buffer {
  return Buffer.from(s.replace(/\\x|%|0x|[ :,-]/gi, ''), 'hex');
}

/** Base64 and hex runs that decode to text, in `text` (the folded window); lazily, so a caller can stop. */
export function* findEncodedCandidates(text: string): Generator<EncodedCandidate> {
  const candidate = (encoding: EncodedCandidate['encoding'], start: number, raw: string, decoded: string) =>
    readsAsText(decoded) ? { encoding, start, end: start + raw.length, decoded } : null;
  // Runs of base64 characters (hashes and identifiers among them decode to noise: readsAsText drops them).
  let k = 0;
  while (k < text.length) {
    const c = text.charCodeAt(k);
    if (c >= 128 || CLASS[c] === 0) {
      k++;
      continue;
    }
    const start = k;
    let allHex = true;
    while (k < text.length) {
      const d = text.charCodeAt(k);
      if (d >= 128 || CLASS[d] === 0) break;
      if (CLASS[d] !== 2) allHex = false;
      k++;
    }
    let end = k;
    while (end < text.length && end - k < 2 && text.charCodeAt(end) === 0x3d) end++;
    if (k - start < MIN_RUN) continue;
    const raw = text.slice(start, Math.min(end, start + MAX_CANDIDATE));
    const b64 = candidate('base64', start, raw, Buffer.from(raw, 'base64').toString('latin1'));
    if (b64) yield b64;
    const hex = text.startsWith('0x', start) ? raw.slice(2) : raw;
    if (allHex || /^[0-9a-f]+$/i.test(hex)) {
      const h = candidate('hex', start, raw, hexBytes(raw).toString('latin1'));
      if (h) yield h;
    }
  }
  for (const re of [HEX_ESCAPED, HEX_SEPARATED])
    for (const m of text.matchAll(re)) {
      const raw = m[0].slice(0, MAX_CANDIDATE);
      const h = candidate('hex', m.index, raw, hexBytes(raw).toString('latin1'));
      if (h) yield h;
    }
}

/** Text under a right-to-left override, reversed back into reading order; in the original text; lazily. */
export function* findReversedRuns(original: string): Generator<EncodedCandidate> {
  for (const m of original.matchAll(RTL_OVERRIDE)) {
    const body = m[1]!;
    yield {
      encoding: 'reversed',
      start: m.index,
      end: m.index + m[0].length,
      decoded: [...body].reverse().join(''),
    };
  }
}

/** Whether a window may hold rot13 text: it names rot13, or several rot13-encoded common words occur. */
export function mayHoldRot13(text: string): boolean {
  return ROT13_NAMED.test(text) || distinctHints(text) >= 3;
}

function distinctHints(text: string): number {
  const seen = new Set<string>();
  ROT13_HINTS.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ROT13_HINTS.exec(text)) !== null) {
    seen.add(m[0].toLowerCase());
    if (seen.size >= 3) break;
  }
  return seen.size;
}

/** rot13 keeps the length, so offsets in the result are offsets in the input. */
export function rot13(text: string): string {
  const units = new Uint16Array(text.length);
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x41 && c <= 0x5a) units[k] = ((c - 0x41 + 13) % 26) + 0x41;
    else if (c >= 0x61 && c <= 0x7a) units[k] = ((c - 0x61 + 13) % 26) + 0x61;
    else units[k] = c;
  }
  return new TextDecoder('utf-16le').decode(units);
}
