// The steps of an action, shared by every surface (HTTP routes, the OpenAI proxy, the MCP gateway, the
// SDK): propose (decide, spend limits, record durably, then a token, a review or a refusal); execute
// (redeem the token once in the executor); and record what came of it, wherever the tool ran (withhold
// or redact the output, register it as a chunk of the decision's session, audit it). No token, no action.

import { createHash, randomUUID } from 'node:crypto';
import type { AuditEntry } from '../audit/entry.js';
import { isPlainObject, mostSevere, toCanonicalJson } from '../engine/index.js';
import { findingTypes } from '../inspect/findings.js';
import type { JsonValue } from '../inspect/json_scan.js';
import {
  type CompiledPolicy,
  evaluatePolicyOutput,
  findingsNeeded,
  type OutputVerdict,
} from '../policy/index.js';
import type { Chunk, Principal, Review, TrustLevel } from '../store/store.js';
import { mintExecutionToken, TokenError } from '../tokens/index.js';
import { ensureChannel, registerChunk, TOOL_OUTPUT_CHANNEL, toolOutputChannel } from './chunks.js';
import {
  auditDecision,
  auditEvent,
  decideForAgent,
  type GatewayContext,
  type GatewayDecision,
  spendPolicyCounters,
} from './context.js';
import type { Caller } from './auth.js';
import { GatewayError } from './gateway_error.js';
import { correlationVerdict } from './correlation.js';
import { observeAction, recordTrust } from './identity.js';
import { describeFailure, redactOutput, safeFailure } from './inspection.js';
import { policySummary } from './policy_stage.js';
import { executeGated, tokenRefusalStatus } from './token_gate.js';

/**
 * What proposing an action gave: 200 with a token (ALLOW) or without (DENY, QUARANTINE), or 202 with a
 * review; `fields` is the answer without the record, whose canonical text is `decided.json`.
 */
export interface ProposedAction {
  status: 200 | 202;
  fields: Record<string, unknown>;
  decided: GatewayDecision;
}

