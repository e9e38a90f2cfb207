// The exact strings of DESIGN.md §3 and their orders. Every other engine file speaks in these terms.

export const INTENT_CLASSES = [
  'observe',
  'recommend',
  'remediate_reversible',
  'remediate_destructive',
] as const;
export type IntentClass = (typeof INTENT_CLASSES)[number];

/** Ordered from least to most trusted; min over an empty set is `untrusted`. */
export const TRUST_LEVELS = ['untrusted', 'semi_trusted', 'trusted'] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

/** Agent trust tiers (DESIGN.md §8), ordered from least to most trusted. */
export const TRUST_TIERS = ['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7'] as const;
export type TrustTier = (typeof TRUST_TIERS)[number];

/**
 * The PII detector's entity types (src/inspect/pii), which policies name too: one list for both, in the
 * order findings of equal rank are preferred.
 */
export const PII_TYPES = [
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'EMAIL_ADDRESS',
  'IP_ADDRESS',
  'PHONE_NUMBER',
  'PASSPORT',
  'ID_NUMBER',
  'DATE_OF_BIRTH',
  'AGE',
  'STREET_ADDRESS',
  'PERSON',
  'LOCATION',
  'ORGANIZATION',
] as const;

/** Ordered from smallest to widest reach. */
export const BLAST_RADII = ['none', 'workload', 'node', 'vlan', 'site', 'region'] as const;
export type BlastRadius = (typeof BLAST_RADII)[number];

/** Ordered by severity: a stage may move a verdict right, never left. */
export const DECISIONS = ['ALLOW', 'HUMAN_REVIEW', 'DENY', 'QUARANTINE'] as const;
export type Decision = (typeof DECISIONS)[number];

export const REMEDIATION_INTENTS: ReadonlySet<IntentClass> = new Set([
  'remediate_reversible',
  'remediate_destructive',
]);

export function isIntentClass(x: unknown): x is IntentClass {
  return typeof x === 'string' && (INTENT_CLASSES as readonly string[]).includes(x);
}
export function isTrustLevel(x: unknown): x is TrustLevel {
  return typeof x === 'string' && (TRUST_LEVELS as readonly string[]).includes(x);
}
export function isBlastRadius(x: unknown): x is BlastRadius {
  return typeof x === 'string' && (BLAST_RADII as readonly string[]).includes(x);
}
export function isDecision(x: unknown): x is Decision {
  return typeof x === 'string' && (DECISIONS as readonly string[]).includes(x);
}

export function severity(d: Decision): number {
  return DECISIONS.indexOf(d);
}

/** The more severe of two verdicts: how stages compose (DESIGN.md §1). */
export function mostSevere(a: Decision, b: Decision): Decision {
  return severity(a) >= severity(b) ? a : b;
}

export function trustRank(t: TrustLevel): number {
  return TRUST_LEVELS.indexOf(t);
}

export function minTrust(a: TrustLevel, b: TrustLevel): TrustLevel {
  return trustRank(a) <= trustRank(b) ? a : b;
}

/** One notch less trusted; `untrusted` stays `untrusted`. */
export function lowerTrust(t: TrustLevel): TrustLevel {
  return TRUST_LEVELS[Math.max(0, trustRank(t) - 1)] as TrustLevel;
}
