// What a policy's data rules need from a value: the kinds of PII and secret it holds, never the
// values. The gateway and `carapace policy test` both take the kinds from here, so a case file
// decides exactly as the gateway would.

import type { JsonValue } from './json_scan.js';
import { detectPiiInJson } from './pii/index.js';
import { detectSecretsInJson } from './secrets/index.js';

/**
 * The sorted, distinct finding types in a JSON value: PII types (CREDIT_CARD, EMAIL_ADDRESS, PERSON,
 * ...) and secret types. Throws when the value cannot be scanned; callers fail closed on that.
 */
export function findingTypes(value: unknown): string[] {
  const types = new Set<string>();
  for (const f of detectSecretsInJson(value as JsonValue)) types.add(f.type);
  for (const f of detectPiiInJson(value as JsonValue)) types.add(f.type);
  return [...types].sort();
}
