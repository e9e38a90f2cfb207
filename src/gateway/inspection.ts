// The inspect stages around an action (DESIGN.md §1). Before the engine: a tool call whose arguments
// carry a credential is refused (DENY), since an agent should never hold one (credentials are brokered,
// §9). After the executor: secrets and PII are redacted from the output before the agent sees it or it
// becomes a chunk. These are the defaults for every tool; a policy can ask for more per tool (redactTypes).

import type { JsonValue } from '../inspect/json_scan.js';
import { PII_TYPES, redactPiiInJson } from '../inspect/pii/index.js';
import { detectSecretsInJson, redactSecretsInJson, SECRET_TYPES } from '../inspect/secrets/index.js';
import { DATA_CATEGORIES, PII_TYPE_NAMES, typeSelected } from '../policy/index.js';

export interface InputInspection {
  decision: 'ALLOW' | 'DENY';
  rule: string | null;
  explanation: string | null;
  /** Kinds of credential found in the arguments (never their values). */
  secrets: string[];
}

/** Fail closed: arguments that cannot be scanned (or whose scanner fails) are not let through. */
export function unscannableArguments(error: unknown): InputInspection {
  return {
    decision: 'DENY',
    rule: 'inspect.unscannable_arguments',
    explanation: `Denied (inspect): the arguments could not be scanned (${(error as Error).message}).`,
    secrets: [],
  };
}

export function inspectArguments(args: unknown): InputInspection {
  let kinds: string[];
  try {
    kinds = unique(detectSecretsInJson(args as JsonValue).map((f) => f.type));
  } catch (e) {
    return unscannableArguments(e);
  }
  if (kinds.length === 0) return { decision: 'ALLOW', rule: null, explanation: null, secrets: [] };
  return {
    decision: 'DENY',
    rule: 'inspect.secret_in_arguments',
    explanation: `Denied (inspect): the arguments carry a credential (${kinds.join(', ')}); agents never hold credentials, the broker injects them.`,
    secrets: kinds,
  };
}

export interface OutputRedaction {
  value: JsonValue;
  /** Kinds found and replaced (never the values). */
  secrets: string[];
  pii: string[];
}

/**
 * The PII redacted from every output by default: the kinds found by validated structure (checksums,
 * formats), whose precision is measured at 1.0 (docs/evaluation.md). Names, addresses, places,
 * organisations, ages and dates come from heuristics that also match ordinary operational text ("pid
 * 20612 stopped, pid 20654 serving again 42" reads as an address), so they are redacted only where a
 * policy asks for it (issue 7). IP addresses are operational data here, not redacted by default.
 */
export const OUTPUT_PII_TYPES = [
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
] as const;

/**
 * Secrets first, then the validated PII, then the types `more` names (a policy's output rules, a tool's
 * own), each replaced by a typed placeholder in a copy of `output`.
 */
export function redactOutput(output: unknown, more: readonly string[] = []): OutputRedaction {
  // One pass per detector over the defaults and the extra types together.
  const { value, found } = redactTypes(output, ['SECRET', ...OUTPUT_PII_TYPES, ...more]);
  const isPii = (t: string) => (PII_TYPES as readonly string[]).includes(t);
  return { value, secrets: found.filter((t) => !isPii(t)), pii: found.filter(isPii) };
}

/**
 * A failure as it may be recorded or shown: its code when it has one of the recorded form (else
 * `fallback`), and its reason, bounded, with credentials and validated PII replaced.
 */
export function safeFailure(
  code: unknown,
  reason: string,
  fallback: string,
): { code: string; reason: string } {
  return {
    code: typeof code === 'string' && FAILURE_CODE.test(code) ? code : fallback,
    reason: redactOutput(reason.slice(0, MAX_FAILURE_CHARS)).value as string,
  };
}

/** A thrown value as a failure safe to record (see safeFailure). */
export function describeFailure(error: unknown, fallback: string): { code: string; reason: string } {
  const message = error instanceof Error ? error.message : String(error);
  return safeFailure((error as { code?: unknown } | null)?.code, message, fallback);
}

/** A failure's code as recorded and answered: the gateway's own form (E_HALL_TARGET, E_MCP_UPSTREAM_TIMEOUT). */
const FAILURE_CODE = /^E_[A-Z0-9_]{1,64}$/;
const MAX_FAILURE_CHARS = 2048;

const unique = (values: string[]) => [...new Set(values)].sort();

/** What a redaction may name: the categories `PII` and `SECRET`, or one detector type. */
export const REDACTABLE_TYPES: readonly string[] = [...DATA_CATEGORIES, ...PII_TYPE_NAMES, ...SECRET_TYPES];

/**
 * A copy of `value` with the data types a policy selects (`PII`, `SECRET` or exact finding types)
 * replaced by typed placeholders; `found` lists the types replaced (never the values).
 */
export function redactTypes(
  value: unknown,
  selected: readonly string[],
): { value: JsonValue; found: string[] } {
  let current = value as JsonValue;
  const found: string[] = [];
  const secretTypes = SECRET_TYPES.filter((t) => typeSelected(selected, t));
  if (secretTypes.length > 0) {
    const r = redactSecretsInJson(current);
    current = r.value;
    found.push(...r.findings.map((f) => f.type));
  }
  const piiTypes = PII_TYPES.filter((t) => typeSelected(selected, t));
  if (piiTypes.length > 0) {
    const r = redactPiiInJson(current, { types: [...piiTypes] });
    current = r.value;
    found.push(...r.findings.map((f) => f.type));
  }
  return { value: current, found: unique(found) };
}
