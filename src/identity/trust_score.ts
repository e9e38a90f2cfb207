// How an agent's runtime trust score moves (DESIGN.md §8): slowly up with actions that completed
// cleanly, fast down with denials, quarantines and breaker trips, with the anti-gaming rules of CAR
// (origins.md §5.2): gains wait out a cool-down after a loss, a sudden rise is held for an admin's
// review, oscillation caps the reachable tier, a reset returns to the starting score. Pure: state in,
// state and what to record out; the caller stores and audits.

import type { TrustTier } from '../engine/vocabulary.js';
import { lowerTier, MAX_SCORE, tierBand, tierOfScore, tierRank } from './tiers.js';

export interface TrustParams {
  /** A clean remediation adds gainRate · ln(1 + (1000 − score)). */
  gainRate: number;
  /** An observe or recommend action gains this share of a remediation's gain. */
  observeGainShare: number;
  /** The share of the score each kind of event takes away. */
  loss: { denied: number; quarantined: number; breaker: number; review_rejected: number };
  /** After a loss, no gain for this long. */
  cooldownMs: number;
  /** A rise of more than `points` within `windowMs` is held until an admin accepts it. */
  jump: { points: number; windowMs: number };
  /** `changes` reversals of direction within `windowMs` cap the tier where it is for `capMs`. */
  oscillation: { changes: number; windowMs: number; capMs: number };
}

const HOUR = 3_600_000;

export const DEFAULT_TRUST_PARAMS: TrustParams = {
  gainRate: 0.05,
  observeGainShare: 0.25,
  loss: { denied: 0.05, quarantined: 0.2, breaker: 0.3, review_rejected: 0.05 },
  cooldownMs: HOUR,
  jump: { points: 50, windowMs: HOUR },
  oscillation: { changes: 3, windowMs: 24 * HOUR, capMs: 7 * 24 * HOUR },
};

export interface TrustState {
  /** 0..1000. */
  score: number;
  /** Where the score started: the floor of the certified tier's band. A reset returns here. */
  start: number;
  /** Epoch ms before which gains are not applied (set by a loss). */
  cooldown_until: number;
  /** The direction of the last change. */
  direction: 'up' | 'down' | null;
  /** Epoch ms of recent reversals of direction. */
  reversals: number[];
  /** The score and time from which a rise is measured for the jump rule. */
  jump_base: { at: number; score: number };
  /** Gains held since `since`, until an admin accepts them. */
  held: { since: number; score: number } | null;
  /** The highest tier reachable until `until` (oscillation). */
  cap: { tier: TrustTier; until: number } | null;
}

export type TrustEvent =
  | { type: 'completed'; intent: string }
  | { type: 'denied' | 'quarantined' | 'breaker' | 'review_rejected' }
  | { type: 'context_reset' }
  | { type: 'jump_accepted' }
  | { type: 'certified'; tier: TrustTier };

/** What happened that the audit log must show. Gains within a tier are not recorded one by one. */
export interface TrustNote {
  kind:
    | 'trust.lowered'
    | 'trust.tier_changed'
    | 'trust.jump_held'
    | 'trust.jump_accepted'
    | 'trust.oscillation_capped'
    | 'trust.context_reset'
    | 'trust.certified';
  from_score: number;
  to_score: number;
  detail: Record<string, unknown>;
}

export function initialTrustState(certified: TrustTier, now: number): TrustState {
  const start = tierBand(certified).min;
  return {
    score: start,
    start,
    cooldown_until: 0,
    direction: null,
    reversals: [],
    jump_base: { at: now, score: start },
    held: null,
    cap: null,
  };
}

