// `carapace inspect` and `carapace redact`: the content inspectors on standard input, as the gateway
// runs them. `inspect` reports what it found (kinds and spans, never the secret values themselves);
// `redact` prints the text or JSON with PII and secrets replaced.

import { detectInjection, promptMetadata } from '../inspect/injection/index.js';
import { JsonScanError, jsonLeafGroups, type JsonValue } from '../inspect/json_scan.js';
import { detectPii, detectPiiInJson, redactPii, redactPiiInJson } from '../inspect/pii/index.js';
import { REDACTION_STRATEGIES, RedactionError, type RedactionStrategy } from '../inspect/redaction.js';
import {
  detectSecrets,
  detectSecretsInJson,
  redactSecrets,
  redactSecretsInJson,
} from '../inspect/secrets/index.js';
import { failure, parseJson, printJson, readStdin } from './io.js';

/** The environment variable holding the key of the `hash` strategy: never a flag, so never in argv. */
export const REDACT_KEY_ENV = 'CARAPACE_REDACT_KEY';

export interface InspectOptions {
  jsonInput?: boolean;
}

export async function inspectCommand(options: InspectOptions): Promise<number> {
  printJson(inspectInput(await readStdin(), options));
  return 0;
}

/** What `inspect` reports on `input`; JSON it cannot parse is a CliFailure. */
export function inspectInput(input: string, options: InspectOptions) {
  try {
    return inspection(input, options.jsonInput ? (parseJson(input, 'standard input') as JsonValue) : null);
  } catch (e) {
    if (e instanceof JsonScanError) throw failure(e.code, 'cannot scan the JSON', e.message);
    throw e;
  }
}

function inspection(input: string, value: JsonValue | null) {
  // Injection is read from the text; in JSON, from the string leaves. PII and secrets in JSON are found
  // per field and across sibling fields.
  const text = value === null ? input : textOfJson(value);
  const injection = detectInjection(text);
  return {
    injection: { suspected: injection.suspected, score: injection.score, signals: injection.signals },
    pii: value === null ? detectPii(input) : detectPiiInJson(value),
    secrets: value === null ? detectSecrets(input) : detectSecretsInJson(value),
    lobstertrap: { detected: promptMetadata(text, { report: injection }) },
  };
}

export interface RedactOptions {
  jsonInput?: boolean;
  strategy?: string;
}

export async function redactCommand(options: RedactOptions): Promise<number> {
  const strategy = (options.strategy ?? 'placeholder') as RedactionStrategy;
  if (!REDACTION_STRATEGIES.includes(strategy))
    throw failure(
      'E_REDACT_OPTION',
      'invalid --strategy',
      `${strategy}: use ${REDACTION_STRATEGIES.join(', ')}`,
    );
  const hashKey = process.env[REDACT_KEY_ENV];
  if (strategy === 'hash' && !hashKey)
    throw failure(
      'E_REDACT_KEY',
      'no hash key',
      `set $${REDACT_KEY_ENV} (at least 16 bytes) for --strategy hash`,
    );
  const redaction = { strategy, ...(hashKey ? { hashKey } : {}) };
  const output = redactInput(await readStdin(), options.jsonInput === true, redaction);
  if (options.jsonInput) printJson(output);
  else process.stdout.write(output as string);
  return 0;
}

/** `input` with PII and secrets replaced: the redacted JSON value, or the text. */
export function redactInput(
  input: string,
  jsonInput: boolean,
  redaction: { strategy: RedactionStrategy; hashKey?: string },
): JsonValue {
  try {
    if (jsonInput) {
      const value = parseJson(input, 'standard input') as JsonValue;
      // Secrets first: a credential is never left for the PII pass to half-replace.
      const withoutSecrets = redactSecretsInJson(value, redaction).value;
      return redactPiiInJson(withoutSecrets, redaction).value;
    }
    const withoutSecrets = redactSecrets(input, redaction).text;
    return redactPii(withoutSecrets, redaction).text;
  } catch (e) {
    if (e instanceof RedactionError) throw failure(e.code, 'cannot redact', e.message);
    if (e instanceof JsonScanError) throw failure(e.code, 'cannot scan the JSON', e.message);
    throw e;
  }
}

/** The string leaves of a JSON value in document order, one per line: what injection scanning reads. */
function textOfJson(value: JsonValue): string {
  return jsonLeafGroups(value)
    .flat()
    .map((leaf) => leaf.text)
    .join('\n');
}