/** Decides an agent's proposed action `{envelope, _lobstertrap?}` and acts on the decision. */
export async function proposeAction(
  ctx: GatewayContext,
  agent: Caller,
  body: unknown,
): Promise<ProposedAction> {
  const decided = await decideForAgent(ctx, agent, body);
  // An allowed action spends its rate limits and budgets now, before it is recorded as allowed; a
  // window that concurrent requests filled first turns it into a DENY by that rule.
  if (decided.final.decision === 'ALLOW' && decided.policy) await spendPolicyCounters(ctx, decided);
  // The agent's behaviour record counts it; an action that opens the breaker is itself refused.
  const tripped = await observeAction(ctx, agent, {
    tool: decided.record.tool ?? decided.record.request.envelope.tool,
    session: decided.record.request.envelope.session ?? null,
    decision: decided.final.decision,
    detectedIntent: decided.record.inputs.detected_intent ?? 'unknown',
  });
  if (tripped && mostSevere(decided.final.decision, tripped.decision) !== decided.final.decision) {
    decided.final = tripped;
    decided.identity = { ...decided.identity, verdict: tripped };
  }
  // The same unusual action across several agents within the window waits for a human.
  const correlated = await correlationVerdict(ctx, agent, {
    tool: decided.record.tool ?? decided.record.request.envelope.tool,
    target: decided.record.request.envelope.target ?? null,
    args: decided.args,
    detectedIntent: decided.record.inputs.detected_intent ?? 'unknown',
    sources: decided.record.sources.filter((s) => s.resolved),
  });
  if (correlated && mostSevere(decided.final.decision, correlated.decision) !== decided.final.decision)
    decided.final = correlated;
  const { record, final } = decided;
  const entry = await auditDecision(ctx, agent, decided);
  ctx.metrics.countDecision(final.decision, final.rule);
  // A refusal lowers the agent's trust (a breaker's own refusals do not: its opening already did).
  if ((final.decision === 'DENY' || final.decision === 'QUARANTINE') && final.rule !== 'BREAKER')
    await recordTrust(ctx, agent, { type: final.decision === 'DENY' ? 'denied' : 'quarantined' });
  const audit = { seq: entry.seq, hash: entry.hash };
  const answer = {
    decision: final.decision,
    rule: final.rule,
    explanation: final.explanation,
    audit,
    ...(decided.inspect.decision !== 'ALLOW' ? { inspect: decided.inspect } : {}),
    ...(decided.policy ? { policy: policySummary(decided.policy) } : {}),
    ...(decided.argsRedacted && final.decision !== 'DENY' && final.decision !== 'QUARANTINE'
      ? { args: decided.args }
      : {}),
  };
  const send = (status: 200 | 202, fields: Record<string, unknown>): ProposedAction => ({
    status,
    fields,
    decided,
  });

  if (final.decision === 'ALLOW') {
    const now = ctx.now();
    const { token, claims } = await mintExecutionToken({
      key: ctx.tokenKey,
      agentId: agent.id,
      tool: record.tool as string,
      args: decided.args,
      decisionHash: entry.hash,
      rulesetHash: record.ruleset_hash,
      now,
      ttlMs: ctx.tokenTtlMs,
      // An agent that proved a DPoP key gets a token only that key can redeem.
      ...(agent.dpop_jkt !== undefined ? { jkt: agent.dpop_jkt } : {}),
    }).catch((e: Error) => {
      // The decision is recorded; without a token nothing can act on it. The agent may propose again.
      throw new GatewayError(
        503,
        'E_SIGNER_UNAVAILABLE',
        'the execution token could not be signed',
        `decision ${entry.hash} is recorded as ALLOW but no token was issued: ${e.message}`,
      );
    });
    return send(200, { ...answer, token, token_expires_at: new Date(claims.exp_ms).toISOString() });
  }
  if (final.decision === 'HUMAN_REVIEW') {
    const now = ctx.now();
    const review = await ctx.store.createReview({
      id: `rev_${randomUUID().replaceAll('-', '')}`,
      agent_id: agent.id,
      envelope: { ...record.request.envelope, args: decided.args } as unknown as Parameters<
        typeof ctx.store.createReview
      >[0]['envelope'],
      decision_record_hash: entry.hash,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + ctx.reviewTtlMs).toISOString(),
      required_approvals: record.inputs.blast_radius === 'region' ? 2 : 1,
    });
    await auditEvent(ctx, 'review.requested', {
      review: review.id,
      agent: agent.id,
      decision: entry.hash,
      expires_at: review.expires_at,
    });
    return send(202, {
      ...answer,
      review: {
        id: review.id,
        status: review.status,
        expires_at: review.expires_at,
        poll_url: `/v1/reviews/${review.id}`,
      },
    });
  }
  return send(200, answer);
}

/** An action's outcome as its agent is told: the output it may see, or why it may not. */
export interface ExecutedAction {
  /** The output as the agent may see it (redacted), or null when it was withheld. */
  result: unknown;
  /** Why the output was withheld, when it was: not JSON, or the policy's output rules. */
  withheld?: Withheld;
  output_chunk: string | null;
  audit: { seq: number; hash: string };
}

export interface Withheld {
  code: 'E_OUTPUT_NOT_JSON' | 'E_OUTPUT_WITHHELD';
  reason: string;
  /** The policy whose output rules withheld it, and the rules that fired. */
  policy_hash: string | null;
  fired: unknown[];
}

/** What recordOutcome made of an output: the answer, and the chunk it became (null when withheld). */
export interface RecordedOutcome extends ExecutedAction {
  chunk: Chunk | null;
}

/** The answer an agent gets over HTTP: the outcome without the stored chunk. */
export function executionAnswer({ chunk: _chunk, ...answer }: RecordedOutcome): ExecutedAction {
  return answer;
}

