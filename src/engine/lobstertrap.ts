// The conversation-layer fold (reference/origins.md §1.6, §1.10): read a Lobster Trap `_lobstertrap`
// block, from a real proxy upstream or from Carapace's own inspector, and fold it into the decision
// inputs monotonically: it can set the injection flag and lower trust, never the reverse.

import { LIMITS } from './limits.js';
import { isPlainObject } from './strict_object.js';
import { lowerTrust, type TrustLevel } from './vocabulary.js';

export const RISK_UNTRUST_THRESHOLD = 0.6;
export const RISK_LOWER_THRESHOLD = 0.3;

/** The `detected.*` booleans read from ingress and egress, OR-ed. */
export const DETECTION_FIELDS = [
  'contains_injection_patterns',
  'contains_obfuscation',
  'contains_exfiltration',
  'contains_credentials',
  'contains_pii',
  'contains_role_impersonation',
  'contains_malware_request',
] as const;
type DetectionField = (typeof DETECTION_FIELDS)[number];

/** Detections that taint the turn (PII alone does not). */
const TAINTS: ReadonlySet<string> = new Set<DetectionField>([
  'contains_injection_patterns',
  'contains_obfuscation',
  'contains_exfiltration',
  'contains_credentials',
  'contains_role_impersonation',
  'contains_malware_request',
]);
/** Detections that corroborate an action-layer injection finding. */
const CORROBORATING: ReadonlySet<string> = new Set<DetectionField>([
  'contains_injection_patterns',
  'contains_obfuscation',
  'contains_exfiltration',
]);
const BLOCKING_VERDICTS: ReadonlySet<string> = new Set(['DENY', 'QUARANTINE', 'HUMAN_REVIEW', 'RATE_LIMIT']);
const CORROBORATING_VERDICTS: ReadonlySet<string> = new Set(['DENY', 'QUARANTINE']);
const PASSING_VERDICTS: ReadonlySet<string> = new Set(['ALLOW', 'LOG', 'MODIFY', 'REDIRECT']);

export interface ConversationSignal {
  present: boolean;
  /** Upper-cased; falls back to ingress.action, then egress.action. */
  verdict: string | null;
  /** Max of ingress and egress `detected.risk_score`; 0 when neither has one. */
  risk_score: number;
  /** The detection fields that were true. */
  detections: string[];
  /** Actionable mismatches (severity other than `info`), as "<field> (<severity>)". */
  mismatches: string[];
  /** Why the block could not be read; a malformed block fails closed. */
  malformed: string | null;
}

export const ABSENT_SIGNAL: ConversationSignal = {
  present: false,
  verdict: null,
  risk_score: 0,
  detections: [],
  mismatches: [],
  malformed: null,
};

/** Picks the `_lobstertrap` block out of a whole chat response, or takes a bare block; null when absent. */
export function extractLobsterTrapBlock(payload: unknown): unknown {
  if (payload === undefined || payload === null) return null;
  if (isPlainObject(payload) && Object.hasOwn(payload, '_lobstertrap')) return payload._lobstertrap ?? null;
  if (
    isPlainObject(payload) &&
    !['verdict', 'ingress', 'egress', 'request_id'].some((k) => Object.hasOwn(payload, k))
  )
    return null;
  return payload;
}

