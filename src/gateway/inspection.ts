// The inspect stages around an action (DESIGN.md §1). Before the engine: a tool call whose arguments
// carry a credential is refused (DENY), since an agent should never hold one (credentials are brokered,
// §9). After the executor: secrets and PII are redacted from the output before the agent sees it or it
// becomes a chunk. Until policies (issue 7) say otherwise per tool, these are the defaults for every tool.

import type { JsonValue } from '../inspect/json_scan.js';
import { redactPiiInJson } from '../inspect/pii/index.js';
import { detectSecretsInJson, redactSecretsInJson } from '../inspect/secrets/index.js';

const SEVERITY = { ALLOW: 0, HUMAN_REVIEW: 1, DENY: 2, QUARANTINE: 3 } as const;
export type Verdict = keyof typeof SEVERITY;

export interface InputInspection {
  decision: 'ALLOW' | 'DENY';
  rule: string | null;
  explanation: string | null;
  /** Kinds of credential found in the arguments (never their values). */
  secrets: string[];
}

export function inspectArguments(args: unknown): InputInspection {
  let kinds: string[];
  try {
    kinds = unique(detectSecretsInJson(args as JsonValue).map((f) => f.type));
  } catch (e) {
    // Fail closed: arguments that cannot be scanned are not let through.
    return {
      decision: 'DENY',
      rule: 'inspect.unscannable_arguments',
      explanation: `Denied (inspect): the arguments could not be scanned (${(e as Error).message}).`,
      secrets: [],
    };
  }
  if (kinds.length === 0) return { decision: 'ALLOW', rule: null, explanation: null, secrets: [] };
  return {
    decision: 'DENY',
    rule: 'inspect.secret_in_arguments',
    explanation: `Denied (inspect): the arguments carry a credential (${kinds.join(', ')}); agents never hold credentials, the broker injects them.`,
    secrets: kinds,
  };
}

/** The more severe of two verdicts: a stage can tighten a decision, never loosen it. */
export function stricter<A extends Verdict, B extends Verdict>(a: A, b: B): A | B {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

export interface OutputRedaction {
  value: JsonValue;
  /** Kinds found and replaced (never the values). */
  secrets: string[];
  pii: string[];
}

/** Secrets first, then PII, replaced by typed placeholders in a copy of `output`. */
export function redactOutput(output: unknown): OutputRedaction {
  const withoutSecrets = redactSecretsInJson(output as JsonValue);
  const withoutPii = redactPiiInJson(withoutSecrets.value);
  return {
    value: withoutPii.value,
    secrets: unique(withoutSecrets.findings.map((f) => f.type)),
    pii: unique(withoutPii.findings.map((f) => f.type)),
  };
}

const unique = (values: string[]) => [...new Set(values)].sort();
