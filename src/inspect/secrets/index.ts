// The secret detector and redactor's public surface (DESIGN.md §2 inspect, §9 confidentiality).

export { detectSecrets } from './detect.js';
export { isPlaceholder, looksRandom, shannonEntropy } from './entropy.js';
export { detectSecretsInJson, redactSecrets, redactSecretsInJson } from './redact.js';
export type { JsonSecretFinding, SecretJsonOptions, SecretRedaction, SecretRedactOptions } from './redact.js';
export { SECRET_TYPES } from './types.js';
export type { SecretDetectOptions, SecretFinding, SecretType } from './types.js';
export { RedactionError, REDACTION_STRATEGIES } from '../redaction.js';
export type { RedactionOptions, RedactionStrategy } from '../redaction.js';
export { JsonScanError, MAX_JSON_DEPTH } from '../json_scan.js';
export type { JsonPath, JsonSpanPart, JsonValue } from '../json_scan.js';
