// Where the detector cuts text into independently scanned segments. The same rule serves whole-text
// detection and the stream, so a stream split at any points finds exactly what one call finds: a
// segment's end depends only on the text from its start up to MAX_SEGMENT characters further.

/** Longest segment; also the most a stream holds back before it must decide. */
export const MAX_SEGMENT = 4096;
/** A blank line ends a segment only this far from its start, so short paragraphs are read together. */
export const MIN_SEGMENT = 256;
/** Characters of the previous segment a segment is scanned with, as read-only context for cue words. */
export const CONTEXT_CARRY = 64;

export const BLANK_LINE = /\n[ \t]{0,64}\n/g;

/**
 * The end of the segment starting at `start`, or undefined when `final` is false and the text so far
 * does not decide it yet. The first blank line ending at least MIN_SEGMENT characters in ends a segment;
 * otherwise, at MAX_SEGMENT, the cut goes at the
 * last line break (not one right after a colon, which introduces a value), else the last sentence end,
 * else the last white space in the second half of the window, else at MAX_SEGMENT (never inside a
 * surrogate pair).
 */
export function segmentEnd(text: string, start: number, final: boolean): number | undefined {
  const limit = start + MAX_SEGMENT;
  const window = text.slice(start, limit);
  BLANK_LINE.lastIndex = 0;
  for (let blank = BLANK_LINE.exec(window); blank !== null; blank = BLANK_LINE.exec(window)) {
    const end = blank.index + blank[0].length;
    if (end >= MIN_SEGMENT) return start + end;
    BLANK_LINE.lastIndex = blank.index + 1;
  }
  if (text.length < limit) return final ? text.length : undefined;
  const half = MAX_SEGMENT >> 1;
  for (let k = window.length - 1; k >= half; k--) {
    if (window.charCodeAt(k) === 10 && window.charCodeAt(k - 1) !== 58) return start + k + 1;
  }
  for (let k = window.length - 1; k >= half; k--) {
    const c = window.charCodeAt(k);
    const p = window.charCodeAt(k - 1);
    if ((c === 32 || c === 10) && (p === 46 || p === 33 || p === 63)) return start + k + 1;
  }
  for (let k = window.length - 1; k >= half; k--) {
    const c = window.charCodeAt(k);
    if (c === 32 || c === 9 || c === 10 || c === 13) return start + k + 1;
  }
  const last = text.charCodeAt(limit - 1);
  return last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit;
}
