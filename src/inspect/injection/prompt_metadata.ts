// Lobster Trap's PromptMetadata for a text (reference/origins.md §1.10): the same field names, the same
// intent categories and the published risk weights, so that Carapace's own conversation-layer inspector
// and a real Lobster Trap proxy feed the engine's fold (src/engine/lobstertrap.ts) the same shape. The
// four injection fields come from detectInjection(); the others are Lobster-Trap-style regular
// expressions (credentials and PII detectors can be plugged in instead).

import { type DetectOptions, detectInjection, type InjectionReport } from './detect.js';
import type { SignalCategory } from './patterns.js';

export type IntentCategory =
  | 'code_execution'
  | 'file_io'
  | 'network'
  | 'system'
  | 'communication'
  | 'credential_access'
  | 'data_access'
  | 'general';

/** Field for field, Lobster Trap's `inspector.PromptMetadata` (JSON names). */
export interface PromptMetadata {
  intent_category: IntentCategory;
  intent_confidence: number;
  risk_score: number;
  contains_code: boolean;
  contains_credentials: boolean;
  contains_pii: boolean;
  contains_pii_request: boolean;
  contains_system_commands: boolean;
  contains_malware_request: boolean;
  contains_phishing_patterns: boolean;
  contains_role_impersonation: boolean;
  contains_exfiltration: boolean;
  contains_harm_patterns: boolean;
  contains_obfuscation: boolean;
  contains_injection_patterns: boolean;
  contains_file_paths: boolean;
  contains_sensitive_paths: boolean;
  contains_urls: boolean;
  target_paths: string[];
  target_domains: string[];
  target_commands: string[];
  token_count: number;
}

export type DetectionField = Exclude<
  { [K in keyof PromptMetadata]: PromptMetadata[K] extends boolean ? K : never }[keyof PromptMetadata],
  undefined
>;

/** Lobster Trap's risk weights (inspector/risk.go): the risk score is their clamped sum. */
export const SIGNAL_WEIGHTS: Readonly<Record<DetectionField, number>> = {
  contains_credentials: 0.35,
  contains_pii: 0.25,
  contains_pii_request: 0.3,
  contains_malware_request: 0.45,
  contains_phishing_patterns: 0.4,
  contains_role_impersonation: 0.25,
  contains_exfiltration: 0.4,
  contains_harm_patterns: 0.5,
  contains_obfuscation: 0.35,
  contains_injection_patterns: 0.4,
  contains_system_commands: 0.3,
  contains_file_paths: 0.05,
  contains_urls: 0.05,
  contains_code: 0.02,
  contains_sensitive_paths: 0.25,
};

/** Lobster Trap's intent weights, multiplied by the intent confidence and added to the risk. */
export const INTENT_WEIGHTS: Readonly<Record<IntentCategory, number>> = {
  credential_access: 0.3,
  system: 0.25,
  network: 0.1,
  code_execution: 0.1,
  data_access: 0.1,
  file_io: 0.05,
  communication: 0.05,
  general: 0,
};

/** Keywords per intent; each distinct keyword found adds 1 to its category's score. In tie order. */
const INTENT_KEYWORDS: readonly [IntentCategory, RegExp][] = [
  [
    'credential_access',
    /\b(?:passwords?|credentials?|tokens?|api[ _-]?keys?|secrets?|ssh[ _-]?keys?|private[ _-]?keys?|login|auth|authori[sz]ation|passwd|keychain|vault)\b/gi,
  ],
  [
    'system',
    /\b(?:sudo|root|system|kernel|process|service|reboot|shutdown|systemctl|chmod|chown|install|config|admin|operator|daemon|registry|cron)\b/gi,
  ],
  [
    'network',
    /\b(?:http|https|url|request|fetch|curl|wget|network|ip|port|dns|firewall|isolate|vlan|switch|proxy|route|router|bgp|interface|subnet)\b/gi,
  ],
  [
    'code_execution',
    /\b(?:execute|run|eval|exec|script|python|bash|shell|subprocess|command|compile|powershell|javascript|node)\b/gi,
  ],
  ['data_access', /\b(?:database|sql|query|select|table|records|export|dump|dataset|spreadsheet|report)\b/gi],
  ['file_io', /\b(?:read|write|open|save|file|files|directory|folder|upload|download|path)\b/gi],
  ['communication', /\b(?:e-?mail|send|message|slack|notify|sms|forward|reply|mail|post|chat)\b/gi],
];

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const MAX_TARGETS = 32;
const MAX_TARGET_CHARS = 256;

