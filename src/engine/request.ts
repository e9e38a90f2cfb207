// A decision request: the envelope, the chunks the session has seen, and an optional conversation-layer
// block. Parsing validates and bounds it, copies it (so later changes to the input change nothing), and
// computes its canonical JSON once: decide() takes only a parsed request.

import { CanonicalText, canonicalJson, toCanonicalJson } from './canonical_json.js';
import { type IntentEnvelope, parseEnvelopeKeepingArgsJson } from './envelope.js';
import { fail, ok, type Result } from './errors.js';
import { sha256Text } from './hash.js';
import { LIMITS } from './limits.js';
import { extractLobsterTrapBlock } from './lobstertrap.js';
import { type Chunk, type ProvenanceMode, parseChunks } from './provenance.js';
import { checkFields, isSizeProblem } from './strict_object.js';

export interface DecisionRequest {
  envelope: IntentEnvelope;
  chunks: Chunk[];
  /**
   * `{"_lobstertrap": block}` with the block alone (taken out of a whole chat response if one was
   * given), or null. Kept in this wrapped form so that parsing a parsed request changes nothing.
   */
  lobstertrap: { _lobstertrap: unknown } | null;
  provenance_mode: ProvenanceMode;
}

/** A validated request, its RFC 8785 canonical JSON and that JSON's `sha256:` hash. Treat as immutable. */
export interface ParsedRequest {
  readonly request: DecisionRequest;
  readonly canonical: string;
  readonly hash: string;
}

export function parseDecisionRequest(value: unknown): Result<ParsedRequest> {
  const shape = checkFields(value, 'request', ['envelope'], ['chunks', 'lobstertrap', 'provenance_mode']);
  if (shape) return fail('E_REQUEST_INVALID', 'invalid decision request', shape);
  const v = value as Record<string, unknown>;

  const parsedEnvelope = parseEnvelopeKeepingArgsJson(v.envelope);
  if (!parsedEnvelope.ok) return parsedEnvelope;
  const { envelope, argsJson } = parsedEnvelope.value;
  const chunks = parseChunks(v.chunks);
  if (!chunks.ok) return chunks;

  const mode = v.provenance_mode ?? 'session';
  if (mode !== 'session' && mode !== 'cited_only')
    return fail(
      'E_REQUEST_INVALID',
      'invalid decision request',
      'request.provenance_mode: must be "session" or "cited_only"',
    );

  let lobstertrap: DecisionRequest['lobstertrap'] = null;
  let lobstertrapJson = 'null';
  const block = extractLobsterTrapBlock(v.lobstertrap);
  if (block !== null) {
    const canonical = toCanonicalJson(block, LIMITS.jsonDepth, LIMITS.lobstertrapChars);
    if (!canonical.ok)
      return fail(
        isSizeProblem(` ${canonical.reason}`) ? 'E_INPUT_TOO_LARGE' : 'E_REQUEST_INVALID',
        'invalid Lobster Trap block',
        `request.lobstertrap${canonical.path}: ${canonical.reason}`,
      );
    lobstertrap = { _lobstertrap: canonical.value };
    lobstertrapJson = `{"_lobstertrap":${canonical.json}}`;
  }

  const request: DecisionRequest = { envelope, chunks: chunks.value, lobstertrap, provenance_mode: mode };
  const canonical = canonicalJson({
    ...request,
    envelope: { ...envelope, args: new CanonicalText(argsJson) },
    lobstertrap: new CanonicalText(lobstertrapJson),
  });
  return ok(Object.freeze({ request, canonical, hash: sha256Text(canonical) }));
}