/** Where an output goes: the session it joins and the trust of the channel it enters through. */
export interface OutputPlacement {
  /** The session of the envelope whose decision allowed the call; null when it named none. */
  session?: string | null;
  /** Default `untrusted` (channel `tool-output`); only an operator's configuration raises it. */
  trust?: TrustLevel;
}

/**
 * Redeems `token` in the executor of `tool` and records the output (see recordOutcome). Throws a
 * GatewayError: 403 for a refused token, 422 when the executor cannot run the action (token unspent),
 * 502 when it failed after the gate (token spent, effect unknown); each is audited.
 */
export async function executeAction(
  ctx: GatewayContext,
  agent: Caller,
  body: { token: string; tool: string; args: unknown },
  output: OutputPlacement = {},
): Promise<RecordedOutcome> {
  const tool = catalogToolName(ctx, body.tool);
  const args = isPlainObject(body.args) ? body.args : {};
  const executor = ctx.executors.forTool(tool);
  const run = await executeGated(
    executor,
    body.token,
    { agentId: agent.id, tool, args, ...(agent.dpop_jkt !== undefined ? { jkt: agent.dpop_jkt } : {}) },
    ctx.executorTimeoutMs,
  );
  if (!run.ok) {
    const { error } = run;
    if (error instanceof TokenError)
      throw new GatewayError(tokenRefusalStatus(error), error.code, 'execution refused', error.message);
    if (error instanceof GatewayError) throw error;
    const failure = describeFailure(error, 'E_EXECUTOR');
    if (!run.reachedGate) {
      // The executor refused the action before the gate: nothing ran and the token is still unspent.
      await auditEvent(ctx, 'execution.unsupported', {
        agent: agent.id,
        tool,
        executor: executor.name,
        ...failure,
      });
      throw new GatewayError(
        422,
        failure.code,
        `executor ${executor.name} cannot run this action`,
        failure.reason,
      );
    }
    // The token is spent and the effect failed or is unknown: recorded, and never reported as done.
    await recordFailure(ctx, agent, {
      jti: run.claims?.jti ?? null,
      tool,
      executor: executor.name,
      ...failure,
    });
    throw new GatewayError(
      502,
      'E_EXECUTOR_FAILED',
      `executor ${executor.name} failed`,
      `${failure.code}: ${failure.reason}`,
    );
  }
  return recordOutcome(ctx, agent, {
    jti: run.claims.jti,
    tool,
    executor: executor.name,
    outcome: run.outcome,
    ...output,
  });
}

/** The most JSON text an output may make; a larger one is withheld (it cannot be inspected). */
export const MAX_OUTPUT_CHARS = 8 * 1024 * 1024;
/** A recorded output above this size is recorded by its hash and length, not in full. */
const RECORDED_OUTPUT_CHARS = 64 * 1024;
/** How deep an output may nest. */
const OUTPUT_DEPTH = 64;

/**
 * Records what a redeemed action's tool returned, wherever it ran (a gateway executor, the SDK in this
 * process, the agent itself after POST /v1/redeem): the policy's output rules first (an output that
 * breaks its schema or size, or holds a type it denies, is withheld: the action did run); then secrets,
 * validated PII, and what the policy and `redact` name are replaced; the output becomes a chunk through
 * the tool-output channel of its trust and joins the session; `execution.result` (or
 * `execution.withheld`) is durable before this resolves.
 */
