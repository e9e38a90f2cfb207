// What every route needs, and the decision pipeline they share: resolve the cited and session chunks
// from the store (never from the caller), run the engine, and record both layers in the audit log.

import type { KeyStorage } from '../audit/log_files.js';
import type { AdapterOptions } from '../adapters/index.js';
import type { AuditEntry } from '../audit/entry.js';
import type { AuditLog } from '../audit/log.js';
import type { WitnessExporter } from '../witness/exporter.js';
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
import type { AttestationSource } from '../vault/attestation.js';
import type { Vault } from '../vault/vault.js';
import type { SecurityLevel } from './security_levels.js';
import type { Principal, Store } from '../store/store.js';
import { GatewayError } from './gateway_error.js';
import type { JsonValue } from '../inspect/json_scan.js';
import { redactSecretsInJson } from '../inspect/secrets/index.js';
import {
  type InputInspection,
  inspectArguments,
  type OutputRedaction,
  redactTypes,
  unscannableArguments,
} from './inspection.js';
import type { Metrics } from './metrics.js';
import { evaluatePolicyStage, type PolicyRuntime, type PolicyStage, spendCounters } from './policy_stage.js';
import type { EffectiveTier } from '../identity/trust_score.js';
import { agentTier, identityVerdict, type IdentityServices } from './identity.js';
import type { CorrelationParams } from './correlation.js';

export interface GatewayContext {
  store: Store;
  audit: AuditLog;
  /** Exports each audit checkpoint to the configured witnesses (none: undefined). */
  witness?: WitnessExporter;
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
  /** How long an executor may run before the action is recorded as failed (effect unknown). */
  executorTimeoutMs?: number;
  /** The agent-facing surfaces mounted beside the API (OpenAI proxy, MCP gateway), when configured. */
  adapters?: AdapterOptions;
  /** The operator's policy, when the gateway runs with one. */
  policy: PolicyRuntime | null;
  /** Principals, trust scores, behaviour baselines and breakers, DPoP nonces. */
  identity: IdentityServices;
  /** The credential broker's vault, when the broker is on (secrets referenced by id only). */
  vault?: Vault;
  /** The private key files the gateway signs with and whether each is sealed at rest (keys-sealed). */
  keyStorage?: { keys: readonly KeyStorage[]; sealingRoot: boolean };
  /**
   * The attestation of the output-signing key (or its honest `tee: none`), when the broker is on: the
   * gateway's own, or the sealed process's asked over its transport.
   */
  attestation?: AttestationSource;
  /** The security level the gateway was started at and keeps (docs/security-levels.md), if any. */
  securityLevel?: SecurityLevel;
  /** Instruction integrity: `required` makes every agent need an approved set; default only bound agents. */
  instructionIntegrity?: { required: boolean };
  /** Cross-agent correlation: how many agents, within which window (defaults when absent). */
  correlation?: Partial<CorrelationParams>;
  /** The inspect stage's detectors; default inspectArguments and redactOutput (tests inject faults). */
  inspectors?: Inspectors;
}

/** The detectors the inspect stages run: on a proposed action's arguments, and on a tool's output. */
export interface Inspectors {
  arguments: (args: unknown) => InputInspection;
  output: (output: unknown, more?: readonly string[]) => OutputRedaction;
}

/**
 * The inspect stage's verdict on the arguments; a detector that throws denies the action (arguments
 * that cannot be scanned are not let through).
 */
export function inspectProposed(ctx: GatewayContext, args: unknown): InputInspection {
  try {
    return (ctx.inspectors?.arguments ?? inspectArguments)(args);
  } catch (e) {
    return unscannableArguments(e);
  }
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
  /** The policy stage, when a policy is in force. */
  policy: PolicyStage | null;
  /**
   * The arguments the action may run with: the proposed ones, or a copy with the data types the policy
   * redacts from this tool's input replaced. A token binds these.
   */
  args: Record<string, unknown>;
  /** True when `args` differ from the proposed arguments (the agent must run with `args`). */
  argsRedacted: boolean;
  /** The tier the agent acted at, and the identity stage's verdict (scope, breaker) when it refused. */
  identity: { tier: EffectiveTier; verdict: FinalVerdict | null };
  final: FinalVerdict;
}

