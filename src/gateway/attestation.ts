// Agents' TEE attestations (issue 12 wired to issue 10): an agent authenticated with a DPoP key asks
// for a nonce, has its TEE put SHA-256(key) ‖ nonce in report_data, and sends the evidence; the gateway
// appraises it offline (src/attest) against the operator's policy plus that nonce and that key, audits
// every appraisal, and keeps the latest verified one. T5 and above count only while it is unexpired and
// the agent calls with the same key.

import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import {
  type Appraisal,
  type AppraisalPolicy,
  appraise,
  ATTESTATION_KINDS,
  type AttestationKind,
  ChainCache,
  MAX_EVIDENCE_BYTES,
  type PinnedRoots,
} from '../attest/index.js';
import type { Caller } from './auth.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';

export const ATTESTATION_KIND = 'attestation';
/** A nonce is issued for this long (and accepted in its slot and the next). */
const NONCE_SLOT_MS = 5 * 60_000;
/** The longest a verified appraisal counts, unless the operator says less. */
export const DEFAULT_ATTESTATION_LIFETIME_MS = 24 * 3600_000;

export interface AttestationSettings {
  /** The operator's appraisal policy (expected measurements, minimum TCB, ...); nonce and key are added. */
  policy: AppraisalPolicy;
  lifetimeMs: number;
  /** Pinned roots replacing the vendors' (test PKIs only). */
  roots?: PinnedRoots;
  cache: ChainCache;
  nonceSecret: Buffer;
}

/** What is kept of the latest verified appraisal. */
interface AttestationRecord {
  jkt: string;
  kind: string;
  evidence_sha256: string;
  verified_at: string;
  expires_at: string;
}

/**
 * A fresh nonce for this agent and key, 32 bytes: 16 random, then 16 of an HMAC binding them to the
 * agent, the key and the time slot. Stateless to check; spent once in the redemption ledger.
 */
export function attestationNonce(settings: AttestationSettings, agent: Caller, now: number): string {
  const random = randomBytes(16).toString('hex');
  return random + nonceMac(settings, agent, random, Math.floor(now / NONCE_SLOT_MS));
}

function nonceMac(settings: AttestationSettings, agent: Caller, random: string, slot: number): string {
  return createHmac('sha256', settings.nonceSecret)
    .update(`carapace attestation nonce v1\n${agent.id}\n${agent.dpop_jkt ?? ''}\n${slot}\n${random}`)
    .digest('hex')
    .slice(0, 32);
}

/** Requires a DPoP caller: the key an attestation binds is the key the agent proves on every call. */
export function requireDpopKey(agent: Caller): { jkt: string; pem: string } {
  if (agent.dpop_jkt === undefined || agent.dpop_jwk === undefined)
    throw new GatewayError(
      400,
      'E_ATTESTATION_NEEDS_DPOP',
      'an attestation binds the DPoP key you call with',
      'call with Authorization: DPoP <token> and a DPoP proof',
    );
  const pem = createPublicKey({ key: agent.dpop_jwk as never, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { jkt: agent.dpop_jkt, pem };
}

/**
 * Appraises `evidence` for `agent`: the nonce must be one issued to this agent and key in the last
 * two slots, and unused (it is spent here, verified or not). Returns the appraisal; a verified one is
 * recorded as the agent's attestation.
 */
export async function appraiseAgentEvidence(
  ctx: GatewayContext,
  settings: AttestationSettings,
  agent: Caller,
  input: { kind: string; evidence: Buffer; nonce: string; collateral?: unknown; certs?: Buffer[] },
): Promise<Appraisal> {
  const { jkt, pem } = requireDpopKey(agent);
  if (!(ATTESTATION_KINDS as readonly string[]).includes(input.kind))
    throw new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      `kind: one of ${ATTESTATION_KINDS.join(', ')}`,
    );
  const now = ctx.now();
  const slot = Math.floor(now / NONCE_SLOT_MS);
  const random = input.nonce.slice(0, 32);
  if (![slot, slot - 1].some((s) => random + nonceMac(settings, agent, random, s) === input.nonce))
    throw new GatewayError(
      409,
      'E_ATTESTATION_NONCE',
      'the nonce is not one issued to this agent and key recently',
      'ask GET /v1/agents/me/attestation/nonce again',
    );
  const fresh = await ctx.store.redeemToken(
    `attest:${input.nonce}`,
    new Date(now + 2 * NONCE_SLOT_MS).toISOString(),
    new Date(now).toISOString(),
  );
  if (!fresh)
    throw new GatewayError(409, 'E_ATTESTATION_NONCE', 'the nonce was already used', 'ask for a new one');
  const appraisal = appraise(input.evidence, {
    kind: input.kind as AttestationKind,
    at: new Date(now),
    policy: { ...settings.policy, nonce: input.nonce, public_key: pem },
    cache: settings.cache,
    ...(input.collateral !== undefined ? { collateral: input.collateral } : {}),
    ...(input.certs !== undefined ? { certs: input.certs } : {}),
    ...(settings.roots ? { roots: settings.roots } : {}),
  });
  if (appraisal.verified) {
    const record: AttestationRecord = {
      jkt,
      kind: appraisal.kind,
      evidence_sha256: appraisal.evidence_sha256,
      verified_at: new Date(now).toISOString(),
      expires_at: new Date(
        Math.min(now + settings.lifetimeMs, earliestNotAfter(appraisal) ?? Infinity),
      ).toISOString(),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await ctx.store.getState(ATTESTATION_KIND, agent.id);
      if (
        await ctx.store.putState(
          ATTESTATION_KIND,
          agent.id,
          { ...record },
          current?.version ?? 0,
          record.verified_at,
        )
      )
        break;
    }
  }
  return appraisal;
}

/** Whether `agent` holds an unexpired verified attestation bound to the key it calls with now. */
export async function isAttested(ctx: GatewayContext, agent: Caller): Promise<boolean> {
  if (agent.dpop_jkt === undefined) return false;
  const record = await ctx.store.getState(ATTESTATION_KIND, agent.id);
  const v = record?.value as Partial<AttestationRecord> | undefined;
  return (
    typeof v?.expires_at === 'string' && v.jkt === agent.dpop_jkt && Date.parse(v.expires_at) > ctx.now()
  );
}

/** The earliest not_after of the chain the appraisal names, when it names one. */
function earliestNotAfter(appraisal: Appraisal): number | null {
  const times: number[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (depth > 6 || typeof x !== 'object' || x === null) return;
    for (const [k, v] of Object.entries(x)) {
      if (
        (k === 'not_after' || k === 'next_update' || k === 'tcb_info_next_update') &&
        typeof v === 'string'
      ) {
        const t = Date.parse(v);
        if (Number.isFinite(t)) times.push(t);
      } else walk(v, depth + 1);
    }
  };
  walk(appraisal.claims, 0);
  return times.length > 0 ? Math.min(...times) : null;
}

export function attestationSettings(
  tokenSecret: Buffer,
  options: { policy?: AppraisalPolicy; lifetimeMs?: number; roots?: PinnedRoots } = {},
): AttestationSettings {
  return {
    policy: options.policy ?? {},
    lifetimeMs: options.lifetimeMs ?? DEFAULT_ATTESTATION_LIFETIME_MS,
    ...(options.roots ? { roots: options.roots } : {}),
    cache: new ChainCache(),
    nonceSecret: tokenSecret,
  };
}

export { MAX_EVIDENCE_BYTES };
