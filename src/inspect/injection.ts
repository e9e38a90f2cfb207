// The chunk registry's view of the injection detector (src/inspect/injection/): suspected or not, and
// the kinds of signal found. Kept as its own small surface so the gateway's import does not change.

import { detectInjection } from './injection/index.js';

export interface InjectionScan {
  suspected: boolean;
  /** The kinds of signal found (e.g. "instruction-override", "system-tag"), each once, in text order. */
  matched: string[];
}

export function scanForInjection(text: string): InjectionScan {
  const report = detectInjection(text);
  return { suspected: report.suspected, matched: [...new Set(report.signals.map((s) => s.kind))] };
}