export interface FinalVerdict {
  decision: DecisionRecord['decision'];
  rule: string;
  explanation: string;
}

const VERDICT_WORDS = {
  ALLOW: 'Allowed',
  HUMAN_REVIEW: 'Human review',
  DENY: 'Denied',
  QUARANTINE: 'Quarantined',
};

/**
 * The final verdict of the stages in pipeline order (engine, inspect, policy, identity): the most
 * severe decision, named by the first stage that reached it. A later stage tightens, never loosens.
 */
export function composeStages(
  engine: FinalVerdict,
  inspect: { decision: DecisionRecord['decision']; rule: string | null; explanation: string | null },
  policy: FinalVerdict | null,
  identity: FinalVerdict | null = null,
): FinalVerdict {
  let final: FinalVerdict = { decision: engine.decision, rule: engine.rule, explanation: engine.explanation };
  if (mostSevere(final.decision, inspect.decision) !== final.decision)
    final = {
      decision: inspect.decision,
      rule: inspect.rule ?? 'inspect',
      explanation: inspect.explanation ?? `${VERDICT_WORDS[inspect.decision]} (inspect).`,
    };
  if (policy && mostSevere(final.decision, policy.decision) !== final.decision) final = policy;
  if (identity && mostSevere(final.decision, identity.decision) !== final.decision) final = identity;
  return final;
}

