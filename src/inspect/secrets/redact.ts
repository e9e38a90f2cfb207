// redactSecrets and the JSON forms: detectSecrets, then every finding replaced through the shared
// strategies (redaction.ts). In JSON, a field named like a credential ({"password": "..."}) is read as
// "password=...", so its value is judged as an assignment would be.

import {
  type JsonScanOptions,
  type JsonSpanPart,
  type JsonValue,
  redactJsonParts,
  scanJson,
} from '../json_scan.js';
import { type RedactionOptions, redactSpans, resolveRedaction } from '../redaction.js';
import { detectSecrets } from './detect.js';
import type { SecretDetectOptions, SecretFinding, SecretType } from './types.js';

export interface SecretRedactOptions extends SecretDetectOptions, RedactionOptions {}

export interface SecretRedaction {
  text: string;
  findings: SecretFinding[];
}

/** Detects and replaces credentials in `text`. Throws RedactionError for a bad strategy or hash key. */
export function redactSecrets(text: string, options: SecretRedactOptions = {}): SecretRedaction {
  const redaction = resolveRedaction(options);
  const findings = detectSecrets(text, options);
  return { text: redactSpans(text, findings, redaction), findings };
}

export interface SecretJsonOptions extends SecretDetectOptions, JsonScanOptions {}

export interface JsonSecretFinding {
  type: SecretType;
  score: number;
  text?: string;
  parts: JsonSpanPart[];
}

const CREDENTIAL_FIELD =
  /(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|access[_-]?key|credential)s?$/i;

function detectInLeaf(
  text: string,
  field: string | undefined,
  options: SecretDetectOptions,
): SecretFinding[] {
  const plain = { ...options, includeText: false };
  if (field === undefined || !CREDENTIAL_FIELD.test(field)) return detectSecrets(text, plain);
  const prefix = `${field.replace(/[^A-Za-z0-9_.-]/g, '_')}=`;
  return detectSecrets(prefix + text, plain)
    .filter((f) => f.start >= prefix.length)
    .map((f) => ({ ...f, start: f.start - prefix.length, end: f.end - prefix.length }));
}

function scan(value: JsonValue, options: SecretJsonOptions) {
  const results = scanJson<SecretFinding>(
    value,
    (leaf) => detectInLeaf(leaf.text, leaf.isKey ? undefined : leaf.field, options),
    (joined) => detectSecrets(joined, { ...options, includeText: false }),
    { keys: options.keys ?? false, crossField: options.crossField ?? false },
  );
  const findings = results.map((r) => {
    const f: JsonSecretFinding = { type: r.finding.type, score: r.finding.score, parts: r.parts };
    if (options.includeText) f.text = r.value;
    return f;
  });
  return { results, findings };
}

/** Finds credentials in a JSON value. Fields are scanned one by one unless `crossField: true`. */
export function detectSecretsInJson(value: JsonValue, options: SecretJsonOptions = {}): JsonSecretFinding[] {
  return scan(value, options).findings;
}

/** Finds and replaces credentials in a JSON value; the input is not modified. */
export function redactSecretsInJson(
  value: JsonValue,
  options: SecretJsonOptions & RedactionOptions = {},
): { value: JsonValue; findings: JsonSecretFinding[] } {
  const redaction = resolveRedaction(options);
  const { results, findings } = scan(value, options);
  return {
    value: redactJsonParts(value, results, (text, spans) => redactSpans(text, spans, redaction)),
    findings,
  };
}