export async function recordOutcome(
  ctx: GatewayContext,
  agent: Principal,
  outcome: {
    jti: string;
    tool: string;
    /** The output, as JSON sees it (`undefined` is null, a Date its ISO text). */
    outcome: unknown;
    /** Who ran the tool: an executor's name, `sdk` (embedded), `client` (POST /v1/results). */
    executor: string;
    /** Data types to redact beyond the defaults and the policy's: `PII`, `SECRET`, detector types. */
    redact?: readonly string[];
  } & OutputPlacement,
): Promise<RecordedOutcome> {
  const { jti, tool, executor } = outcome;
  const about = { agent: agent.id, jti, tool, executor };
  const withhold = async (withheld: Withheld, extra: Record<string, unknown>): Promise<RecordedOutcome> => {
    const done = await auditEvent(ctx, 'execution.withheld', { ...about, ...withheld, ...extra });
    return { result: null, withheld, output_chunk: null, chunk: null, audit: auditRef(done) };
  };

  const json = outputAsJson(outcome.outcome);
  if (!json.ok)
    return withhold({ code: 'E_OUTPUT_NOT_JSON', reason: json.reason, policy_hash: null, fired: [] }, {});
  const policy = ctx.policy?.current ?? null;
  let policyRedact: string[] = [];
  if (policy) {
    const out = outputVerdict(policy, tool, json.value);
    if (out.decision === 'DENY')
      return withhold(
        {
          code: 'E_OUTPUT_WITHHELD',
          reason: out.fired.map((f) => `${f.rule}: ${f.reason}`).join('; '),
          policy_hash: out.policy_hash,
          fired: out.fired,
        },
        { output_hash: sha256(json.text), output_bytes: Buffer.byteLength(json.text) },
      );
    policyRedact = out.redact;
  }
  // Secrets and PII leave the output before the agent, the chunk store or the audit log see it.
  let redacted: ReturnType<typeof redactOutput>;
  try {
    redacted = (ctx.inspectors?.output ?? redactOutput)(json.value, [
      ...policyRedact,
      ...(outcome.redact ?? []),
    ]);
  } catch (e) {
    // An output the detectors cannot scan may hold anything: the action ran, its output is withheld.
    return withhold(
      {
        code: 'E_OUTPUT_WITHHELD',
        reason: `the output could not be inspected: ${(e as Error).message}`,
        policy_hash: null,
        fired: [],
      },
      { output_hash: sha256(json.text), output_bytes: Buffer.byteLength(json.text) },
    );
  }
  const result = redacted.value;
  const text = canonical(result);
  if (text === null) throw new Error('a redacted output is not canonical JSON');

  // The output is content from outside the gateway's trust: a scanned chunk of the session, so that an
  // action justified by it, or taken after it, is judged by where it came from.
  const channel = await ensureChannel(ctx, toolOutputChannel(outcome.trust ?? 'untrusted'), 'carapace');
  // A more trusted channel's outputs are addressed with its name in front: text trusted through one
  // tool is never the chunk of the same text from an untrusted one.
  const content = channel.name === TOOL_OUTPUT_CHANNEL.name ? text : `${channel.name}\n${text}`;
  const { chunk } = await registerChunk(ctx, channel, content);
  const session = outcome.session ?? null;
  if (session !== null) await ctx.store.addSessionChunks(session, agent.id, [chunk.id]);
  const done = await auditEvent(ctx, 'execution.result', {
    ...about,
    ...(text.length <= RECORDED_OUTPUT_CHARS
      ? { result }
      : { result_hash: sha256(text), result_bytes: Buffer.byteLength(text) }),
    redacted: { secrets: redacted.secrets, pii: redacted.pii },
    output_chunk: chunk.id,
    channel: chunk.channel,
    trust: chunk.trust,
    injection_suspected: chunk.injection_suspected,
    session,
  });
  // An action that completed and whose output was taken raises the agent's trust, slowly. A failure to
  // record the gain loses the gain, never the result.
  const intent = ctx.engine.catalog.tools.get(tool)?.intent ?? 'unknown';
  await recordTrust(ctx, agent, { type: 'completed', intent }).catch(() => {});
  return { result, output_chunk: chunk.id, chunk, audit: auditRef(done) };
}

/**
 * Records that a redeemed action failed or its effect is unknown (`execution.failed`): the failure's
 * code (E_TOOL_FAILED when it has none of the recorded form) and its reason with credentials and
 * validated PII replaced.
 */
