// Replay: decide a recorded request again and say exactly what, if anything, came out different.
// A record whose inputs_hash does not match its own request was altered after the fact.

import { canonicalJson } from './canonical_json.js';
import { type DecisionRecord, decide, type Engine, inputsHash } from './decide.js';
import { sha256Canonical } from './hash.js';
import { parseDecisionRequest } from './request.js';
import { isPlainObject } from './strict_object.js';

export interface ReplayOutcome {
  /** True when the replayed record is byte-identical (canonical JSON) to the recorded one. */
  identical: boolean;
  /** One line per difference, naming the field and both values. */
  differences: string[];
  recorded_decision: unknown;
  replayed_decision: DecisionRecord['decision'] | null;
}

export function replayRecord(recorded: unknown, engine: Engine): ReplayOutcome {
  const result = (differences: string[], replayed: DecisionRecord | null): ReplayOutcome => ({
    identical: differences.length === 0,
    differences,
    recorded_decision: isPlainObject(recorded) ? recorded.decision : undefined,
    replayed_decision: replayed?.decision ?? null,
  });
  if (!isPlainObject(recorded) || !isPlainObject(recorded.request))
    return result(['not a decision record: no request to replay'], null);

  let requestHash: string;
  try {
    requestHash = sha256Canonical(recorded.request);
  } catch {
    return result(['record is not canonical JSON'], null);
  }
  if (requestHash !== recorded.request_hash)
    return result(
      [
        `request_hash: recorded ${String(recorded.request_hash)}, but its request hashes to ${requestHash}: the record was altered`,
      ],
      null,
    );
  if (
    typeof recorded.catalog_hash !== 'string' ||
    inputsHash(requestHash, recorded.catalog_hash) !== recorded.inputs_hash
  )
    return result(
      [
        `inputs_hash: recorded ${String(recorded.inputs_hash)} does not bind this request to catalog ${String(recorded.catalog_hash)}: the record was altered`,
      ],
      null,
    );
  if (recorded.catalog_hash !== engine.catalog.hash)
    return result(
      [
        `catalog_hash: decided against ${String(recorded.catalog_hash)}, loaded catalog is ${engine.catalog.hash}`,
      ],
      null,
    );

  const request = parseDecisionRequest(recorded.request);
  if (!request.ok) return result([`request no longer parses: ${request.error.detail}`], null);
  const decided = decide(request.value, engine);
  // The engine stage does not read the policy: the hash of the policy that was in force is carried
  // over as recorded (the policy stage's own inputs are in the audit entry beside the record).
  const carried = recorded.policy_hash;
  const replayed =
    typeof carried === 'string' && /^sha256:[0-9a-f]{64}$/.test(carried)
      ? { ...decided, policy_hash: carried }
      : decided;

  const differences: string[] = [];
  const keys = new Set([...Object.keys(recorded), ...Object.keys(replayed)]);
  for (const key of [...keys].sort((a, b) => priority(a) - priority(b) || (a < b ? -1 : 1))) {
    const before = safeCanonical((recorded as Record<string, unknown>)[key]);
    const after = safeCanonical((replayed as unknown as Record<string, unknown>)[key]);
    if (before !== after) differences.push(`${key}: recorded ${clip(before)}, replayed ${clip(after)}`);
  }
  return result(differences, replayed);
}

function priority(key: string): number {
  const first = ['decision', 'rule', 'base_decision', 'ruleset_hash', 'request_hash', 'inputs_hash'];
  const i = first.indexOf(key);
  return i === -1 ? first.length : i;
}

function safeCanonical(v: unknown): string {
  if (v === undefined) return '(absent)';
  try {
    return canonicalJson(v);
  } catch {
    return '(not JSON)';
  }
}

function clip(s: string): string {
  return s.length > 240 ? `${s.slice(0, 240)}…` : s;
}
