// PII in a stream of text (an LLM's streamed output, a tool's chunked response). Text is released
// segment by segment, cut by the same rule whole-text detection uses (segments.ts), so an entity split
// across chunks is found exactly as in one call, and what push() returns is final: nothing emitted is
// ever part of an entity still arriving. The tail held back is at most one segment (MAX_SEGMENT) plus
// the CONTEXT_CARRY characters kept for cue words.

import {
  type RedactionOptions,
  redactSpans,
  resolveRedaction,
  type ResolvedRedaction,
} from '../redaction.js';
import { resolvePiiOptions, scanSegment } from './detect.js';
import { CONTEXT_CARRY, segmentEnd } from './segments.js';
import type { PiiDetectOptions, PiiFinding } from './types.js';

export interface PiiStreamOptions extends PiiDetectOptions {
  /** Redact the released text with these options; without them the text is released as it came. */
  redaction?: RedactionOptions;
}

export interface PiiStreamOutput {
  /** Findings that became final with this call, offsets into the whole stream. */
  findings: PiiFinding[];
  /** The text released by this call (redacted when `redaction` was given). */
  text: string;
  /** Offset in the whole stream of the first character of `text`. */
  offset: number;
}

export interface PiiStream {
  /** Adds a chunk; returns what is now final. */
  push(chunk: string): PiiStreamOutput;
  /** Ends the stream; returns the rest. push() and end() throw after end(). */
  end(): PiiStreamOutput;
}

export function createPiiStream(options: PiiStreamOptions = {}): PiiStream {
  const resolved = resolvePiiOptions(options);
  const redaction: ResolvedRedaction | undefined =
    options.redaction === undefined ? undefined : resolveRedaction(options.redaction);
  // buffer holds the stream from `base`; text before `cursor` (relative) is released.
  let buffer = '';
  let base = 0;
  let cursor = 0;
  let ended = false;

  const drain = (final: boolean): PiiStreamOutput => {
    if (ended) throw new Error('the PII stream has ended');
    const findings: PiiFinding[] = [];
    const offset = base + cursor;
    let text = '';
    for (;;) {
      if (cursor >= buffer.length) break;
      const end = segmentEnd(buffer, cursor, final);
      if (end === undefined) break;
      const segmentFindings: PiiFinding[] = [];
      scanSegment(buffer, cursor, end, resolved, base, segmentFindings);
      const piece = buffer.slice(cursor, end);
      if (redaction === undefined) text += piece;
      else {
        const spans = segmentFindings.map((f) => ({
          type: f.type,
          start: f.start - base - cursor,
          end: f.end - base - cursor,
        }));
        text += redactSpans(piece, spans, redaction);
      }
      findings.push(...segmentFindings);
      cursor = end;
    }
    // Keep only the context the next segment is scanned with.
    const drop = Math.max(0, cursor - CONTEXT_CARRY);
    if (drop > 0) {
      buffer = buffer.slice(drop);
      base += drop;
      cursor -= drop;
    }
    if (final) ended = true;
    return { findings, text, offset };
  };

  return {
    push(chunk: string): PiiStreamOutput {
      if (ended) throw new Error('the PII stream has ended');
      buffer += chunk;
      return drain(false);
    },
    end(): PiiStreamOutput {
      return drain(true);
    },
  };
}