/** Reads a block returned by extractLobsterTrapBlock; reads only known fields, so never throws. */
export function parseLobsterTrapBlock(block: unknown): ConversationSignal {
  if (block === null) return ABSENT_SIGNAL;
  const malformed = (why: string): ConversationSignal => ({
    ...ABSENT_SIGNAL,
    present: true,
    malformed: why,
  });

  if (!isPlainObject(block)) return malformed('_lobstertrap: must be an object');

  const stages: [name: string, stage: Record<string, unknown>][] = [];
  for (const name of ['ingress', 'egress'] as const) {
    const stage = block[name];
    if (stage === undefined || stage === null) continue;
    if (!isPlainObject(stage)) return malformed(`_lobstertrap.${name}: must be an object`);
    stages.push([name, stage]);
  }

  let verdict: string | null = null;
  for (const candidate of [block.verdict, ...stages.map(([, stage]) => stage.action)]) {
    if (candidate === undefined || candidate === null) continue;
    if (typeof candidate !== 'string') return malformed('_lobstertrap.verdict: must be a string');
    verdict = candidate.toUpperCase();
    break;
  }

  let risk = 0;
  const detections = new Set<string>();
  for (const [name, stage] of stages) {
    const detected = stage.detected;
    if (detected === undefined || detected === null) continue;
    const at = `_lobstertrap.${name}.detected`;
    if (!isPlainObject(detected)) return malformed(`${at}: must be an object`);
    if (detected.risk_score !== undefined) {
      const r = detected.risk_score;
      if (typeof r !== 'number' || !(r >= 0 && r <= 1))
        return malformed(`${at}.risk_score: must be a number in [0, 1]`);
      risk = Math.max(risk, r);
    }
    for (const field of DETECTION_FIELDS) {
      const flag = detected[field];
      if (flag === undefined) continue;
      if (typeof flag !== 'boolean') return malformed(`${at}.${field}: must be true or false`);
      if (flag) detections.add(field);
    }
  }

  const rawMismatches =
    isPlainObject(block.ingress) && block.ingress.mismatches !== undefined
      ? block.ingress.mismatches
      : block.mismatches;
  const mismatches: string[] = [];
  if (rawMismatches !== undefined && rawMismatches !== null) {
    if (!Array.isArray(rawMismatches) || rawMismatches.length > LIMITS.lobstertrapMismatches)
      return malformed(
        `_lobstertrap mismatches: must be an array of at most ${LIMITS.lobstertrapMismatches}`,
      );
    for (const [i, m] of rawMismatches.entries()) {
      if (!isPlainObject(m) || typeof m.field !== 'string' || typeof m.severity !== 'string')
        return malformed(`_lobstertrap mismatches[${i}]: needs a field and a severity`);
      if (m.severity.toLowerCase() === 'info') continue;
      mismatches.push(`${m.field} (${m.severity.toLowerCase()})`);
    }
  }

  return {
    present: true,
    verdict,
    risk_score: risk,
    detections: DETECTION_FIELDS.filter((f) => detections.has(f)),
    mismatches,
    malformed: null,
  };
}

export interface FoldResult {
  trust: TrustLevel;
  injection_flag: boolean;
  /** The conversation layer independently saw an attack: R2 DENY escalates to QUARANTINE. */
  corroborates: boolean;
  notes: string[];
}

/** Monotone: the result's trust is never higher and its injection flag never cleared. */
export function foldConversationSignal(
  trust: TrustLevel,
  injectionFlag: boolean,
  signal: ConversationSignal,
): FoldResult {
  const notes: string[] = [];
  if (!signal.present) return { trust, injection_flag: injectionFlag, corroborates: false, notes };
  if (signal.malformed !== null) {
    notes.push(
      `conversation layer: unreadable Lobster Trap block (${signal.malformed}); failing closed: untrusted, injection flag set`,
    );
    return { trust: 'untrusted', injection_flag: true, corroborates: false, notes };
  }

  const reasons: string[] = signal.detections.filter((d) => TAINTS.has(d));
  reasons.push(...signal.mismatches.map((m) => `mismatch ${m}`));
  if (signal.verdict !== null && BLOCKING_VERDICTS.has(signal.verdict))
    reasons.push(`verdict ${signal.verdict}`);
  if (
    signal.verdict !== null &&
    !BLOCKING_VERDICTS.has(signal.verdict) &&
    !PASSING_VERDICTS.has(signal.verdict)
  )
    reasons.push(`unknown verdict ${signal.verdict}`);
  let flag = injectionFlag;
  if (reasons.length > 0) {
    if (!flag) notes.push(`conversation layer sets the injection flag: ${reasons.join(', ')}`);
    flag = true;
  }

  let folded = trust;
  if (signal.risk_score >= RISK_UNTRUST_THRESHOLD) folded = 'untrusted';
  else if (signal.risk_score >= RISK_LOWER_THRESHOLD) folded = lowerTrust(trust);
  if (folded !== trust)
    notes.push(`conversation layer risk ${signal.risk_score} lowers provenance from ${trust} to ${folded}`);

  const corroborates =
    signal.detections.some((d) => CORROBORATING.has(d)) ||
    signal.mismatches.length > 0 ||
    (signal.verdict !== null && CORROBORATING_VERDICTS.has(signal.verdict));
  return { trust: folded, injection_flag: flag, corroborates, notes };
}
