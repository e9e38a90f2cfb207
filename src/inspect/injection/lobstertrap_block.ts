// The `_lobstertrap` block Carapace's own conversation-layer inspector emits for a text: the response
// header shape of Lobster Trap (reference/origins.md §1.10) with the ingress detections, the action its
// default policy (§1.11) would take, and the overall verdict. The engine folds it with the same code
// path as a block from a real Lobster Trap proxy (src/engine/lobstertrap.ts).

import { createHash } from 'node:crypto';
import { type MetadataOptions, type PromptMetadata, promptMetadata } from './prompt_metadata.js';

/** Lobster Trap policy actions that can appear in a stage's `action`. */
export type LobsterTrapAction = 'ALLOW' | 'DENY' | 'LOG' | 'QUARANTINE' | 'HUMAN_REVIEW' | 'RATE_LIMIT';
/** The top-level verdict: QUARANTINE is never one (it is folded into DENY). */
export type LobsterTrapVerdict = 'ALLOW' | 'DENY' | 'HUMAN_REVIEW';

export interface LobsterTrapBlock {
  request_id: string;
  verdict: LobsterTrapVerdict;
  ingress: {
    detected: PromptMetadata;
    mismatches: never[];
    action: LobsterTrapAction;
    rule_name?: string;
  };
}

/** Lobster Trap's default ingress rules, highest priority first: [rule name, action, condition]. */
const DEFAULT_INGRESS_RULES: readonly [string, LobsterTrapAction, (m: PromptMetadata) => boolean][] = [
  ['block_prompt_injection', 'DENY', (m) => m.contains_injection_patterns],
  ['block_harm_violence', 'DENY', (m) => m.contains_harm_patterns],
  ['block_malware_request', 'DENY', (m) => m.contains_malware_request],
  ['block_phishing_fraud', 'DENY', (m) => m.contains_phishing_patterns],
  ['block_data_exfiltration', 'DENY', (m) => m.contains_exfiltration],
  ['block_obfuscation_evasion', 'DENY', (m) => m.contains_obfuscation],
  ['review_role_impersonation', 'HUMAN_REVIEW', (m) => m.contains_role_impersonation],
  ['block_sensitive_paths', 'DENY', (m) => m.contains_sensitive_paths],
  ['block_pii_request', 'DENY', (m) => m.contains_pii_request],
  ['block_dangerous_commands', 'DENY', (m) => m.contains_system_commands && m.risk_score >= 0.3],
  ['review_high_risk', 'HUMAN_REVIEW', (m) => m.risk_score >= 0.6],
  ['log_code_execution', 'LOG', (m) => m.intent_category === 'code_execution'],
];

export interface BlockOptions extends MetadataOptions {
  /** Default: "req-" and the first 12 hex digits of the text's SHA-256 (same text, same id). */
  requestId?: string;
}

/** The `_lobstertrap` block for `text` as ingress content, as Lobster Trap with its default policy would report it. */
export function lobstertrapBlock(text: string, options: BlockOptions = {}): LobsterTrapBlock {
  const detected = promptMetadata(text, options);
  const rule = DEFAULT_INGRESS_RULES.find(([, , when]) => when(detected));
  const action: LobsterTrapAction = rule?.[1] ?? 'ALLOW';
  const verdict: LobsterTrapVerdict =
    action === 'DENY' || action === 'QUARANTINE'
      ? 'DENY'
      : action === 'HUMAN_REVIEW'
        ? 'HUMAN_REVIEW'
        : 'ALLOW';
  const request_id =
    options.requestId ?? `req-${createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 12)}`;
  const ingress: LobsterTrapBlock['ingress'] = { detected, mismatches: [], action };
  if (rule) ingress.rule_name = rule[0];
  return { request_id, verdict, ingress };
}
