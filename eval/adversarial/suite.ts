// The adversarial suite: EnforceCore's 26 scenarios (enforcecore/eval/scenarios.py, ids kept) ported
// to Carapace and run against real gateways over HTTP, each in its own gateway and data directory.

import { outcomeOf, type Scenario, type ScenarioResult } from './scenario.js';
import { auditTrailIntegrity, auditWitnessCallback } from './scenarios/audit.js';
import { collusionAgentRelay } from './scenarios/collusion.js';
import {
  dataExfilOversizedOutput,
  dataExfilPiiInOutput,
  slowBurnExfil,
} from './scenarios/data_exfiltration.js';
import { piiLeakChainedOutput, piiLeakInput } from './scenarios/pii_leakage.js';
import { policyEvasionCaseVariant, policyEvasionNameTrick } from './scenarios/policy_evasion.js';
import { privEscalationChain, privEscalationMultipleDenied } from './scenarios/privilege_escalation.js';
import {
  promptInjectionInput,
  promptInjectionSystemOverride,
  promptInjectionToolName,
} from './scenarios/prompt_injection.js';
import { ransomwareCampaign, ransomwareEncryptOnly } from './scenarios/ransomware.js';
import {
  resourceExhaustCost,
  resourceExhaustLargeInput,
  resourceExhaustTimeout,
} from './scenarios/resource_exhaustion.js';
import { supplyChainCredentialHarvest, supplyChainHiddenExfil } from './scenarios/supply_chain.js';
import {
  toolAbuseArgumentInjection,
  toolAbuseDeniedTool,
  toolAbuseNotInAllowed,
  toolAbuseRapidFire,
} from './scenarios/tool_abuse.js';
import { openWorld } from './world.js';

/** In EnforceCore's category order. */
export const ADVERSARIAL_SCENARIOS: readonly Scenario[] = [
  toolAbuseDeniedTool,
  toolAbuseNotInAllowed,
  toolAbuseRapidFire,
  toolAbuseArgumentInjection,
  dataExfilOversizedOutput,
  dataExfilPiiInOutput,
  slowBurnExfil,
  resourceExhaustTimeout,
  resourceExhaustCost,
  resourceExhaustLargeInput,
  policyEvasionNameTrick,
  policyEvasionCaseVariant,
  piiLeakInput,
  piiLeakChainedOutput,
  privEscalationMultipleDenied,
  privEscalationChain,
  promptInjectionInput,
  promptInjectionToolName,
  promptInjectionSystemOverride,
  ransomwareCampaign,
  ransomwareEncryptOnly,
  supplyChainCredentialHarvest,
  supplyChainHiddenExfil,
  collusionAgentRelay,
  auditTrailIntegrity,
  auditWitnessCallback,
];

/** Runs one scenario in a fresh gateway; an exception is an `error` outcome, never a containment. */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const started = performance.now();
  const base = {
    id: scenario.id,
    category: scenario.category,
    severity: scenario.severity,
    title: scenario.title,
  };
  const world = await openWorld(scenario.policyFile ? { policyFile: scenario.policyFile } : {});
  try {
    const evidence = await scenario.run(world);
    return {
      ...base,
      outcome: outcomeOf(evidence),
      evidence,
      duration_ms: Math.round(performance.now() - started),
    };
  } catch (e) {
    return {
      ...base,
      outcome: 'error',
      evidence: [],
      error: e instanceof Error ? e.message : String(e),
      duration_ms: Math.round(performance.now() - started),
    };
  } finally {
    await world.close();
  }
}

/** Runs the scenarios (all, or those whose ids are given) one after another. */
export async function runAdversarialSuite(ids?: readonly string[]): Promise<ScenarioResult[]> {
  const chosen =
    ids && ids.length > 0 ? ADVERSARIAL_SCENARIOS.filter((s) => ids.includes(s.id)) : ADVERSARIAL_SCENARIOS;
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) results.push(await runScenario(scenario));
  return results;
}
