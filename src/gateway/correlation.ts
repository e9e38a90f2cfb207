// The correlation stage of the gateway (issue 14 item 5): after an action is decided, it is observed
// across agents (src/monitor/cross_agent.ts); an action that belongs to a correlated target or injected
// source is moved to HUMAN_REVIEW (rule CROSS_AGENT_CORRELATION), composed like the other stages (it
// tightens, never loosens), and the correlation is audited and sent to the alert webhook.

import { sha256Canonical } from '../engine/hash.js';
import { postAlert } from '../monitor/alert_webhook.js';
import { type CorrelationParams, correlationParams, observeCorrelation } from '../monitor/cross_agent.js';
import type { Principal } from '../store/store.js';
import { auditEvent, type FinalVerdict, type GatewayContext } from './context.js';

export type { CorrelationParams };
export const CORRELATION_RULE = 'CROSS_AGENT_CORRELATION';

const resolved = new WeakMap<GatewayContext, CorrelationParams>();
function paramsOf(ctx: GatewayContext): CorrelationParams {
  let params = resolved.get(ctx);
  if (!params) resolved.set(ctx, (params = correlationParams(ctx.correlation ?? {})));
  return params;
}

/**
 * Observes a decided action across agents; returns the HUMAN_REVIEW verdict when it belongs to a
 * correlated key, null otherwise. Observation actions (detected intent `observe`) are not correlated.
 */
export async function correlationVerdict(
  ctx: GatewayContext,
  agent: Principal,
  action: {
    tool: string;
    target: string | null;
    args: unknown;
    detectedIntent: string;
    /** The chunks the decision resolved (cited and session), with their injection flag. */
    sources: ReadonlyArray<{ id: string; injection_suspected: boolean }>;
  },
): Promise<FinalVerdict | null> {
  if (action.detectedIntent === 'observe') return null;
  const params = paramsOf(ctx);
  const result = await observeCorrelation(ctx.store, params, {
    agentId: agent.id,
    tool: action.tool,
    target: action.target,
    action: `${action.tool}|${sha256Canonical(action.args)}`,
    injectedSources: [...new Set(action.sources.filter((s) => s.injection_suspected).map((s) => s.id))],
    now: ctx.now(),
  });
  for (const key of result.alert) {
    const payload = {
      key: key.key,
      agents: Object.keys(key.agents).sort(),
      threshold: params.agents,
      window_ms: params.windowMs,
      triggered_by: agent.id,
      unusual: result.unusual,
    };
    const entry = await auditEvent(ctx, 'monitor.correlation_alert', payload);
    const url = ctx.identity.alertWebhook;
    if (url) void postAlert(url, { kind: 'monitor.correlation_alert', seq: entry.seq, ...payload });
  }
  if (result.correlated.length === 0) return null;
  const keys = result.correlated.map((k) => `${k.key} (${Object.keys(k.agents).length} agents)`);
  return {
    decision: 'HUMAN_REVIEW',
    rule: CORRELATION_RULE,
    explanation: `Human review (cross-agent correlation): ${keys.join(', ')} within ${Math.round(params.windowMs / 1000)} s; ${agent.id}'s actions there wait for a human.`,
  };
}
