// The engine's public surface: pure functions and types, no I/O, no clock, no randomness, no packages.

export { DEFAULT_ENGINE, DEFAULT_RULESET, DEMO_CATALOG } from './builtin/index.js';
export type { JsonValue } from './canonical_json.js';
export { CanonicalText, canonicalJson, toCanonicalJson } from './canonical_json.js';
export type { Classification, CompiledCatalog, TopologyEntity } from './catalog.js';
export { classifyAction, compileCatalog } from './catalog.js';
export type { DecisionRecord, Engine } from './decide.js';
export { decide } from './decide.js';
export type { IntentEnvelope } from './envelope.js';
export { parseEnvelope } from './envelope.js';
export type { EngineError, EngineErrorCode, Result } from './errors.js';
export { sha256Canonical } from './hash.js';
export { LIMITS } from './limits.js';
export type { ConversationSignal } from './lobstertrap.js';
export {
  DETECTION_FIELDS,
  extractLobsterTrapBlock,
  foldConversationSignal,
  parseLobsterTrapBlock,
  RISK_LOWER_THRESHOLD,
  RISK_UNTRUST_THRESHOLD,
} from './lobstertrap.js';
export type { Chunk, ProvenanceMode, SourceResolution } from './provenance.js';
export { parseChunks, resolveProvenance } from './provenance.js';
export type { DecisionRequest, ParsedRequest } from './request.js';
export { parseDecisionRequest } from './request.js';
export type { CompiledRule, CompiledRuleset, RuleInputs } from './ruleset.js';
export { compileRuleset, findNonMonotoneStep, firstMatchingRule } from './ruleset.js';
export * from './vocabulary.js';

export { evaluate } from './evaluate.js';
export type { ReplayOutcome } from './replay.js';
export { replayRecord } from './replay.js';
export { isPlainObject } from './strict_object.js';
