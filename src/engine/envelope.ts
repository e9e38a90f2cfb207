// The IntentEnvelope: what an agent proposes. Validated strictly and bounded before anything reads it.
// `agent_confidence` and `estimated_blast_radius` are kept for the record and never used to decide.

import { toCanonicalJson } from './canonical_json.js';
import { fail, ok, type Result } from './errors.js';
import { LIMITS } from './limits.js';
import { checkBoundedString, checkFields, isSizeProblem } from './strict_object.js';
import { type BlastRadius, type IntentClass, isBlastRadius, isIntentClass } from './vocabulary.js';

export interface IntentEnvelope {
  intent: IntentClass;
  tool: string;
  args: Record<string, unknown>;
  target?: string;
  justification?: string;
  source_signals: string[];
  session?: string;
  agent_confidence?: number;
  estimated_blast_radius?: BlastRadius;
}

const REQUIRED = ['intent', 'tool', 'args'] as const;
const OPTIONAL = [
  'target',
  'justification',
  'source_signals',
  'session',
  'agent_confidence',
  'estimated_blast_radius',
] as const;

const TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;

export function parseEnvelope(value: unknown, path = 'envelope'): Result<IntentEnvelope> {
  const parsed = parseEnvelopeKeepingArgsJson(value, path);
  return parsed.ok ? ok(parsed.value.envelope) : parsed;
}

/** parseEnvelope, also returning the canonical JSON of `args` it computed on the way. */
export function parseEnvelopeKeepingArgsJson(
  value: unknown,
  path = 'envelope',
): Result<{ envelope: IntentEnvelope; argsJson: string }> {
  const bad = (detail: string) =>
    fail<{ envelope: IntentEnvelope; argsJson: string }>(
      isSizeProblem(detail) ? 'E_INPUT_TOO_LARGE' : 'E_ENVELOPE_INVALID',
      'invalid intent envelope',
      detail,
    );

  const shape = checkFields(value, path, REQUIRED, OPTIONAL);
  if (shape) return bad(shape);
  const v = value as Record<string, unknown>;

  if (!isIntentClass(v.intent))
    return bad(
      `${path}.intent: must be one of observe, recommend, remediate_reversible, remediate_destructive`,
    );

  const toolProblem = checkBoundedString(v.tool, `${path}.tool`, LIMITS.toolName);
  if (toolProblem) return bad(toolProblem);
  if (!TOOL_NAME.test(v.tool as string))
    return bad(`${path}.tool: may hold only letters, digits and _ . : / -`);

  if (typeof v.args !== 'object' || v.args === null || Array.isArray(v.args))
    return bad(`${path}.args: must be an object`);
  const args = toCanonicalJson<Record<string, unknown>>(v.args, LIMITS.jsonDepth, LIMITS.argsChars);
  if (!args.ok) return bad(`${path}.args${args.path}: ${args.reason}`);

  for (const [key, max] of [
    ['target', LIMITS.target],
    ['justification', LIMITS.justification],
    ['session', LIMITS.session],
  ] as const) {
    if (v[key] === undefined) continue;
    const problem = checkBoundedString(v[key], `${path}.${key}`, max, key === 'justification' ? 0 : 1);
    if (problem) return bad(problem);
  }

  let sourceSignals: string[] = [];
  if (v.source_signals !== undefined) {
    if (!Array.isArray(v.source_signals)) return bad(`${path}.source_signals: must be an array of chunk ids`);
    if (v.source_signals.length > LIMITS.sourceSignals)
      return bad(`${path}.source_signals: longer than ${LIMITS.sourceSignals} citations`);
    for (let i = 0; i < v.source_signals.length; i++) {
      const problem = checkBoundedString(v.source_signals[i], `${path}.source_signals[${i}]`, LIMITS.id);
      if (problem) return bad(problem);
    }
    sourceSignals = v.source_signals as string[];
  }

  if (v.agent_confidence !== undefined) {
    const c = v.agent_confidence;
    if (typeof c !== 'number' || !(c >= 0 && c <= 1))
      return bad(`${path}.agent_confidence: must be a number in [0, 1]`);
  }
  if (v.estimated_blast_radius !== undefined && !isBlastRadius(v.estimated_blast_radius))
    return bad(`${path}.estimated_blast_radius: must be one of none, workload, node, vlan, site, region`);

  const envelope: IntentEnvelope = {
    intent: v.intent,
    tool: v.tool as string,
    args: args.value,
    source_signals: [...sourceSignals],
  };
  if (v.target !== undefined) envelope.target = v.target as string;
  if (v.justification !== undefined) envelope.justification = v.justification as string;
  if (v.session !== undefined) envelope.session = v.session as string;
  if (v.agent_confidence !== undefined) envelope.agent_confidence = v.agent_confidence as number;
  if (v.estimated_blast_radius !== undefined)
    envelope.estimated_blast_radius = v.estimated_blast_radius as BlastRadius;
  return ok({ envelope, argsJson: args.json });
}
