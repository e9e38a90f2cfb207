// The injection inspector's public surface.

export type { DetectOptions, InjectionReport, InjectionSignal } from './detect.js';
export {
  detectInjection,
  INJECTION_THRESHOLD,
  MAX_ANCHOR_REPEATS,
  MAX_ATTEMPTS_PER_WINDOW,
  MAX_SCAN_CHARS,
  WINDOW_CHARS,
  WINDOW_OVERLAP,
} from './detect.js';
export type { SignalCategory } from './patterns.js';
