// The one way the engine names content: `sha256:` + hex of SHA-256 over RFC 8785 canonical JSON.
// SHA-256 is a pure function; node:crypto is the runtime's, not a package dependency.

import { hash } from 'node:crypto';
import { canonicalJson } from './canonical_json.js';

export function sha256Canonical(value: unknown): string {
  return sha256Text(canonicalJson(value));
}

/** For text that is already canonical JSON. */
export function sha256Text(canonical: string): string {
  return `sha256:${hash('sha256', canonical, 'hex')}`;
}
