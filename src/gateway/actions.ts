// The two steps of an action, shared by every surface (HTTP routes, the OpenAI proxy, the MCP gateway,
// the SDK's remote mode): propose (decide, spend limits, record durably, then a token, a review or a
// refusal) and execute (redeem the token once in the executor, then withhold or redact the output
// and record it). No token, no action.

import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson, isPlainObject, toCanonicalJson } from '../engine/index.js';
import { findingTypes } from '../inspect/findings.js';
import {
  type CompiledPolicy,
  evaluatePolicyOutput,
  findingsNeeded,
  type OutputVerdict,
} from '../policy/index.js';
import type { Principal } from '../store/store.js';
import { mintExecutionToken, TokenError } from '../tokens/index.js';
import { registerChunk, TOOL_OUTPUT_CHANNEL } from './chunks.js';
import {
  auditDecision,
  auditEvent,
  decideForAgent,
  type GatewayContext,
  type GatewayDecision,
  spendPolicyCounters,
} from './context.js';
import { GatewayError } from './gateway_error.js';
import { redactOutput, redactTypes } from './inspection.js';
import { policySummary } from './policy_stage.js';
import { executeGated } from './token_gate.js';

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
  agent: Principal,
  body: unknown,
): Promise<ProposedAction> {
  const decided = await decideForAgent(ctx, agent, body);
  // An allowed action spends its rate limits and budgets now, before it is recorded as allowed; a
  // window that concurrent requests filled first turns it into a DENY by that rule.
  if (decided.final.decision === 'ALLOW' && decided.policy) await spendPolicyCounters(ctx, decided);
  const { record, final } = decided;
  const entry = await auditDecision(ctx, agent, decided);
  ctx.metrics.countDecision(final.decision, final.rule);
  const audit = { seq: entry.seq, hash: entry.hash };
  const answer = {
    decision: final.decision,
    rule: final.rule,
    explanation: final.explanation,
    audit,
    ...(decided.inspect.decision !== 'ALLOW' ? { inspect: decided.inspect } : {}),
    ...(decided.policy ? { policy: policySummary(decided.policy) } : {}),
    ...(decided.args !== record.request.envelope.args &&
    final.decision !== 'DENY' &&
    final.decision !== 'QUARANTINE'
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

export interface ExecutedAction {
  /** The output as the agent may see it (redacted), or null when the policy withheld it. */
  result: unknown;
  /** Why the output was withheld, when it was. */
  withheld?: { policy_hash: string; fired: unknown[] };
  output_chunk: string | null;
  audit: { seq: number; hash: string };
}

/**
 * Redeems `token` in the executor of `tool` and returns the output the agent may see. Throws a
 * GatewayError: 403 for a refused token, 422 when the executor cannot run the action (token unspent),
 * 502 when it failed after the gate (token spent, effect unknown); each is audited.
 */
export async function executeAction(
  ctx: GatewayContext,
  agent: Principal,
  body: { token: string; tool: string; args: unknown },
): Promise<ExecutedAction> {
  const tool = ctx.engine.catalog.tools.get(body.tool)?.name ?? body.tool;
  const args = isPlainObject(body.args) ? body.args : {};
  const executor = ctx.executors.forTool(tool);
  const run = await executeGated(
    executor,
    body.token,
    { agentId: agent.id, tool, args },
    ctx.executorTimeoutMs,
  );
  if (!run.ok) {
    const { error } = run;
    if (error instanceof TokenError)
      throw new GatewayError(403, error.code, 'execution refused', error.message);
    if (error instanceof GatewayError) throw error;
    const code = errorCode(error);
    const reason = error instanceof Error ? error.message : String(error);
    if (!run.reachedGate) {
      // The executor refused the action before the gate: nothing ran and the token is still unspent.
      await auditEvent(ctx, 'execution.unsupported', {
        agent: agent.id,
        tool,
        executor: executor.name,
        code,
        reason,
      });
      throw new GatewayError(422, code, `executor ${executor.name} cannot run this action`, reason);
    }
    // The token is spent and the effect failed or is unknown: recorded, and never reported as done.
    await auditEvent(ctx, 'execution.failed', {
      agent: agent.id,
      jti: run.claims?.jti ?? null,
      tool,
      executor: executor.name,
      code,
      reason,
    });
    throw new GatewayError(
      502,
      'E_EXECUTOR_FAILED',
      `executor ${executor.name} failed`,
      `${code}: ${reason}`,
    );
  }
  // The policy's output rules first: an output that breaks its schema or size, or holds a type the
  // policy denies, is withheld (the action did run); what it asks to redact is added to the defaults.
  const policy = ctx.policy?.current ?? null;
  let policyRedact: string[] = [];
  if (policy) {
    const out = outputVerdict(policy, tool, run.outcome);
    if (out.decision === 'DENY') {
      const text = canonicalOrNull(run.outcome);
      const done = await auditEvent(ctx, 'execution.withheld', {
        agent: agent.id,
        jti: run.claims.jti,
        tool,
        policy_hash: out.policy_hash,
        fired: out.fired,
        output_hash: text === null ? null : `sha256:${createHash('sha256').update(text).digest('hex')}`,
        output_bytes: text === null ? null : Buffer.byteLength(text),
      });
      return {
        result: null,
        withheld: { policy_hash: out.policy_hash, fired: out.fired },
        output_chunk: null,
        audit: { seq: done.seq, hash: done.hash },
      };
    }
    policyRedact = out.redact;
  }
  // Secrets and PII leave the output before the agent, the chunk store or the audit log see it.
  const redacted = redactOutput(run.outcome);
  if (policyRedact.length > 0) {
    const more = redactTypes(redacted.value, policyRedact);
    redacted.value = more.value;
    redacted.pii = [...new Set([...redacted.pii, ...more.found])].sort();
  }
  const result = redacted.value;
  // The output is content from outside the gateway's trust: it becomes an untrusted, scanned chunk,
  // so that an action justified by it is judged by where it came from.
  const output = await registerChunk(ctx, TOOL_OUTPUT_CHANNEL, canonicalJson(result));
  const done = await auditEvent(ctx, 'execution.result', {
    agent: agent.id,
    jti: run.claims.jti,
    result,
    redacted: { secrets: redacted.secrets, pii: redacted.pii },
    output_chunk: output.chunk.id,
    injection_suspected: output.chunk.injection_suspected,
  });
  return { result, output_chunk: output.chunk.id, audit: { seq: done.seq, hash: done.hash } };
}

/** An executor error's stable code (E_HALL_TARGET, E_K8S_API, ...), or E_EXECUTOR for one without. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E_[A-Z0-9_]{1,64}$/.test(code) ? code : 'E_EXECUTOR';
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

function canonicalOrNull(value: unknown): string | null {
  const c = toCanonicalJson(value, 64);
  return c.ok ? c.json : null;
}
