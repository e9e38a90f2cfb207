// A decision request: the envelope, the chunks the session has seen, and an optional conversation-layer
// block. Parsed strictly into a normalised copy, so the record holds exactly what was decided on.

import { toCanonicalJson } from './canonical_json.js';
import { type IntentEnvelope, parseEnvelope } from './envelope.js';
import { type Result, fail, ok } from './errors.js';
import { extractLobsterTrapBlock } from './lobstertrap.js';
import { LIMITS } from './limits.js';
import { type Chunk, type ProvenanceMode, parseChunks } from './provenance.js';
import { checkFields, isSizeProblem } from './strict_object.js';

export interface DecisionRequest {
  envelope: IntentEnvelope;
  chunks: Chunk[];
  /** The `_lobstertrap` block alone (taken out of a whole chat response if one was given), or null. */
  lobstertrap: unknown;
  provenance_mode: ProvenanceMode;
}

export function parseDecisionRequest(value: unknown): Result<DecisionRequest> {
  const shape = checkFields(value, 'request', ['envelope'], ['chunks', 'lobstertrap', 'provenance_mode']);
  if (shape) return fail('E_REQUEST_INVALID', 'invalid decision request', shape);
  const v = value as Record<string, unknown>;

  const envelope = parseEnvelope(v.envelope);
  if (!envelope.ok) return envelope;
  const chunks = parseChunks(v.chunks);
  if (!chunks.ok) return chunks;

  const mode = v.provenance_mode ?? 'session';
  if (mode !== 'session' && mode !== 'cited_only')
    return fail('E_REQUEST_INVALID', 'invalid decision request', 'request.provenance_mode: must be "session" or "cited_only"');

  let lobstertrap: unknown = extractLobsterTrapBlock(v.lobstertrap);
  if (lobstertrap !== null) {
    const block = toCanonicalJson(lobstertrap, LIMITS.jsonDepth, LIMITS.lobstertrapChars);
    if (!block.ok)
      return fail(
        isSizeProblem(` ${block.reason}`) ? 'E_INPUT_TOO_LARGE' : 'E_REQUEST_INVALID',
        'invalid Lobster Trap block',
        `request.lobstertrap${block.path}: ${block.reason}`,
      );
    lobstertrap = JSON.parse(block.json);
  }
  return ok({ envelope: envelope.value, chunks: chunks.value, lobstertrap, provenance_mode: mode });
}
