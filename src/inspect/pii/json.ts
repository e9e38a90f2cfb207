// PII in JSON values: every string and number leaf, with field names as hints (field_hints.ts), and
// values split over sibling fields (json_scan.ts), e.g. {"first":"John","last":"Smith","street":
// "12 Main St","city":"Springfield"} or a card number in two fields, the case EnforceCore misses.

import {
  type JsonLeaf,
  type JsonPath,
  type JsonScanOptions,
  type JsonSpanPart,
  type JsonValue,
  redactJsonParts,
  scanJson,
} from '../json_scan.js';
import { type RedactionOptions, redactSpans, resolveRedaction } from '../redaction.js';
import { detectPii, resolvePiiOptions } from './detect.js';
import { fieldHint } from './field_hints.js';
import type { PiiDetectOptions, PiiFinding, PiiType } from './types.js';

export type { JsonPath, JsonSpanPart, JsonValue };

export interface PiiJsonOptions extends PiiDetectOptions, JsonScanOptions {
  /** Use field names as evidence ({"phone": "..."}). Default true. */
  fieldHints?: boolean;
}

/** One entity in a JSON value: one part per leaf it covers (two or more when split across fields). */
export interface JsonPiiFinding {
  type: PiiType;
  score: number;
  checksum_valid?: boolean;
  /** The entity's text (parts joined with a space); only with `includeText`. */
  text?: string;
  parts: JsonSpanPart[];
}

/** Findings in one leaf: the text detector, with the field's hint as cue or as a whole-value type. */
function detectLeaf(leaf: JsonLeaf, options: PiiJsonOptions): PiiFinding[] {
  const hint = options.fieldHints === false || leaf.isKey ? undefined : fieldHint(leaf.field);
  const detectOptions = { ...options, includeText: false };
  if (hint?.kind === 'cue') {
    return detectPii(hint.cue + leaf.text, detectOptions)
      .filter((f) => f.start >= hint.cue.length)
      .map((f) => ({ ...f, start: f.start - hint.cue.length, end: f.end - hint.cue.length }));
  }
  const found = detectPii(leaf.text, detectOptions);
  if (hint?.kind === 'whole' && hint.fits(leaf.text)) {
    const resolved = resolvePiiOptions(options);
    if (resolved.types.has(hint.type) && hint.score >= resolved.minScore) {
      const start = leaf.text.length - leaf.text.trimStart().length;
      const end = leaf.text.trimEnd().length;
      // The field says what the whole value is; findings inside it are that one entity.
      const outside = found.filter((f) => f.end <= start || f.start >= end || f.score > hint.score);
      if (!outside.some((f) => f.start < end && f.end > start)) {
        return [...outside, { type: hint.type, start, end, score: hint.score }].sort(
          (a, b) => a.start - b.start,
        );
      }
      return outside;
    }
  }
  return found;
}

function toJsonFindings(
  value: JsonValue,
  options: PiiJsonOptions,
): { findings: JsonPiiFinding[]; results: ReturnType<typeof scanJson<PiiFinding>> } {
  resolvePiiOptions(options);
  const results = scanJson<PiiFinding>(
    value,
    (leaf) => detectLeaf(leaf, options),
    (joined) => detectPii(joined, { ...options, includeText: false }),
    options,
  );
  const findings = results.map((r) => {
    const f: JsonPiiFinding = { type: r.finding.type, score: r.finding.score, parts: r.parts };
    if (r.finding.checksum_valid !== undefined) f.checksum_valid = r.finding.checksum_valid;
    if (options.includeText) f.text = r.value;
    return f;
  });
  return { findings, results };
}

/** Finds PII in a JSON value (strings and numbers; keys too with `keys: true`). */
export function detectPiiInJson(value: JsonValue, options: PiiJsonOptions = {}): JsonPiiFinding[] {
  return toJsonFindings(value, options).findings;
}

export interface PiiJsonRedaction {
  /** A redacted copy; the input is not modified. A number with PII in it becomes a string. */
  value: JsonValue;
  findings: JsonPiiFinding[];
}

/** Finds and replaces PII in a JSON value; split values are replaced in every field they cover. */
export function redactPiiInJson(
  value: JsonValue,
  options: PiiJsonOptions & RedactionOptions = {},
): PiiJsonRedaction {
  const redaction = resolveRedaction(options);
  const { findings, results } = toJsonFindings(value, options);
  const redacted = redactJsonParts(value, results, (text, spans) => redactSpans(text, spans, redaction));
  return { value: redacted, findings };
}