// Every pattern here that starts with a literal followed by a long run starts only at the beginning of a
// run (a lookbehind), so no character is rescanned from many starts: the scans are linear.
const CREDENTIALS =
  /(?<![\w-])(?:sk-[A-Za-z0-9_-]{20,200}|pk_(?:live|test)_[A-Za-z0-9]{10,100}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{20,200}|xox[abpr]-[A-Za-z0-9-]{10,200}|eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,2000}\.[A-Za-z0-9_-]{8,2000})|-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----|\b(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|token|secret|client[_-]?secret|password|passwd|openai_api_key|aws_secret_access_key|azure[_-]?(?:key|secret))\s*[=:]\s*["']?[^\s"']{6,200}|\bbearer\s+[A-Za-z0-9._~+/-]{16,2000}=*/i;
const PII =
  /\b\d{3}-\d{2}-\d{4}\b|\b(?:\d[ -]?){13,16}\b|(?:\+1[ .-]?)?\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b|(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}\b/;
const PII_REQUEST =
  /\b(?:what(?:'s| is)|give me|tell me|send me|share|provide|list|find|show me|look up|reveal)\b[^\n]{0,60}?\b(?:ssn|social security(?: number)?|credit card(?: numbers?)?|passwords?|home address(?:es)?|phone numbers?|dates? of birth|bank account(?: numbers?)?|passport numbers?)\b/i;
const SYSTEM_COMMANDS =
  /\brm\s+-(?:rf|fr)\b|\bchmod\s+(?:-R\s+)?777\b|\bmkfs(?:\.\w+)?\b|\bdd\s+if=|\b(?:curl|wget)\b[^\n|]{0,100}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b|\bsudo\s+\S|\bsu\s+-|\bnmap\b|\btcpdump\b|\bnetcat\b|\bnc\s+-[a-z]*l|\/dev\/tcp\/|\bbash\s+-i\s*>|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/i;
const COMMAND_NAMES =
  /\b(?:rm|chmod|chown|mkfs|dd|curl|wget|sudo|su|nmap|tcpdump|netcat|nc|bash|sh|zsh|iptables|systemctl|shutdown|reboot|kill|killall|kubectl|ssh|scp|docker)\b(?=\s+-{0,2}[\w/.~$'"=:-])/gi;
const MALWARE_REQUEST =
  /\b(?:write|create|generate|build|develop|code|make|give me|design)\b[^\n]{0,60}?\b(?:malware|ransomware|keylogger|virus|trojan|worm|rootkit|botnet|backdoor|spyware|exploit|reverse shell|credential stealer|info[- ]?stealer|cryptominer)\b/i;
const PHISHING =
  /\b(?:verify your (?:account|identity|password|email)|confirm your (?:password|identity|account|details)|your account (?:will be|has been) (?:suspended|locked|closed|disabled|deactivated)|click (?:here|this link|the link below) to (?:verify|confirm|reset|unlock|restore|update|claim)|urgent(?:ly)? (?:action|response) required|your password (?:has )?expired|unusual (?:sign-in|login) activity|you have won|claim your (?:prize|reward|refund))\b/i;
const HARM =
  /\bhow to (?:make|build|create|assemble) (?:a |an )?(?:bomb|explosive|pipe bomb|weapon|bioweapon|nerve agent|poison|meth)\b|\bkill (?:yourself|himself|herself|themselves|people|everyone)\b|\bsuicide methods?\b|\bself[- ]harm (?:methods?|instructions)\b|\bmass shooting\b/i;
const SENSITIVE_PATHS =
  /\/etc\/(?:passwd|shadow|sudoers)\b|~\/\.ssh\b|\.ssh\/(?:id_\w+|authorized_keys)|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws\/credentials|\/proc\/self\/environ|\.kube\/config|\.git-credentials|\.pgpass\b|\.npmrc\b|(?:^|[\s/"'])\.env\b|\/root\//i;
const PATHS =
  /(?:^|[\s"'(=,])((?:~|\.{1,2})?\/[\w.@%+-]{1,100}(?:\/[\w.@%+-]{0,100}){1,30}|[A-Za-z]:\\[\w. -]{1,100}(?:\\[\w. -]{1,100}){0,30})/g;
const URLS = /(?<![\w/:.@-])(?:https?:\/\/|www\.)[^\s"'<>)\]]{1,2000}/gi;
const DOMAINS =
  /(?<![\w./-])(?:[a-z0-9-]{1,63}\.){1,10}(?:com|net|org|io|dev|ai|co|uk|de|fr|internal|local|xyz|app|info|biz|gov|edu|us|cloud|site|online|ru|cn)\b/gi;
const CODE =
  /```|^[ \t]*(?:def |class \w+[(:]|import \w|from \w[\w.]* import |function \w|const \w+ = |let \w+ = |#include\s*<|public (?:static )?\w+ |package \w|fn \w+\()/m;

export interface MetadataOptions extends DetectOptions {
  /** A report already computed for this text (saves detecting twice). */
  report?: InjectionReport;
  /** Detectors to use instead of the built-in regular expressions (e.g. the PII and secret scanners). */
  detectors?: { credentials?: (text: string) => boolean; pii?: (text: string) => boolean };
}

const CATEGORY_FIELD: Readonly<Record<SignalCategory, DetectionField>> = {
  injection: 'contains_injection_patterns',
  role_impersonation: 'contains_role_impersonation',
  obfuscation: 'contains_obfuscation',
  exfiltration: 'contains_exfiltration',
  malicious_code: 'contains_malware_request',
};

function distinct(re: RegExp, text: string, map: (m: RegExpExecArray) => string | undefined): string[] {
  const out = new Set<string>();
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && out.size < MAX_TARGETS) {
    const v = map(m);
    if (v) out.add(v.slice(0, MAX_TARGET_CHARS));
    if (m[0].length === 0) re.lastIndex++;
  }
  return [...out];
}

function intentOf(text: string): { category: IntentCategory; confidence: number } {
  let best: IntentCategory = 'general';
  let bestScore = 0;
  for (const [category, re] of INTENT_KEYWORDS) {
    const score = distinct(re, text, (m) => m[0].toLowerCase()).length;
    if (score > bestScore) {
      best = category;
      bestScore = score;
    }
  }
  return bestScore === 0
    ? { category: 'general', confidence: 0.5 }
    : { category: best, confidence: round4(bestScore / (bestScore + 1)) };
}

function hostOf(url: string): string | undefined {
  const m = /^(?:https?:\/\/)?([^/:?#\s]+)/i.exec(url);
  return m?.[1]?.toLowerCase();
}

/**
 * Lobster Trap's PromptMetadata for `text`. The injection, role-impersonation, obfuscation and
 * exfiltration fields are set when detectInjection() finds the text suspected and a signal of that kind
 * (malicious code sets contains_malware_request); the risk score is Lobster Trap's weighted sum.
 */
export function promptMetadata(text: string, options: MetadataOptions = {}): PromptMetadata {
  const report = options.report ?? detectInjection(text, options);
  const fromDetector = new Set<DetectionField>();
  if (report.suspected) for (const s of report.signals) fromDetector.add(CATEGORY_FIELD[s.category]);

  const urls = distinct(URLS, text, (m) => m[0]);
  const target_domains = [
    ...new Set([
      ...urls.map(hostOf).filter((h): h is string => h !== undefined),
      ...distinct(DOMAINS, text, (m) => m[0].toLowerCase()),
    ]),
  ].slice(0, MAX_TARGETS);
  const target_paths = distinct(PATHS, text, (m) => m[1]);
  const target_commands = distinct(COMMAND_NAMES, text, (m) => m[0].toLowerCase());
  const intent = intentOf(text);

  const detected: Omit<PromptMetadata, 'intent_category' | 'intent_confidence' | 'risk_score'> = {
    contains_code: CODE.test(text),
    contains_credentials: options.detectors?.credentials?.(text) ?? CREDENTIALS.test(text),
    contains_pii: options.detectors?.pii?.(text) ?? PII.test(text),
    contains_pii_request: PII_REQUEST.test(text),
    contains_system_commands: SYSTEM_COMMANDS.test(text),
    contains_malware_request: fromDetector.has('contains_malware_request') || MALWARE_REQUEST.test(text),
    contains_phishing_patterns: PHISHING.test(text),
    contains_role_impersonation: fromDetector.has('contains_role_impersonation'),
    contains_exfiltration: fromDetector.has('contains_exfiltration'),
    contains_harm_patterns: HARM.test(text),
    contains_obfuscation: fromDetector.has('contains_obfuscation'),
    contains_injection_patterns: fromDetector.has('contains_injection_patterns'),
    contains_file_paths: target_paths.length > 0,
    contains_sensitive_paths: SENSITIVE_PATHS.test(text),
    contains_urls: urls.length > 0,
    target_paths,
    target_domains,
    target_commands,
    token_count: Math.floor(text.length / 4),
  };
  let risk = INTENT_WEIGHTS[intent.category] * intent.confidence;
  for (const [field, weight] of Object.entries(SIGNAL_WEIGHTS) as [DetectionField, number][])
    if (detected[field]) risk += weight;
  return {
    intent_category: intent.category,
    intent_confidence: intent.confidence,
    risk_score: round4(Math.min(1, Math.max(0, risk))),
    ...detected,
  };
}
