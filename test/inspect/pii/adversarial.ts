// Inputs built to make a backtracking matcher work hard, shared by the PII and secret ReDoS tests:
// one unit of 1 to 4 fragments (what the patterns look for, and near misses) repeated to 1 MB.

import assert from 'node:assert/strict';
import fc from 'fast-check';

export const ONE_MB = 1024 * 1024;

export const FRAGMENTS = [
  'a',
  'A',
  'Aa',
  '1',
  '12',
  ' ',
  '.',
  ',',
  '@',
  ':',
  '-',
  '+',
  '(',
  ')',
  '/',
  '\n',
  '\t',
  '#',
  '_',
  '=',
  '"',
  "'",
  '%',
  'x',
  'é',
  '１',
  '\u200b',
  '\u202e',
  'e\u0301',
  '😀',
  '1.',
  '1-',
  '1 ',
  'a.',
  'a@',
  '@a.',
  '://',
  '0x',
  '::',
  'Mr. ',
  'St ',
  'Apt ',
  'eyJ',
  'sk-',
  'gh',
  'p_',
  'AKIA',
  'xox',
  '-----BEGIN ',
  'password=',
  'Bearer ',
  'GB82',
  'born ',
  'years old ',
  'Box ',
  'my name is ',
  'Street',
  '4111 ',
];

/** `unit` repeated and cut to `size` characters. */
export function fill(unit: string, size = ONE_MB): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** A repeated unit of one to four fragments. */
export const adversarialUnit = fc
  .array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join(''));

/** Fixed worst cases seen while writing the scanners, checked on every run. */
export const KNOWN_HARD_UNITS = [
  'a',
  'i ',
  '1 ',
  '4-1 ',
  'a.a@',
  'a:',
  '://a:',
  'Ab\n',
  'Aaaa ',
  '１',
  '\u200b\u202e',
  '{"a":"',
  'password=',
  '-----BEGIN PRIVATE KEY-----',
];

/**
 * Fastest of `tries` runs (default 5), in milliseconds of this process's CPU time (user + system): the scan is
 * synchronous, so CPU time is its cost, and other processes on a loaded machine do not inflate it the
 * way they inflate wall-clock time. The benchmark (npm run bench -- inspect) reports wall-clock time.
 */
export function minMillis(run: () => unknown, tries = 5): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < tries; i++) {
    const started = process.cpuUsage();
    run();
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

/** Every match of `pattern` over `text` (as a global scan, whatever the pattern's own flags). */
export function scanAll(pattern: RegExp, text: string): number {
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
  );
  let n = 0;
  for (const _ of text.matchAll(global)) n++;
  return n;
}

/**
 * Linear in the input, and within `boundMs` on 1 MB. A quadratic scan costs 16x for 4x the input; the
 * check allows 8x (and 100 ms) for garbage collection and noise on a busy machine.
 */
export function assertLinearRun(
  run: (text: string) => unknown,
  unit: string,
  what: string,
  boundMs: number,
): void {
  const tSmall = minMillis(() => run(fill(unit, ONE_MB / 4)));
  const tLarge = minMillis(() => run(fill(unit, ONE_MB)));
  assert.ok(tLarge < boundMs, `${what} took ${tLarge.toFixed(1)} ms on 1 MB of ${JSON.stringify(unit)}`);
  assert.ok(
    tLarge < Math.max(8 * tSmall, 100),
    `${what} is not linear on ${JSON.stringify(unit)}: ${tSmall.toFixed(1)} -> ${tLarge.toFixed(1)} ms`,
  );
}
