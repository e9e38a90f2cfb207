// decide(): the pure decision. Same request, same ruleset, same catalog: same record, byte for byte.
// Classification, provenance, the conversation-layer fold, first-match rules and escalation, in that
// order; anything that cannot be classified fails closed to the ruleset's catch-all.

import { type CompiledCatalog, classifyAction } from './catalog.js';
import { sha256Text } from './hash.js';
import {
  type ConversationSignal,
  extractLobsterTrapBlock,
  foldConversationSignal,
  parseLobsterTrapBlock,
} from './lobstertrap.js';
import { resolveProvenance, type SourceResolution } from './provenance.js';
import type { DecisionRequest, ParsedRequest } from './request.js';
import { type CompiledRule, type CompiledRuleset, firstMatchingRule, type RuleInputs } from './ruleset.js';
import type { BlastRadius, Decision, IntentClass, TrustLevel } from './vocabulary.js';

export interface Engine {
  ruleset: CompiledRuleset;
  catalog: CompiledCatalog;
}

export interface DecisionRecord {
  decision: Decision;
  /** Id of the rule that fired, e.g. "R2". */
  rule: string;
  rule_name: string;
  explanation: string;
  inputs: {
    declared_intent: IntentClass;
    /** null when the action could not be classified. */
    detected_intent: IntentClass | null;
    provenance: TrustLevel;
    blast_radius: BlastRadius;
    injection_flag: boolean;
  };
  /** Catalog name of the tool (aliases resolved), null when unknown. */
  tool: string | null;
  sources: SourceResolution[];
  conversation_layer: ConversationSignal;
  /** The rule's own verdict before conversation-layer escalation. */
  base_decision: Decision;
  notes: string[];
  /** Exactly what was decided on; `carapace replay` decides it again. */
  request: DecisionRequest;
  ruleset_version: string;
  ruleset_hash: string;
  catalog_hash: string;
  /** Hash of the policy that tightened this decision; null until a policy stage applies one. */
  policy_hash: string | null;
  /** sha256 of the canonical request (what the agent and the session supplied). */
  request_hash: string;
  /** sha256 of the canonical {catalog_hash, request_hash}: everything the decision depended on, but the ruleset. */
  inputs_hash: string;
}

const VERDICT_WORDS: Record<Decision, string> = {
  ALLOW: 'Allowed',
  HUMAN_REVIEW: 'Human review',
  DENY: 'Denied',
  QUARANTINE: 'Quarantined',
};

export function decide(parsed: ParsedRequest, engine: Engine): DecisionRecord {
  const { request } = parsed;
  const { envelope } = request;
  const { ruleset, catalog } = engine;
  const classification = classifyAction(catalog, envelope.tool, envelope.args);
  const provenance = resolveProvenance(envelope.source_signals, request.chunks, request.provenance_mode);
  const signal = parseLobsterTrapBlock(extractLobsterTrapBlock(request.lobstertrap));
  const fold = foldConversationSignal(provenance.trust, provenance.injection_flag, signal);
  const notes = [...provenance.notes, ...fold.notes];

  let inputs: DecisionRecord['inputs'];
  let rule: CompiledRule;
  let decision: Decision;
  let explanation: string;
  if (classification.ok) {
    const ruleInputs: RuleInputs = {
      declared_intent: envelope.intent,
      detected_intent: classification.intent,
      provenance: fold.trust,
      blast_radius: classification.radius,
      injection_flag: fold.injection_flag,
    };
    inputs = ruleInputs;
    rule = firstMatchingRule(ruleset, ruleInputs);
    decision = rule.decision;
    const reason = rule.explain(ruleInputs, {
      tool: classification.tool,
      sources: describeCited(provenance.sources),
    });
    if (rule.escalateTo !== null && fold.corroborates) {
      decision = rule.escalateTo;
      notes.push(
        `${rule.id} ${rule.decision} escalated to ${decision}: the conversation layer corroborates (${corroboration(signal)})`,
      );
      explanation = `${VERDICT_WORDS[decision]} (${rule.id}, corroborated by the conversation layer): ${reason}`;
    } else {
      explanation = `${VERDICT_WORDS[decision]} (${rule.id}): ${reason}`;
    }
  } else {
    // Fail closed: the catch-all's verdict, the widest radius, and the conversation layer only recorded.
    inputs = {
      declared_intent: envelope.intent,
      detected_intent: null,
      provenance: fold.trust,
      blast_radius: 'region',
      injection_flag: fold.injection_flag,
    };
    rule = ruleset.catchAll;
    decision = rule.decision;
    explanation = `${VERDICT_WORDS[decision]} (${rule.id}, fail closed): ${classification.reason}.`;
    notes.unshift(`classification failed: ${classification.reason}; blast radius taken as region`);
    if (signal.present)
      notes.push('the conversation layer is recorded only: the action already fails closed');
  }

  return {
    decision,
    rule: rule.id,
    rule_name: rule.name,
    explanation,
    inputs,
    tool: classification.tool,
    sources: provenance.sources,
    conversation_layer: signal,
    base_decision: rule.decision,
    notes,
    request,
    ruleset_version: ruleset.version,
    ruleset_hash: ruleset.hash,
    catalog_hash: catalog.hash,
    policy_hash: null,
    request_hash: parsed.hash,
    inputs_hash: inputsHash(parsed.hash, catalog.hash),
  };
}

/** sha256 over the canonical JSON {"catalog_hash": …, "request_hash": …}; both are `sha256:<hex>`. */
export function inputsHash(requestHash: string, catalogHash: string): string {
  const quote = (h: string) => (SHA256_REF.test(h) ? `"${h}"` : JSON.stringify(h));
  return sha256Text(`{"catalog_hash":${quote(catalogHash)},"request_hash":${quote(requestHash)}}`);
}
const SHA256_REF = /^sha256:[0-9a-f]{64}$/;

function describeCited(sources: readonly SourceResolution[]): string {
  const cited = sources.filter((s) => s.cited);
  if (cited.length === 0) return 'no source cited';
  return cited
    .map((s) =>
      s.resolved
        ? `"${s.id}" (${s.trust}${s.injection_suspected ? ', injection suspected' : ''})`
        : `"${s.id}" (unresolved)`,
    )
    .join(', ');
}

function corroboration(signal: ConversationSignal): string {
  const parts: string[] = [...signal.detections, ...signal.mismatches.map((m) => `mismatch ${m}`)];
  if (signal.verdict !== null) parts.push(`verdict ${signal.verdict}`);
  return parts.join(', ');
}