/** The state after `event` at `now`, and what to record. Never changes `state`. */
export function applyTrustEvent(
  state: TrustState,
  event: TrustEvent,
  now: number,
  params: TrustParams = DEFAULT_TRUST_PARAMS,
): { state: TrustState; notes: TrustNote[] } {
  const next: TrustState = {
    ...state,
    reversals: state.reversals.filter((t) => now - t < params.oscillation.windowMs),
  };
  if (next.cap && next.cap.until <= now) next.cap = null;
  const notes: TrustNote[] = [];
  const note = (kind: TrustNote['kind'], from: number, detail: Record<string, unknown>) =>
    notes.push({ kind, from_score: from, to_score: next.score, detail });
  const before = state.score;

  switch (event.type) {
    case 'completed': {
      if (now < next.cooldown_until || next.held) break;
      if (now - next.jump_base.at >= params.jump.windowMs) next.jump_base = { at: now, score: next.score };
      const share = event.intent === 'observe' || event.intent === 'recommend' ? params.observeGainShare : 1;
      const gain = params.gainRate * Math.log1p(MAX_SCORE - next.score) * share;
      const score = round(Math.min(MAX_SCORE, next.score + gain));
      if (score - next.jump_base.score > params.jump.points) {
        next.held = { since: now, score: next.score };
        note('trust.jump_held', before, {
          risen: round(score - next.jump_base.score),
          since: new Date(next.jump_base.at).toISOString(),
          limit: params.jump.points,
        });
        break;
      }
      if (score > next.score) changeDirection(next, 'up', now, params, notes);
      next.score = score;
      break;
    }
    case 'denied':
    case 'quarantined':
    case 'breaker':
    case 'review_rejected': {
      const score = round(next.score * (1 - params.loss[event.type]));
      next.cooldown_until = now + params.cooldownMs;
      if (score < next.score) changeDirection(next, 'down', now, params, notes);
      next.score = score;
      if (score < before)
        note('trust.lowered', before, { reason: event.type, share: params.loss[event.type] });
      break;
    }
    case 'context_reset': {
      next.score = Math.min(next.score, next.start);
      next.jump_base = { at: now, score: next.score };
      next.held = null;
      note('trust.context_reset', before, {});
      break;
    }
    case 'jump_accepted': {
      if (!next.held) break;
      next.held = null;
      next.jump_base = { at: now, score: next.score };
      note('trust.jump_accepted', before, {});
      break;
    }
    case 'certified': {
      // An admin's certification sets where the score starts, and raises it to that floor: an admin's
      // decision, recorded as such, never a jump.
      next.start = tierBand(event.tier).min;
      next.score = Math.max(next.score, next.start);
      next.jump_base = { at: now, score: next.score };
      note('trust.certified', before, { tier: event.tier });
      break;
    }
  }
  if (tierOfScore(before) !== tierOfScore(next.score))
    notes.push({
      kind: 'trust.tier_changed',
      from_score: before,
      to_score: next.score,
      detail: { from: tierOfScore(before), to: tierOfScore(next.score) },
    });
  return { state: next, notes };
}

function changeDirection(
  state: TrustState,
  direction: 'up' | 'down',
  now: number,
  params: TrustParams,
  notes: TrustNote[],
): void {
  if (state.direction !== null && state.direction !== direction) {
    state.reversals = [...state.reversals, now];
    if (state.reversals.length >= params.oscillation.changes) {
      const tier = tierOfScore(state.score);
      if (!state.cap || tierRank(tier) < tierRank(state.cap.tier)) {
        state.cap = { tier, until: now + params.oscillation.capMs };
        notes.push({
          kind: 'trust.oscillation_capped',
          from_score: state.score,
          to_score: state.score,
          detail: {
            tier,
            until: new Date(state.cap.until).toISOString(),
            reversals: state.reversals.length,
          },
        });
      }
    }
  }
  state.direction = direction;
}

export interface EffectiveTier {
  tier: TrustTier;
  certified: TrustTier;
  /** The tier of the runtime score. */
  runtime: TrustTier;
  score: number;
  /** Why the tier is below the certified one, one line per limit that applied. */
  limits: string[];
}

/**
 * The tier an agent acts at: the lower of its certified and runtime tiers, under an oscillation cap,
 * and never above T4 without a verified TEE attestation on record.
 */
export function effectiveTier(
  certified: TrustTier,
  state: TrustState,
  attested: boolean,
  now: number,
): EffectiveTier {
  const runtime = tierOfScore(state.score);
  let tier = lowerTier(certified, runtime);
  const limits: string[] = [];
  if (tierRank(runtime) < tierRank(certified))
    limits.push(`runtime score ${state.score} is ${runtime}, below the certified ${certified}`);
  if (state.cap && state.cap.until > now && tierRank(state.cap.tier) < tierRank(tier)) {
    tier = state.cap.tier;
    limits.push(`capped at ${tier} until ${new Date(state.cap.until).toISOString()} (oscillating score)`);
  }
  if (!attested && tierRank(tier) > tierRank('T4')) {
    tier = 'T4';
    limits.push('T5 and above need a verified TEE attestation on record, and there is none');
  }
  return { tier, certified, runtime, score: state.score, limits };
}

/** Reads a stored state, refusing anything that is not one (a damaged record fails closed to T0). */
export function parseTrustState(value: unknown): TrustState | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (!num(v.score) || v.score < 0 || v.score > MAX_SCORE || !num(v.start) || !num(v.cooldown_until))
    return null;
  if (v.direction !== null && v.direction !== 'up' && v.direction !== 'down') return null;
  if (!Array.isArray(v.reversals) || !v.reversals.every(num)) return null;
  const base = v.jump_base as Record<string, unknown> | null;
  if (typeof base !== 'object' || base === null || !num(base.at) || !num(base.score)) return null;
  const held = v.held as Record<string, unknown> | null;
  if (held !== null && (typeof held !== 'object' || !num(held.since) || !num(held.score))) return null;
  const cap = v.cap as Record<string, unknown> | null;
  if (
    cap !== null &&
    (typeof cap !== 'object' || !num(cap.until) || typeof cap.tier !== 'string' || !/^T[0-7]$/.test(cap.tier))
  )
    return null;
  return value as TrustState;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
