// detectInjection(): is this text (a log line, a ticket, an e-mail, a web page, a tool output) trying to
// instruct the agent that reads it? Pure and synchronous: fold the text (normalize.ts), match the attack
// classes (patterns.ts), decode what is encoded and look again (decode.ts), and combine the signals into
// one score. Every signal's span is an offset range in the text as given.

import { findEncodedCandidates, findReversedRuns, mayHoldRot13, rot13 } from './decode.js';
import { type Finding, foldText } from './normalize.js';
import { HIDDEN_WORDS, NEAR_PATTERNS, PATTERNS, type SignalCategory, STRONG_PATTERNS } from './patterns.js';
import { compilePatterns, type ScanBudget, scanPatterns } from './scan.js';

/**
 * Score at or above which text is injection-suspected. One strong signal (an override, a system tag, a
 * directive aimed at the assistant's answer: weights 0.6 to 0.9) crosses it alone; weak signals (a
 * knowledge question 0.4, a bare "send ... to <address>" 0.25) need company.
 */
export const INJECTION_THRESHOLD = 0.5;
/** Text is scanned in windows of this many UTF-16 units... */
export const WINDOW_CHARS = 16_384;
/** ...overlapping by this much, more than any pattern's longest match, so none is cut in two. */
export const WINDOW_OVERLAP = 2_048;
/** Beyond this many units per call the rest is not scanned and the report fails closed (suspected). */
export const MAX_SCAN_CHARS = 8 * 1024 * 1024;
/** Decoded text is scanned again, and what that decodes once more; no deeper. */
const MAX_DECODE_DEPTH = 2;
/**
 * Pattern attempts per window (text decoded from it included). Ordinary text needs at most about 850
 * (the densest evaluation texts, marketing e-mails); a window that would need more is stuffed with
 * trigger words and is reported, not cleared.
 */
export const MAX_ATTEMPTS_PER_WINDOW = 3_072;
/**
 * Occurrences of any one anchor word per window (one in 16 characters): ordinary text stays far below
 * (the most frequent anchors, "you" and "your", are a few per cent of words); a window above it is
 * reported, not cleared.
 */
export const MAX_ANCHOR_REPEATS = 1_024;
/** Decoded payloads rescanned per window; a window holding more is reported, not cleared. */
export const MAX_DECODES_PER_WINDOW = 32;
const MAX_SIGNALS_PER_KIND = 8;
const MAX_SIGNALS = 64;
const EXCERPT_CHARS = 160;

export interface InjectionSignal {
  kind: string;
  category: SignalCategory;
  /** Offsets into the text as given: [start, end). */
  start: number;
  end: number;
  /** The original text of the span, shortened to 160 characters. */
  excerpt: string;
  weight: number;
  /** For a signal found in decoded content: what the span decoded to (shortened). */
  decoded?: string;
}

export interface InjectionReport {
  suspected: boolean;
  /** 1 − Π(1 − w) over the strongest signal of each kind, rounded to 4 decimals; 0 with no signal. */
  score: number;
  threshold: number;
  signals: InjectionSignal[];
}

export interface DetectOptions {
  /** Default INJECTION_THRESHOLD. */
  threshold?: number;
  /** Default MAX_SCAN_CHARS; text beyond it is not scanned and makes the report suspected. */
  maxChars?: number;
}

interface Span {
  start: number;
  end: number;
}

/** Collects signals once each; keeps the strongest weight per kind for the score. */
class SignalSink {
  private readonly seen = new Set<string>();
  readonly signals: InjectionSignal[] = [];
  readonly strongest = new Map<string, number>();
  constructor(private readonly original: string) {}

