// A first, deliberately simple prompt-injection detector for ingested content: regular expressions for
// the instruction-override shapes seen in the reference scenario and in Lobster Trap's pattern set.
// The inspection issue (6) replaces it; until then it is what marks a chunk injection_suspected.

const PATTERNS: [name: string, pattern: RegExp][] = [
  ['system-block', /#{2,}\s*system\b|<\s*\/?\s*system\s*>|\bBEGIN SYSTEM PROMPT\b/i],
  [
    'instruction-override',
    /\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(previous|prior|above|earlier)\s+(operator\s+)?(instructions|rules|prompts?)\b/i,
  ],
  [
    'instructions-superseded',
    /\b(previous|prior)\s+(operator\s+)?instructions\s+(are\s+)?(superseded|void|cancelled|revoked)\b/i,
  ],
  ['new-instructions', /\bnew\s+instructions\s*:/i],
  ['role-impersonation', /\b(you are now|act as)\s+(the\s+)?(system|admin|administrator|root|operator)\b/i],
  ['claimed-authorization', /\bauthori[sz]ation\s*:\s*\S+@\S+/i],
  [
    'urgent-destructive-command',
    /\b(isolate|shut\s*down|wipe|delete|format|quarantine)\b[^.\n]{0,40}\b(immediately|now|at once)\b/i,
  ],
];

export interface InjectionScan {
  suspected: boolean;
  /** Names of the patterns that matched. */
  matched: string[];
}

export function scanForInjection(text: string): InjectionScan {
  const matched = PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
  return { suspected: matched.length > 0, matched };
}
