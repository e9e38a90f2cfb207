// `carapace/sdk`: guard tool functions with a Carapace gateway, remote (HTTP) or embedded (in process).
// docs/sdk.md says how to use it and what each mode records.

export type { CarapaceGateway, DecisionEvent, GuardedAction, IngestedChunk, OutputRules } from './action.js';
export {
  type EmbeddedCarapaceGateway,
  type EmbeddedGatewayOptions,
  openEmbeddedGateway,
  type ReviewDecision,
} from './embedded_gateway.js';
export {
  type AuditRef,
  CarapaceDeniedError,
  CarapaceError,
  type CarapaceErrorCode,
  CarapaceReviewPendingError,
} from './errors.js';
export {
  type CallContext,
  guard,
  type GuardedFunction,
  type GuardedTools,
  type GuardOptions,
  type ToolSpec,
} from './guard.js';
export { connectGateway, type RemoteGatewayOptions } from './remote_gateway.js';
export type { DecisionRecord, IntentClass, TrustLevel, TrustTier } from '../engine/index.js';
export type { PolicyText } from '../policy/index.js';
