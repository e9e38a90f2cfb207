// The policy module's public surface: compile YAML or English policies to hashed rules, and evaluate
// them as a pure function whose verdict composes with the engine's by taking the more severe.

export type { CompileOptions, PolicyText } from './compile.js';
export { compilePolicy, MAX_LAYERS, MAX_POLICY_CHARS, MAX_RULES, ruleBody } from './compile.js';
export type { LoweredDocument } from './document.js';
export { lowerPolicyDocument, lowerYamlPolicy } from './document.js';
export type { Sentence } from './english.js';
export { closestForm, lowerEnglishPolicy, SENTENCE_FORMS, splitSentences } from './english.js';
export type { PolicyError, PolicyErrorCode, PolicyResult } from './errors.js';
export type {
  CounterObligation,
  CounterRequirement,
  Findings,
  FiredRule,
  OutputInput,
  OutputVerdict,
  PolicyInput,
  PolicyObligations,
  PolicyVerdict,
} from './evaluate.js';
export {
  composeVerdicts,
  evaluatePolicy,
  toolRefusal,
  evaluatePolicyOutput,
  findingsNeeded,
  localTime,
  requiredCounters,
  typeSelected,
} from './evaluate.js';
export { POLICY_JSON_SCHEMA } from './json_schema.js';
export type {
  ArgumentConstraint,
  CompiledPolicy,
  PolicyLayer,
  PolicyRule,
  RuleBody,
  RuleKind,
  RuleSource,
  TrustTier,
  Weekday,
} from './model.js';
export { ANY_TOOL, DATA_CATEGORIES, PII_TYPE_NAMES, TRUST_TIERS, WEEKDAYS } from './model.js';
export { MAX_PATTERN_LENGTH, unsafePatternReason } from './safe_regex.js';
export { CONFUSABLE_TABLES, canonicalToolName } from './tool_name.js';
