// What every recogniser proposes before overlaps are resolved: a typed span of the normalised
// segment text with a score. Kept internal; callers only see PiiFinding with original offsets.

import type { PiiType } from './types.js';

export interface Candidate {
  type: PiiType;
  start: number;
  end: number;
  score: number;
  checksum_valid?: boolean;
}

/** The lower-cased text in the `size` characters before `start` (context words for scoring). */
export function contextBefore(text: string, start: number, size = 48): string {
  return text.slice(Math.max(0, start - size), start).toLowerCase();
}

/** The lower-cased text in the `size` characters after `end`. */
export function contextAfter(text: string, end: number, size = 32): string {
  return text.slice(end, end + size).toLowerCase();
}

/** Clamps a score into [0, 1], rounded to two decimals so equal evidence compares equal. */
export function clampScore(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 100) / 100;
}

/**
 * The words (lower-cased letters and digits) before `start`, nearest first: at most `maxWords`, within
 * `maxChars` characters, not across a line break. A character loop, so a cue check costs a few dozen steps.
 */
export function wordsBefore(text: string, start: number, maxWords = 3, maxChars = 32): string[] {
  const words: string[] = [];
  const stop = Math.max(0, start - maxChars);
  let i = start - 1;
  while (i >= stop && words.length < maxWords) {
    let c = text.charCodeAt(i);
    while (i >= stop && !isWordChar(c)) {
      if (c === 10) return words;
      i--;
      c = text.charCodeAt(i);
    }
    if (i < stop) break;
    const end = i + 1;
    while (i >= stop && isWordChar(text.charCodeAt(i))) i--;
    words.push(text.slice(i + 1, end).toLowerCase());
  }
  return words;
}

function isWordChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c < 0x2000)
  );
}

/** True when one of the words, or two adjacent ones joined by a space (nearest last), is in `cues`. */
export function hasCue(words: readonly string[], cues: ReadonlySet<string>): boolean {
  for (let k = 0; k < words.length; k++) {
    const w = words[k] ?? '';
    if (cues.has(w)) return true;
    const before = words[k + 1];
    if (before !== undefined && cues.has(`${before} ${w}`)) return true;
  }
  return false;
}
