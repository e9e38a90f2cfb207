// Benchmark comparison baseline: the same authorization question Carapace's
// decision engine answers ("is this proposed action ALLOWED?"), answered by
// AWS Cedar (@cedar-policy/cedar-wasm) instead. Used only to compare latency
// against Carapace's engine and to cross-check the rule matrix; nothing in
// src/ depends on it.
//
// Carapace rule matrix (first match wins):
//   R1 declared != detected                                   -> DENY
//   R2 injection_flag && detected in {reversible,destructive} -> DENY
//   R3 provenance untrusted && destructive                    -> DENY
//   R4 radius in {site,region}                                -> HUMAN_REVIEW
//   R5 destructive && radius in {vlan,node}                   -> HUMAN_REVIEW
//   R6 destructive && provenance != untrusted                 -> HUMAN_REVIEW
//   R7 reversible && provenance != untrusted                  -> ALLOW
//   R8 detected in {observe,recommend}                        -> ALLOW
//   R9 otherwise                                              -> DENY
//
// Cedar has no ordering, only "allow iff some permit holds and no forbid
// holds". Every non-ALLOW rule before the ALLOW rules (R1-R6) becomes a
// forbid, each ALLOW rule (R7, R8) a permit, and R9 is Cedar's default deny.
// So Cedar Allow <=> no R1..R6 matches && (R7 || R8) <=> matrix ALLOW.

import { createRequire } from 'node:module';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import {
  BLAST_RADII,
  type CompiledRuleset,
  DEFAULT_RULESET,
  firstMatchingRule,
  INTENT_CLASSES,
  type RuleInputs,
  TRUST_LEVELS,
} from '../src/engine/index.js';

export type CedarMatrixInputs = RuleInputs;

export interface CedarAuthorizer {
  /** true iff Cedar's decision is Allow. Throws if Cedar reports any error. */
  allows(inputs: CedarMatrixInputs, tool: string): boolean;
  /** e.g. "cedar 4.13.0 (lang 4.5)" */
  version: string;
}

export interface CedarMatrixDisagreement {
  inputs: CedarMatrixInputs;
  matrix: string;
  matrixRule: string;
  cedarAllows: boolean;
}

const PRINCIPAL = { type: 'Agent', id: 'ops-agent' } as const;
const ACTION = { type: 'Action', id: 'propose' } as const;
const POLICY_SET_ID = 'carapace-rule-matrix';

export const CEDAR_POLICIES: string = `// Carapace rule matrix as Cedar. R1-R6 forbid (DENY / HUMAN_REVIEW are both
// "not allowed"), R7-R8 permit, R9 is Cedar's implicit default deny.

@id("R1_intent_mismatch")
forbid (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when { context.declared_intent != context.detected_intent };

@id("R2_injection_remediation")
forbid (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when {
  context.injection_flag &&
  ["remediate_reversible", "remediate_destructive"].contains(context.detected_intent)
};

@id("R3_untrusted_destructive")
forbid (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when {
  context.provenance == "untrusted" &&
  context.detected_intent == "remediate_destructive"
};

@id("R4_wide_radius_review")
forbid (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when { ["site", "region"].contains(context.blast_radius) };

@id("R5_destructive_mid_radius_review")
forbid (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when {
  context.detected_intent == "remediate_destructive" &&
  ["vlan", "node"].contains(context.blast_radius)
};

@id("R6_destructive_review")
forbid (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when {
  context.detected_intent == "remediate_destructive" &&
  context.provenance != "untrusted"
};

@id("R7_reversible_trusted_allow")
permit (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when {
  context.detected_intent == "remediate_reversible" &&
  context.provenance != "untrusted"
};

@id("R8_read_only_allow")
permit (principal == Agent::"ops-agent", action == Action::"propose", resource is Tool)
when { ["observe", "recommend"].contains(context.detected_intent) };
`;

// Checked once at authorizer creation (strict validation), never per request.
const CEDAR_SCHEMA = `
entity Agent;
entity Tool;
action propose appliesTo {
  principal: Agent,
  resource: Tool,
  context: {
    declared_intent: String,
    detected_intent: String,
    provenance: String,
    blast_radius: String,
    injection_flag: Bool,
  }
};
`;

type CedarModule = typeof CedarWasm;
let cedarModule: CedarModule | undefined;