  add(kind: string, category: SignalCategory, span: Span, weight: number, decoded?: string): void {
    const key = `${kind}\u0000${span.start}\u0000${span.end}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.strongest.set(kind, Math.max(this.strongest.get(kind) ?? 0, weight));
    const signal: InjectionSignal = {
      kind,
      category,
      start: span.start,
      end: span.end,
      excerpt: shorten(this.original.slice(span.start, Math.min(span.end, span.start + EXCERPT_CHARS + 1))),
      weight,
    };
    if (decoded !== undefined) signal.decoded = shorten(decoded);
    this.signals.push(signal);
  }
}

const shorten = (s: string) => (s.length > EXCERPT_CHARS ? `${s.slice(0, EXCERPT_CHARS - 1)}…` : s);

/** Detect instruction-like content aimed at the agent that will read `text`. */
export function detectInjection(text: string, options: DetectOptions = {}): InjectionReport {
  const threshold = options.threshold ?? INJECTION_THRESHOLD;
  if (typeof text !== 'string') {
    // Fail closed: what cannot be read cannot be cleared.
    const signal: InjectionSignal = {
      kind: 'unscanned',
      category: 'obfuscation',
      start: 0,
      end: 0,
      excerpt: '',
      weight: 1,
    };
    return { suspected: true, score: 1, threshold, signals: [signal] };
  }
  const limit = Math.min(options.maxChars ?? MAX_SCAN_CHARS, MAX_SCAN_CHARS);
  const sink = new SignalSink(text);
  const scannedTo = Math.min(text.length, limit);
  let start = 0;
  while (start < scannedTo) {
    let end = Math.min(start + WINDOW_CHARS, scannedTo);
    if (end < scannedTo && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    try {
      scanWindow(text.slice(start, end), start, sink);
    } catch {
      sink.add('scan-error', 'obfuscation', { start, end }, 1);
    }
    if (end >= scannedTo) break;
    start = nextWindowStart(text, end);
  }
  if (text.length > scannedTo)
    sink.add('unscanned-remainder', 'obfuscation', { start: scannedTo, end: text.length }, 1);

  let clear = 1;
  for (const w of sink.strongest.values()) clear *= 1 - w;
  const score = Math.round((1 - clear) * 10_000) / 10_000;
  return { suspected: score >= threshold, score, threshold, signals: reported(sink.signals) };
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/** The next window starts WINDOW_OVERLAP before the previous end, at a line start when one is near. */
function nextWindowStart(text: string, previousEnd: number): number {
  let start = previousEnd - WINDOW_OVERLAP;
  const newline = text.indexOf('\n', start);
  if (newline >= 0 && newline < start + WINDOW_OVERLAP / 4) start = newline + 1;
  if (start > 0 && start < text.length && isHighSurrogate(text.charCodeAt(start - 1))) start--;
  return start;
}

/** Signals in start order, at most MAX_SIGNALS_PER_KIND of a kind and MAX_SIGNALS in all. */
function reported(signals: InjectionSignal[]): InjectionSignal[] {
  const sorted = [...signals].sort(
    (a, b) => a.start - b.start || a.end - b.end || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0),
  );
  const perKind = new Map<string, number>();
  const out: InjectionSignal[] = [];
  for (const s of sorted) {
    const n = perKind.get(s.kind) ?? 0;
    if (n >= MAX_SIGNALS_PER_KIND) continue;
    perKind.set(s.kind, n + 1);
    out.push(s);
    if (out.length >= MAX_SIGNALS) break;
  }
  return out;
}

const ALL = compilePatterns(PATTERNS, NEAR_PATTERNS);
const STRONG = compilePatterns(STRONG_PATTERNS);

function scanWindow(window: string, base: number, sink: SignalSink): void {
  const shift = (s: Span): Span => ({ start: base + s.start, end: base + s.end });
  const budget: ScanBudget = {
    attempts: MAX_ATTEMPTS_PER_WINDOW,
    decodes: MAX_DECODES_PER_WINDOW,
    perWord: MAX_ANCHOR_REPEATS,
    exhausted: false,
  };
  scanText(window, 0, sink, shift, undefined, budget);
  if (budget.exhausted)
    sink.add('scan-budget-exceeded', 'obfuscation', { start: base, end: base + window.length }, 1);
}

/**
 * Scan `text` and report each signal at `place(span)` (a span of `text` mapped to the caller's original
 * text). Decoded content is scanned again, down to MAX_DECODE_DEPTH; its signals carry `decodedNote`.
 */
function scanText(
  text: string,
  depth: number,
  sink: SignalSink,
  place: (span: Span) => Span,
  decodedNote: string | undefined,
  budget: ScanBudget,
): void {
  const folded = foldText(text);
  const fromFolded = (s: number, e: number) => place(folded.map.toOriginal(s, e));

  for (const finding of folded.findings)
    reportFinding(finding, text, depth, sink, place, decodedNote, budget);

  for (const m of scanPatterns(folded.text, ALL, budget, true))
    sink.add(m.kind, m.category, fromFolded(m.start, m.end), m.weight, decodedNote);

  if (depth >= MAX_DECODE_DEPTH) return;

  for (const candidate of findEncodedCandidates(folded.text)) {
    if (budget.exhausted) break;
    const span = fromFolded(candidate.start, candidate.end);
    rescanDecoded(`encoded-${candidate.encoding}`, candidate.decoded, span, depth, sink, budget);
  }
  for (const candidate of findReversedRuns(text)) {
    if (budget.exhausted) break;
    const span = place({ start: candidate.start, end: candidate.end });
    rescanDecoded('reversed-text', candidate.decoded, span, depth, sink, budget);
  }
  if (mayHoldRot13(folded.text)) {
    const turned = rot13(folded.text);
    let first: Span | null = null;
    for (const m of scanPatterns(turned, STRONG, budget)) {
      const span = fromFolded(m.start, m.end);
      first ??= span;
      sink.add(m.kind, m.category, span, m.weight, turned.slice(m.start, m.end));
    }
    if (first !== null) sink.add('encoded-rot13', 'obfuscation', first, 0.7);
  }
}

/** Scan decoded content; if it holds any signal, the encoding itself is a signal at the encoded span. */
function rescanDecoded(
  kind: string,
  decoded: string,
  span: Span,
  depth: number,
  sink: SignalSink,
  budget: ScanBudget,
): void {
  if (--budget.decodes < 0) {
    budget.exhausted = true;
    return;
  }
  const before = sink.signals.length;
  scanText(decoded, depth + 1, sink, () => span, decoded, budget);
  if (sink.signals.length > before) sink.add(kind, 'obfuscation', span, 0.7, decoded);
}

/** Invisible and look-alike characters, weighed by what they hide. */
function reportFinding(
  finding: Finding,
  text: string,
  depth: number,
  sink: SignalSink,
  place: (span: Span) => Span,
  decodedNote: string | undefined,
  budget: ScanBudget,
): void {
  const span = place({ start: finding.start, end: finding.end });
  const around = wordAround(text, finding.start, finding.end);
  const hides = (s: string) => HIDDEN_WORDS.test(s) || HIDDEN_STEMS.test(s);
  switch (finding.kind) {
    case 'zero-width':
      sink.add('zero-width', 'obfuscation', span, hides(stripInvisible(around)) ? 0.75 : 0.45, decodedNote);
      break;
    case 'bidi-control': {
      const override = /[\u202d\u202e]/.test(text.slice(finding.start, finding.end));
      sink.add('bidi-control', 'obfuscation', span, override ? 0.6 : 0.35, decodedNote);
      break;
    }
    case 'mixed-script':
      sink.add('mixed-script', 'obfuscation', span, hides(finding.folded) ? 0.75 : 0.45, decodedNote);
      break;
    case 'compatibility-letters':
      if (hides(finding.folded)) sink.add('compatibility-letters', 'obfuscation', span, 0.7, decodedNote);
      break;
    case 'spaced-letters':
      if (hides(finding.folded)) sink.add('spaced-letters', 'obfuscation', span, 0.7, decodedNote);
      break;
    case 'unicode-tags': {
      // A flag emoji (U+1F3F4 followed by a region's tag letters) is the one ordinary use of tags.
      const flag =
        text.slice(Math.max(0, finding.start - 2), finding.start) === '\u{1f3f4}' &&
        /^[a-z0-9]{0,6}$/.test(finding.folded);
      if (flag) break;
      sink.add('unicode-tags', 'obfuscation', span, 0.9, finding.folded);
      if (depth < MAX_DECODE_DEPTH && finding.folded.length > 0) {
        if (--budget.decodes < 0) budget.exhausted = true;
        else scanText(finding.folded, depth + 1, sink, () => span, finding.folded, budget);
      }
      break;
    }
  }
}

/** The hidden words again, without word boundaries: joined letters lose their spaces. */
const HIDDEN_STEMS =
  /ignore|disregard|instruction|previous|system|prompt|override|admin|password|secret|token|credential|execute|delete|isolate|assistant|jailbreak|bypass|exfiltrat|forward|transfer|shutdown|authori[sz]/i;
/** The word holding [start, end): letters, digits and anything non-ASCII (invisible characters too). */
function wordAround(text: string, start: number, end: number): string {
  const inWord = (c: number) =>
    c > 0x7f || (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
  let s = start;
  while (s > 0 && start - s < 64 && inWord(text.charCodeAt(s - 1))) s--;
  let e = end;
  while (e < text.length && e - end < 64 && inWord(text.charCodeAt(e))) e++;
  return text.slice(s, e);
}

/** The text with its invisible characters dropped and look-alikes folded (a word or two). */
const stripInvisible = (s: string) => foldText(s).text;
