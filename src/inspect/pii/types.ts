// The vocabulary of the PII detector: entity types, the finding every detector returns, and options.
// Offsets always index the caller's original string (UTF-16 code units), never the normalised form.

import { PII_TYPES } from '../../engine/vocabulary.js';

/** Every entity type the detector knows, in the order findings of equal rank are preferred. */
export { PII_TYPES };

export type PiiType = (typeof PII_TYPES)[number];

/** Types whose finding carries a checksum verdict (Luhn for cards, ISO 13616 mod-97 for IBANs). */
export const CHECKSUMMED_PII_TYPES: readonly PiiType[] = ['CREDIT_CARD', 'IBAN_CODE'];

export interface PiiFinding {
  type: PiiType;
  /** Start offset in the original text (inclusive). */
  start: number;
  /** End offset in the original text (exclusive). */
  end: number;
  /** The original text of the finding; only present when `includeText` was asked for. */
  text?: string;
  /** Confidence in [0, 1]; findings below `minScore` are not returned. */
  score: number;
  /** For checksummed types: the checksum held (it always does for a reported finding). */
  checksum_valid?: boolean;
}

export interface PiiDetectOptions {
  /** Types to report. Default: all of PII_TYPES. */
  types?: readonly PiiType[];
  /** Lowest score reported. Default 0.5. */
  minScore?: number;
  /** Copy each finding's original text into `text`. Default false: findings can be logged without leaking. */
  includeText?: boolean;
}

export const DEFAULT_MIN_SCORE = 0.5;
