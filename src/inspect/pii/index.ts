// The PII detector and redactor's public surface (DESIGN.md §2, inspect: pure, nothing stateful).

export { detectPii } from './detect.js';
export { detectPiiInJson, redactPiiInJson } from './json.js';
export type { JsonPiiFinding, PiiJsonOptions, PiiJsonRedaction } from './json.js';
export { redactPii } from './redact.js';
export type { PiiRedaction, PiiRedactOptions } from './redact.js';
export { MAX_SEGMENT, CONTEXT_CARRY } from './segments.js';
export { createPiiStream } from './stream.js';
export type { PiiStream, PiiStreamOptions, PiiStreamOutput } from './stream.js';
export { CHECKSUMMED_PII_TYPES, DEFAULT_MIN_SCORE, PII_TYPES } from './types.js';
export type { PiiDetectOptions, PiiFinding, PiiType } from './types.js';
export { RedactionError, REDACTION_STRATEGIES } from '../redaction.js';
export type { RedactionOptions, RedactionStrategy } from '../redaction.js';
export { JsonScanError, MAX_JSON_DEPTH } from '../json_scan.js';
export type { JsonPath, JsonSpanPart, JsonValue } from '../json_scan.js';