export async function recordFailure(
  ctx: GatewayContext,
  agent: Principal,
  failure: { jti: string | null; tool: string; executor: string; code: string; reason: string },
): Promise<AuditEntry> {
  const { jti, tool, executor } = failure;
  return auditEvent(ctx, 'execution.failed', {
    agent: agent.id,
    jti,
    tool,
    executor,
    ...safeFailure(failure.code, failure.reason, 'E_TOOL_FAILED'),
  });
}

/** The token an approved review's agent runs it with, and what it binds. */
export interface ApprovedReviewToken {
  token: string;
  expires_at: string;
  /** The catalog's name of the reviewed tool. */
  tool: string;
  args: Record<string, unknown>;
  /** The reviewed envelope's session: the output joins it. */
  session: string | null;
}

/**
 * A token for exactly the reviewed envelope, whose id is the review's, so the approved action runs at
 * most once however often a token is asked for. 409 E_REVIEW_NOT_APPROVED for any other review.
 */
export async function tokenForApprovedReview(
  ctx: GatewayContext,
  review: Review,
  /** The DPoP key the requesting agent proved when it asked, if it did: the token is bound to it. */
  jkt?: string,
): Promise<ApprovedReviewToken> {
  if (review.status !== 'approved')
    throw new GatewayError(
      409,
      'E_REVIEW_NOT_APPROVED',
      'the review is not approved',
      `review ${review.id} is ${review.status}`,
    );
  const { tool: named, args, session } = review.envelope;
  if (typeof named !== 'string' || !isPlainObject(args))
    throw new Error(`review ${review.id} holds no tool and arguments`);
  const tool = catalogToolName(ctx, named);
  const { token, claims } = await mintExecutionToken({
    key: ctx.tokenKey,
    agentId: review.agent_id,
    tool,
    args,
    decisionHash: review.decision_record_hash,
    rulesetHash: ctx.engine.ruleset.hash,
    now: ctx.now(),
    ttlMs: ctx.tokenTtlMs,
    jti: review.id,
    ...(jkt !== undefined ? { jkt } : {}),
  });
  return {
    token,
    expires_at: new Date(claims.exp_ms).toISOString(),
    tool,
    args,
    session: typeof session === 'string' ? session : null,
  };
}

/** The catalog's own name for a tool (an alias such as network.isolate names isolate_network_device). */
export function catalogToolName(ctx: GatewayContext, tool: string): string {
  return ctx.engine.catalog.tools.get(tool)?.name ?? tool;
}

/** The output as the JSON a model would be shown (what JSON.stringify makes of it), bounded in size and depth. */
export function outputAsJson(
  output: unknown,
): { ok: true; value: JsonValue; text: string } | { ok: false; reason: string } {
  let text: string | undefined;
  try {
    text = JSON.stringify(output);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  if (text === undefined) return { ok: true, value: null, text: 'null' };
  if (text.length > MAX_OUTPUT_CHARS)
    return { ok: false, reason: `its JSON is longer than ${MAX_OUTPUT_CHARS} characters` };
  const value = JSON.parse(text) as JsonValue;
  const c = toCanonicalJson(value, OUTPUT_DEPTH);
  if (!c.ok) return { ok: false, reason: `not JSON the gateway records: ${c.path}: ${c.reason}` };
  return { ok: true, value, text: c.json };
}

/** The policy's verdict on a tool's output; the output is scanned only when a rule reads findings. */
function outputVerdict(policy: CompiledPolicy, tool: string, output: unknown): OutputVerdict {
  let findings: { types: string[] } | undefined;
  if (findingsNeeded(policy, tool).output) {
    try {
      findings = { types: findingTypes(output) };
    } catch {
      findings = undefined; // unscannable: a rule that denies types withholds the output
    }
  }
  return evaluatePolicyOutput(policy, { tool, output, ...(findings ? { findings } : {}) });
}

function canonical(value: unknown): string | null {
  const c = toCanonicalJson(value, OUTPUT_DEPTH);
  return c.ok ? c.json : null;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export function auditRef(entry: AuditEntry): { seq: number; hash: string } {
  return { seq: entry.seq, hash: entry.hash };
}