// Loaded lazily (synchronously) so importing this file for CEDAR_POLICIES does not compile the ~MBs of Cedar wasm.
function loadCedar(): CedarModule {
  if (cedarModule === undefined) {
    const require = createRequire(import.meta.url);
    cedarModule = require('@cedar-policy/cedar-wasm/nodejs') as CedarModule;
  }
  return cedarModule;
}

function formatErrors(errors: readonly CedarWasm.DetailedError[]): string {
  return errors.map((e) => e.message).join('; ');
}

/**
 * Loads Cedar, validates CEDAR_POLICIES against the schema, preparses them once,
 * and returns an authorizer answering one request per allows() call via
 * statefulIsAuthorized (measured faster than isAuthorized, which re-parses the
 * policy text on every call).
 */
export function createCedarAuthorizer(): CedarAuthorizer {
  const cedar = loadCedar();

  const validation = cedar.validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies: CEDAR_POLICIES },
    validationSettings: { mode: 'strict' },
  });
  if (validation.type === 'failure') {
    throw new Error(`Cedar validation failed: ${formatErrors(validation.errors)}`);
  }
  if (validation.validationErrors.length > 0) {
    const msgs = validation.validationErrors.map((v) => `${v.policyId}: ${v.error.message}`);
    throw new Error(`Cedar policies do not validate against schema: ${msgs.join('; ')}`);
  }

  const parsed = cedar.preparsePolicySet(POLICY_SET_ID, { staticPolicies: CEDAR_POLICIES });
  if (parsed.type === 'failure') {
    throw new Error(`Cedar policy parse failed: ${formatErrors(parsed.errors)}`);
  }

  const statefulIsAuthorized = cedar.statefulIsAuthorized;
  const entities: CedarWasm.Entities = [];

  return {
    version: `cedar ${cedar.getCedarVersion()} (lang ${cedar.getCedarLangVersion()})`,
    allows(inputs: CedarMatrixInputs, tool: string): boolean {
      const answer = statefulIsAuthorized({
        principal: PRINCIPAL,
        action: ACTION,
        resource: { type: 'Tool', id: tool },
        context: {
          declared_intent: inputs.declared_intent,
          detected_intent: inputs.detected_intent,
          provenance: inputs.provenance,
          blast_radius: inputs.blast_radius,
          injection_flag: inputs.injection_flag,
        },
        preparsedPolicySetId: POLICY_SET_ID,
        entities,
      });
      if (answer.type === 'failure') {
        throw new Error(`Cedar authorization failed: ${formatErrors(answer.errors)}`);
      }
      // A policy that errors is skipped by Cedar, which could silently drop a
      // forbid; fail closed by surfacing it instead.
      const evalErrors = answer.response.diagnostics.errors;
      if (evalErrors.length > 0) {
        const msgs = evalErrors.map((e) => `${e.policyId}: ${e.error.message}`);
        throw new Error(`Cedar policy evaluation errors: ${msgs.join('; ')}`);
      }
      return answer.response.decision === 'allow';
    },
  };
}

/** Exhaustive check over all 4*4*3*6*2 = 576 rule inputs: Cedar allows exactly what the compiled ruleset allows. */
export function checkCedarAgreesWithRuleset(ruleset: CompiledRuleset = DEFAULT_RULESET): {
  checked: number;
  disagreements: CedarMatrixDisagreement[];
} {
  const authorizer = createCedarAuthorizer();
  const disagreements: CedarMatrixDisagreement[] = [];
  let checked = 0;
  for (const declared_intent of INTENT_CLASSES)
    for (const detected_intent of INTENT_CLASSES)
      for (const provenance of TRUST_LEVELS)
        for (const blast_radius of BLAST_RADII)
          for (const injection_flag of [false, true]) {
            const inputs: RuleInputs = {
              declared_intent,
              detected_intent,
              provenance,
              blast_radius,
              injection_flag,
            };
            const rule = firstMatchingRule(ruleset, inputs);
            const cedarAllows = authorizer.allows(inputs, 'kubectl');
            checked++;
            if ((rule.decision === 'ALLOW') !== cedarAllows)
              disagreements.push({ inputs, matrix: rule.decision, matrixRule: rule.id, cedarAllows });
          }
  return { checked, disagreements };
}