/** The final verdict names the first stage (engine, inspect, policy) that reached the final severity. */
export function policyFinal(stage: PolicyStage): FinalVerdict | null {
  const decision = stage.verdict.decision;
  const first = stage.verdict.fired.find((f) => f.decision === decision);
  if (!first) return null;
  const src = first.source;
  const sentence = !src ? '' : src.form === 'english' ? ` "${src.sentence}"` : ` at ${src.path}`;
  return {
    decision,
    rule: first.rule,
    explanation: `${VERDICT_WORDS[decision]} (policy ${first.rule}${sentence}): ${first.reason}.`,
  };
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
  const citedIds = new Set<string>(cited.filter((c): c is string => typeof c === 'string').slice(0, 64));
  const ids = new Set(citedIds);
  if (session) for (const id of await ctx.store.sessionChunkIds(session, agent.id)) ids.add(id);
  const chunks = sessionRepresentatives(await ctx.store.getChunks([...ids]), citedIds).map((c) => ({
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
  const proposed = decided.request.envelope.args as Record<string, unknown>;
  const inspect = inspectProposed(ctx, proposed);
  const tier = await agentTier(ctx, agent);
  const policy = ctx.policy?.current
    ? await evaluatePolicyStage(
        ctx.store,
        ctx.policy.current,
        agent,
        tier.tier,
        // The catalog's name, so an alias (network.isolate) is judged as the tool it names.
        decided.tool ?? decided.request.envelope.tool,
        proposed,
        ctx.now(),
      )
    : null;
  const identity = await identityVerdict(
    ctx,
    agent,
    decided.tool,
    decided.inputs.detected_intent ?? 'unknown',
  );

  const final = composeStages(decided, inspect, policy ? policyFinal(policy) : null, identity);

  // Data the policy redacts from this tool's input never reaches the tool: the token binds the
  // redacted arguments, and the agent is told to run with them.
  const redactIn = policy?.verdict.obligations.redact.input ?? [];
  const redacted = redactIn.length > 0 ? redactTypes(proposed, redactIn) : null;
  const args = redacted && redacted.found.length > 0 ? (redacted.value as Record<string, unknown>) : proposed;

  // A credential in the arguments, or data the policy redacts, is never recorded or echoed: the record
  // keeps the original request_hash, but its arguments have those values replaced.
  const notes: string[] = [];
  let recordedArgs: unknown = proposed;
  if (inspect.secrets.length > 0) {
    recordedArgs = redactSecretsInJson(recordedArgs as JsonValue).value;
    notes.push(
      'inspect: credentials in the arguments were replaced before recording; request_hash is of the original request',
    );
  }
  if (args !== proposed) {
    // Already redacted once; only a copy that also had credentials replaced needs another pass.
    recordedArgs = inspect.secrets.length > 0 ? redactTypes(recordedArgs, redactIn).value : args;
    notes.push(
      `policy: ${redacted?.found.join(', ')} in the arguments were redacted before recording and execution; request_hash is of the original request`,
    );
  }
  let record: DecisionRecord = notes.length > 0 ? withArgs(decided, recordedArgs, notes) : decided;
  if (policy) record = { ...record, policy_hash: policy.verdict.policy_hash };
  // The request inside the record was canonicalised when it was parsed: embed that text, not a new walk.
  const text = toCanonicalJson(
    notes.length === 0 ? { ...record, request: new CanonicalText(parsed.value.canonical) } : record,
    64,
  );
  if (!text.ok) throw new Error(`the engine made a record that is not JSON: ${text.path}: ${text.reason}`);
  return {
    record,
    json: new CanonicalText(text.json),
    inspect,
    policy,
    args,
    argsRedacted: args !== proposed,
    identity: { tier, verdict: identity },
    final,
  };
}

/**
 * Spends an allowed action's rate limits and budgets; when concurrent requests filled a window first,
 * the decision becomes a DENY by that rule (the policy stage records it as fired).
 */
export async function spendPolicyCounters(ctx: GatewayContext, decided: GatewayDecision): Promise<void> {
  const stage = decided.policy;
  if (!stage || stage.verdict.obligations.counters.length === 0) return;
  const over = await spendCounters(ctx.store, stage.verdict.obligations.counters, stage.input.now_ms);
  if (!over) return;
  const layer = ctx.policy?.current?.layers.find((l) => l.rules.some((r) => r.id === over.rule));
  const rule = layer?.rules.find((r) => r.id === over.rule);
  stage.verdict = {
    ...stage.verdict,
    decision: 'DENY',
    fired: [
      ...stage.verdict.fired,
      {
        rule: over.rule,
        layer: layer?.name ?? null,
        decision: 'DENY',
        reason: over.reason,
        source: rule?.source ?? null,
      },
    ],
    obligations: { ...stage.verdict.obligations, counters: [] },
  };
  decided.final = policyFinal(stage) ?? decided.final;
}

/**
 * Every cited chunk, and of the session's other chunks the first of each (trust, injection flag,
 * channel). Provenance is the minimum trust and the OR of the flags, so this decides exactly as the
 * whole session would, and a long session (thousands of tool outputs) never outgrows a request.
 */
export function sessionRepresentatives<
  T extends { id: string; trust: string; injection_suspected: boolean; channel: string },
>(chunks: readonly T[], cited: ReadonlySet<string>): T[] {
  const seen = new Set<string>();
  return chunks.filter((c) => {
    if (cited.has(c.id)) return true;
    const kind = `${c.trust}|${c.injection_suspected}|${c.channel}`;
    if (seen.has(kind)) return false;
    seen.add(kind);
    return true;
  });
}

function withArgs(record: DecisionRecord, args: unknown, notes: string[]): DecisionRecord {
  const envelope = record.request.envelope;
  return {
    ...record,
    request: { ...record.request, envelope: { ...envelope, args } },
    notes: [...record.notes, ...notes],
  } as DecisionRecord;
}

/** Records the conversation-layer verdict (if any) and the decision, durably; both or an error. */
export async function auditDecision(
  ctx: GatewayContext,
  agent: Principal,
  { record, json, inspect, policy, identity, final }: GatewayDecision,
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
      // The inspect stage when it found something; the policy stage with what it read, so it can be
      // evaluated again; and the final verdict whenever a stage beside the engine ran.
      ...(inspect.decision !== 'ALLOW' ? { inspect } : {}),
      ...(policy
        ? {
            policy: {
              hash: policy.verdict.policy_hash,
              decision: policy.verdict.decision,
              fired: policy.verdict.fired,
              input: policy.input,
            },
          }
        : {}),
      // The tier the agent acted at, when anything held it below its certified one.
      ...(identity.tier.limits.length > 0 ? { tier: identity.tier } : {}),
      ...(identity.verdict ? { identity: identity.verdict } : {}),
      ...(inspect.decision !== 'ALLOW' || policy || final.rule !== record.rule ? { final } : {}),
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
