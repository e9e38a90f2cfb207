// What an execution token is bound to: the catalog's tool name and the canonical args, hashed, so a
// token for one action can never run another and the key order of the args never matters.

import { LIMITS, sha256Canonical, toCanonicalJson } from '../engine/index.js';
import { TokenError } from './errors.js';

/**
 * sha256Canonical({ tool, args }) ('sha256:<hex>'). Requires `tool` to be the canonical catalog name
 * (1..LIMITS.toolName chars) and `args` to be plain JSON within the engine's limits; otherwise
 * throws TokenError E_TOKEN_INVALID_INPUT saying where the args are not JSON.
 */
export function actionHash(tool: string, args: unknown): string {
  if (
    typeof tool !== 'string' ||
    tool.length === 0 ||
    tool.length > LIMITS.toolName ||
    !tool.isWellFormed()
  ) {
    throw new TokenError(
      'E_TOKEN_INVALID_INPUT',
      `tool must be a catalog tool name of 1 to ${LIMITS.toolName} characters`,
    );
  }
  if (args === undefined) throw new TokenError('E_TOKEN_INVALID_INPUT', 'args are missing');
  const canonical = toCanonicalJson(args, LIMITS.jsonDepth, LIMITS.argsChars);
  if (!canonical.ok) {
    throw new TokenError(
      'E_TOKEN_INVALID_INPUT',
      `args${canonical.path} cannot be hashed: ${canonical.reason}`,
    );
  }
  return sha256Canonical({ tool, args: canonical.value });
}
