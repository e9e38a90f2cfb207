// The injection inspector's public surface: the detector, and the Lobster-Trap-compatible metadata and
// `_lobstertrap` block built from it (what Carapace's own conversation-layer inspector emits).

export type { DetectOptions, InjectionReport, InjectionSignal } from './detect.js';
export {
  detectInjection,
  INJECTION_THRESHOLD,
  MAX_ANCHOR_REPEATS,
  MAX_ATTEMPTS_PER_WINDOW,
  MAX_DECODES_PER_WINDOW,
  MAX_SCAN_CHARS,
  WINDOW_CHARS,
  WINDOW_OVERLAP,
} from './detect.js';
export type {
  BlockOptions,
  LobsterTrapAction,
  LobsterTrapBlock,
  LobsterTrapVerdict,
} from './lobstertrap_block.js';
export { lobstertrapBlock } from './lobstertrap_block.js';
export type { SignalCategory } from './patterns.js';
export type { DetectionField, IntentCategory, MetadataOptions, PromptMetadata } from './prompt_metadata.js';
export { INTENT_WEIGHTS, promptMetadata, SIGNAL_WEIGHTS } from './prompt_metadata.js';
