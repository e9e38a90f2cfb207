// The one way the engine names content: `sha256:` + hex of SHA-256 over RFC 8785 canonical JSON.
// SHA-256 is a pure function; node:crypto is the runtime's, not a package dependency.

import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical_json.js';

export function sha256Canonical(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}
