// redactPii: detectPii, then every finding replaced by the chosen strategy (redaction.ts).

import { type RedactionOptions, redactSpans, resolveRedaction } from '../redaction.js';
import { detectPii } from './detect.js';
import type { PiiDetectOptions, PiiFinding } from './types.js';

export interface PiiRedactOptions extends PiiDetectOptions, RedactionOptions {}

export interface PiiRedaction {
  /** The text with every finding replaced. */
  text: string;
  /** What was replaced, with offsets into the original text. */
  findings: PiiFinding[];
}

/** Detects and replaces PII in `text`. Throws RedactionError for a bad strategy or a missing hash key. */
export function redactPii(text: string, options: PiiRedactOptions = {}): PiiRedaction {
  const redaction = resolveRedaction(options);
  const findings = detectPii(text, options);
  return { text: redactSpans(text, findings, redaction), findings };
}
