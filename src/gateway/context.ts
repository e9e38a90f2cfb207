// What every route needs, and the decision pipeline they share: resolve the cited and session chunks
// from the store (never from the caller), run the engine, and record both layers in the audit log.

import type { AuditEntry } from '../audit/entry.js';
import type { AuditLog } from '../audit/log.js';
import type { SigningKey } from '../crypto/ed25519_key.js';
import {
  CanonicalText,
  type DecisionRecord,
  decide,
  type Engine,
  isPlainObject,
  mostSevere,
  parseDecisionRequest,
  toCanonicalJson,
} from '../engine/index.js';
import type { TokenGate } from '../executors/executor.js';
import type { ExecutorRegistry } from '../executors/registry.js';
import type { Principal, Store } from '../store/store.js';
import { GatewayError } from './gateway_error.js';
import type { JsonValue } from '../inspect/json_scan.js';
import { redactSecretsInJson } from '../inspect/secrets/index.js';
import { type InputInspection, inspectArguments } from './inspection.js';
import type { Metrics } from './metrics.js';

export interface GatewayContext {
  store: Store;
  audit: AuditLog;
  engine: Engine;
  /** Signs execution tokens. */
  tokenKey: SigningKey;
  /** Epoch milliseconds; injected so tests control time. */
  now: () => number;
  reviewTtlMs: number;
  tokenTtlMs: number;
  /** Counters for GET /metrics. */
  metrics: Metrics;
  /** Which executor runs which tool; every one of them acts only through `gate`. */
  executors: ExecutorRegistry;
  /** Verifies, redeems and audits an execution token before any executor acts. */
  gate: TokenGate;
  /** The OCR executable for image ingest; default `tesseract` on PATH. */
  ocrCommand?: string;
}

/**
 * A decision record and its RFC 8785 text (made once, used for the audit entry and the response), the
 * inspect stage's verdict on the arguments, and the final verdict: the stricter of the engine's and
 * the inspect stage's (a stage tightens, never loosens).
 */
export interface GatewayDecision {
  record: DecisionRecord;
  json: CanonicalText;
  inspect: InputInspection;
  final: { decision: DecisionRecord['decision']; rule: string; explanation: string };
}

/** Decides an agent's proposed action from a request body `{envelope, _lobstertrap?}`. No side effects. */
export async function decideForAgent(
  ctx: GatewayContext,
  agent: Principal,
  body: unknown,
): Promise<GatewayDecision> {
  if (!isPlainObject(body))
    throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'the body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => k !== 'envelope' && k !== '_lobstertrap');
  if (unknown.length > 0)
    throw new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      `request: unknown field "${unknown[0]}"`,
    );
  const envelope = body.envelope;
  const cited =
    isPlainObject(envelope) && Array.isArray(envelope.source_signals) ? envelope.source_signals : [];
  const session = isPlainObject(envelope) && typeof envelope.session === 'string' ? envelope.session : null;

  // Provenance comes from the store: what each chunk's channel made it, and what this agent's session saw.
  const ids = new Set<string>(cited.filter((c): c is string => typeof c === 'string').slice(0, 64));
  if (session) for (const id of await ctx.store.sessionChunkIds(session, agent.id)) ids.add(id);
  const chunks = (await ctx.store.getChunks([...ids])).map((c) => ({
    id: c.id,
    trust: c.trust,
    injection_suspected: c.injection_suspected,
    channel: c.channel,
  }));

  const parsed = parseDecisionRequest({
    envelope,
    chunks,
    ...(body._lobstertrap !== undefined ? { lobstertrap: { _lobstertrap: body._lobstertrap } } : {}),
  });
  if (!parsed.ok) {
    const status = parsed.error.code === 'E_INPUT_TOO_LARGE' ? 413 : 400;
    throw new GatewayError(status, parsed.error.code, parsed.error.error, parsed.error.detail);
  }
  const decided = decide(parsed.value, ctx.engine);
  const inspect = inspectArguments(decided.request.envelope.args);
  // A credential in the arguments is never recorded or echoed: the record keeps the original
  // request_hash, but its arguments have the credential replaced (so its replay names that difference).
  const record = inspect.secrets.length > 0 ? withoutSecrets(decided) : decided;
  // The request inside the record was canonicalised when it was parsed: embed that text, not a new walk.
  const text = toCanonicalJson(
    record === decided ? { ...record, request: new CanonicalText(parsed.value.canonical) } : record,
    64,
  );
  if (!text.ok) throw new Error(`the engine made a record that is not JSON: ${text.path}: ${text.reason}`);
  const tightened = mostSevere(record.decision, inspect.decision) !== record.decision;
  const final = tightened
    ? { decision: inspect.decision, rule: inspect.rule as string, explanation: inspect.explanation as string }
    : { decision: record.decision, rule: record.rule, explanation: record.explanation };
  return { record, json: new CanonicalText(text.json), inspect, final };
}

function withoutSecrets(record: DecisionRecord): DecisionRecord {
  const envelope = record.request.envelope;
  return {
    ...record,
    request: {
      ...record.request,
      envelope: { ...envelope, args: redactSecretsInJson(envelope.args as JsonValue).value },
    },
    notes: [
      ...record.notes,
      'inspect: credentials in the arguments were replaced before recording; request_hash is of the original request',
    ],
  } as DecisionRecord;
}

/** Records the conversation-layer verdict (if any) and the decision, durably; both or an error. */
export async function auditDecision(
  ctx: GatewayContext,
  agent: Principal,
  { record, json, inspect, final }: GatewayDecision,
): Promise<AuditEntry> {
  try {
    // Sealed in the same tick, so the two layers' entries are adjacent in the log; both are durable
    // before this resolves.
    const verdict = record.conversation_layer.present
      ? ctx.audit.append('conversation.verdict', { agent: agent.id, signal: record.conversation_layer })
      : null;
    const decision = ctx.audit.append('decision', {
      agent: agent.id,
      record: json,
      // The inspect stage and the final verdict, when the stage found something.
      ...(inspect.decision !== 'ALLOW' ? { inspect, final } : {}),
    });
    await verdict;
    return await decision;
  } catch (e) {
    throw new GatewayError(
      503,
      'E_AUDIT_UNAVAILABLE',
      'the audit log cannot record this decision',
      (e as Error).message,
    );
  }
}

/** Audits an event that is not a decision; an audit failure is a 503, never a silent loss. */
export async function auditEvent(ctx: GatewayContext, kind: string, payload: unknown): Promise<AuditEntry> {
  try {
    return await ctx.audit.append(kind, payload);
  } catch (e) {
    throw new GatewayError(
      503,
      'E_AUDIT_UNAVAILABLE',
      'the audit log cannot record this event',
      (e as Error).message,
    );
  }
}
