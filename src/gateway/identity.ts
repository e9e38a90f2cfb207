// The gateway's side of identity and behaviour (DESIGN.md §8): the services a context holds (principal
// cache, trust ledger, behaviour monitor, DPoP nonces) and the steps the pipeline takes with them: the
// tier an agent acts at, the identity stage (a delegate's scope, an open breaker), what an action does
// to the agent's behaviour record and trust score, each change audited.

import { hkdfSync } from 'node:crypto';
import type { SigningKey } from '../crypto/ed25519_key.js';
import { DpopNonces } from '../identity/dpop_nonce.js';
import { TrustLedger } from '../identity/trust_ledger.js';
import type { EffectiveTier, TrustEvent, TrustParams } from '../identity/trust_score.js';
import { postAlert } from '../monitor/alert_webhook.js';
import { BehaviourMonitor, type Finding } from '../monitor/behaviour_monitor.js';
import { type MonitorParams, monitorParams } from '../monitor/params.js';
import type { Principal, Store } from '../store/store.js';
import { auditEvent, type FinalVerdict, type GatewayContext } from './context.js';
import { attestationSettings, type AttestationSettings, isAttested } from './attestation.js';
import type { Caller } from './auth.js';
import { PrincipalCache } from './principal_cache.js';

export interface IdentityServices {
  principals: PrincipalCache;
  trust: TrustLedger;
  monitor: BehaviourMonitor;
  nonces: DpopNonces;
  /** Every DPoP proof must carry a nonce this gateway issued (DPoP-Nonce). */
  requireDpopNonce: boolean;
  /** The origin agents address the gateway by (behind a proxy); default each request's own. */
  publicOrigin: string | null;
  /** Where monitor alerts and breaker trips are posted, if anywhere. */
  alertWebhook: string | null;
  /** How agents' TEE evidence is appraised (policy, lifetime, chain cache, nonce secret). */
  attestation: AttestationSettings;
}

export interface IdentityOptions {
  requireDpopNonce?: boolean;
  publicOrigin?: string;
  alertWebhook?: string;
  monitor?: Partial<MonitorParams> | Record<string, unknown>;
  trust?: TrustParams;
  /**
   * The longest an agent may be served from memory, below its tier's revocation SLA (ms). 0: every call
   * reads the store, so a revocation counts on the next action (security level SH-2 and above).
   */
  revocationCacheMaxMs?: number;
  /** The operator's appraisal policy for agents' evidence, how long a verified one counts, test roots. */
  attestation?: Parameters<typeof attestationSettings>[1];
}

export function createIdentityServices(
  store: Store,
  now: () => number,
  tokenKey: SigningKey,
  options: IdentityOptions = {},
): IdentityServices {
  // Nonces are derived from the token key, so instances sharing it issue and accept the same ones.
  const derive = (info: string) =>
    Buffer.from(
      hkdfSync(
        'sha256',
        tokenKey.privateKey.export({ format: 'der', type: 'pkcs8' }),
        Buffer.alloc(0),
        info,
        32,
      ),
    );
  const secret = derive('carapace dpop nonce v1');
  return {
    principals: new PrincipalCache(store, now, options.revocationCacheMaxMs),
    trust: new TrustLedger(store, options.trust),
    monitor: new BehaviourMonitor(store, monitorParams(options.monitor ?? {})),
    nonces: new DpopNonces(secret),
    requireDpopNonce: options.requireDpopNonce ?? false,
    publicOrigin: options.publicOrigin ? new URL(options.publicOrigin).origin : null,
    alertWebhook: options.alertWebhook ?? null,
    attestation: attestationSettings(derive('carapace attestation nonce v1'), options.attestation),
  };
}

/** The tier `agent` acts at now: T5 and above only with a verified attestation of the key it calls with. */
export async function agentTier(ctx: GatewayContext, agent: Caller): Promise<EffectiveTier> {
  return ctx.identity.trust.effective(agent, ctx.now(), await isAttested(ctx, agent));
}

/**
 * The identity stage: a delegate may call only the tools of its scope, and an agent whose breaker is
 * open may only observe. Null when neither applies; a breaker that cannot be read is open.
 */
export async function identityVerdict(
  ctx: GatewayContext,
  agent: Principal,
  tool: string | null,
  detectedIntent: string,
): Promise<FinalVerdict | null> {
  if (agent.scope && (tool === null || !agent.scope.tools.includes(tool)))
    return {
      decision: 'DENY',
      rule: 'DELEGATION_SCOPE',
      explanation: `Denied (delegation): ${agent.id} was delegated ${agent.scope.tools.join(', ')} only, not ${tool ?? 'an unknown tool'}.`,
    };
  if (detectedIntent === 'observe') return null;
  let open: boolean;
  try {
    open = (await ctx.identity.monitor.breaker(agent.id))?.open ?? false;
  } catch {
    open = true;
  }
  return open
    ? {
        decision: 'DENY',
        rule: 'BREAKER',
        explanation: `Denied (circuit breaker): ${agent.id}'s breaker is open; only observation is allowed until an admin closes it.`,
      }
    : null;
}

/**
 * Counts a decided action in the agent's behaviour record and audits what that shows: alerts, a breaker
 * that opens (the action itself then becomes a DENY by BREAKER), a reset of the behaviour score.
 * Returns the verdict that replaces the final one when this action opened the breaker.
 */
export async function observeAction(
  ctx: GatewayContext,
  agent: Principal,
  action: { tool: string; session: string | null; decision: string; detectedIntent: string },
): Promise<FinalVerdict | null> {
  const now = ctx.now();
  const result = await ctx.identity.monitor.observe({ agentId: agent.id, now, ...action });
  for (const alert of result.alerts) await monitorEvent(ctx, 'monitor.alert', agent, alert);
  if (result.contextReset) {
    await auditEvent(ctx, 'monitor.context_switching', {
      agent: agent.id,
      sessions: result.contextReset.sessions,
    });
    await recordTrust(ctx, agent, { type: 'context_reset' });
  }
  if (!result.tripped) return null;
  await monitorEvent(ctx, 'monitor.breaker_opened', agent, result.tripped);
  await recordTrust(ctx, agent, { type: 'breaker' });
  if (action.detectedIntent === 'observe') return null;
  return {
    decision: 'DENY',
    rule: 'BREAKER',
    explanation: `Denied (circuit breaker): ${agent.id}'s ${result.tripped.metric} reached ${result.tripped.ratio}× its baseline; the breaker is open until an admin closes it.`,
  };
}

async function monitorEvent(ctx: GatewayContext, kind: string, agent: Principal, f: Finding): Promise<void> {
  const payload = {
    agent: agent.id,
    metric: f.metric,
    scope: f.scope,
    value: f.value,
    baseline: f.baseline,
    ratio: f.ratio,
    learned: f.warm,
  };
  const entry = await auditEvent(ctx, kind, payload);
  const url = ctx.identity.alertWebhook;
  if (url) void postAlert(url, { kind, seq: entry.seq, ...payload });
}

/** Applies a trust event to `agent` and audits what it changed. */
export async function recordTrust(ctx: GatewayContext, agent: Principal, event: TrustEvent): Promise<void> {
  if (agent.role !== 'agent') return;
  const { notes } = await ctx.identity.trust.apply(agent, event, ctx.now());
  for (const note of notes) await auditEvent(ctx, note.kind, { agent: agent.id, ...note });
}
