// One way to replace sensitive spans, shared by the PII and secret redactors: a placeholder naming the
// type, a format-keeping mask, a keyed hash, or removal. The hash is HMAC-SHA-256 under a caller's key,
// never a bare hash: the values redacted here (card numbers, SSNs, phone numbers, names) have so little
// entropy that anyone could hash every candidate and reverse a plain digest in seconds.

import { createHmac } from 'node:crypto';

export type RedactionStrategy = 'placeholder' | 'mask' | 'hash' | 'remove';

export const REDACTION_STRATEGIES: readonly RedactionStrategy[] = ['placeholder', 'mask', 'hash', 'remove'];

export interface RedactionOptions {
  /** Default 'placeholder': `<EMAIL_ADDRESS>`. */
  strategy?: RedactionStrategy;
  /** Key for 'hash' (required then): at least 16 bytes, kept by the caller, never logged. */
  hashKey?: Uint8Array | string;
  /** Hex characters of the HMAC kept in a 'hash' replacement. Default 16 (64 bits), 8 to 64. */
  hashLength?: number;
  /** Character that replaces letters and digits in a 'mask' replacement. Default '*'. */
  maskChar?: string;
}

export type RedactionErrorCode = 'E_REDACTION_KEY' | 'E_REDACTION_OPTIONS';

/** A refused redaction request (a caller's programming error); the message never quotes a key. */
export class RedactionError extends Error {
  constructor(
    readonly code: RedactionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RedactionError';
  }
}

/** A span to replace: what detectors return (offsets into the text being redacted). */
export interface RedactionSpan {
  type: string;
  start: number;
  end: number;
}

/** Options checked once: unknown strategies, short keys and odd lengths are refused up front. */
export interface ResolvedRedaction {
  strategy: RedactionStrategy;
  key: Uint8Array | undefined;
  hashLength: number;
  maskChar: string;
}

export function resolveRedaction(options: RedactionOptions = {}): ResolvedRedaction {
  const strategy = options.strategy ?? 'placeholder';
  if (!REDACTION_STRATEGIES.includes(strategy)) {
    throw new RedactionError('E_REDACTION_OPTIONS', `unknown redaction strategy ${JSON.stringify(strategy)}`);
  }
  const hashLength = options.hashLength ?? 16;
  if (!Number.isInteger(hashLength) || hashLength < 8 || hashLength > 64) {
    throw new RedactionError('E_REDACTION_OPTIONS', 'hashLength must be an integer from 8 to 64');
  }
  const maskChar = options.maskChar ?? '*';
  if ([...maskChar].length !== 1)
    throw new RedactionError('E_REDACTION_OPTIONS', 'maskChar must be one character');
  let key: Uint8Array | undefined;
  if (options.hashKey !== undefined) {
    key = typeof options.hashKey === 'string' ? new TextEncoder().encode(options.hashKey) : options.hashKey;
  }
  if (strategy === 'hash' && (key === undefined || key.length < 16)) {
    throw new RedactionError('E_REDACTION_KEY', "the 'hash' strategy needs a hashKey of at least 16 bytes");
  }
  return { strategy, key, hashLength, maskChar };
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/gu;
const SEPARATORS = /[\s.\-()/]/g;
/** Numbers written with optional separators: hashed without them. */
const COMPACT_TYPES: ReadonlySet<string> = new Set([
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'PHONE_NUMBER',
  'PASSPORT',
  'ID_NUMBER',
]);
/** Text whose case carries no identity: hashed lower-cased with white space collapsed. */
const CASELESS_TYPES: ReadonlySet<string> = new Set([
  'EMAIL_ADDRESS',
  'PERSON',
  'STREET_ADDRESS',
  'LOCATION',
  'ORGANIZATION',
  'DATE_OF_BIRTH',
  'AGE',
  'IP_ADDRESS',
]);

/**
 * The form of a value that is hashed, so one entity written two ways links ("4111 1111 ..." and
 * "4111-1111-..."; "John Smith" and "john  smith"). Secrets and unknown types are hashed exactly.
 */
export function canonicalForHash(type: string, value: string): string {
  if (COMPACT_TYPES.has(type)) return value.normalize('NFKC').toUpperCase().replace(SEPARATORS, '');
  if (CASELESS_TYPES.has(type)) return value.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
  return value;
}

/** The replacement of one value; `hashValue` is the whole entity when a part of it is replaced. */
export function replacementFor(type: string, value: string, r: ResolvedRedaction, hashValue = value): string {
  switch (r.strategy) {
    case 'placeholder':
      return `<${type}>`;
    case 'remove':
      return '';
    case 'mask':
      return value.replace(LETTER_OR_DIGIT, r.maskChar);
    case 'hash': {
      const mac = createHmac('sha256', r.key ?? new Uint8Array(0))
        .update(`${type}\u0000${canonicalForHash(type, hashValue)}`)
        .digest('hex');
      return `<${type}:${mac.slice(0, r.hashLength)}>`;
    }
  }
}

/**
 * Replaces every span of `text`. Spans may come unsorted and overlap (PII and secret findings together):
 * overlapping spans are merged and take the type of the one that starts first.
 */
export function redactSpans(
  text: string,
  spans: readonly (RedactionSpan & { hashValue?: string })[],
  r: ResolvedRedaction,
): string {
  if (spans.length === 0) return text;
  const sorted = [...spans]
    .filter((s) => s.end > s.start && s.start >= 0 && s.end <= text.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: (RedactionSpan & { hashValue?: string })[] = [];
  for (const s of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s.start < last.end) {
      if (s.end > last.end) {
        last.end = s.end;
        delete last.hashValue;
      }
      continue;
    }
    merged.push({ ...s });
  }
  let out = '';
  let at = 0;
  for (const s of merged) {
    const value = text.slice(s.start, s.end);
    out += text.slice(at, s.start) + replacementFor(s.type, value, r, s.hashValue ?? value);
    at = s.end;
  }
  return out + text.slice(at);
}
