// Trust tiers T0–T7 on a 0–1000 score (DESIGN.md §8, origins.md §5.2), and what each tier bounds:
// access-token lifetime, how soon a revocation must be seen, how deep a delegation chain may go.
// One table, so every number about a tier is read from the same place.

import type { TrustTier } from '../engine/vocabulary.js';
import { TRUST_TIERS } from '../engine/vocabulary.js';

export interface TierBand {
  tier: TrustTier;
  name: string;
  /** Lowest score of the band. */
  min: number;
  /** Highest score of the band. */
  max: number;
  /** How long an access token issued at this tier may live. */
  accessTokenTtlMs: number;
  /** How long a revocation may take to reach a gateway instance; 0 means checked on every call. */
  revocationSlaMs: number;
  /** How many links a delegation chain below an agent of this tier may have (0: it cannot delegate). */
  delegationDepth: number;
}

const MINUTE = 60_000;

/** CAR's bands (origins.md §5.2); lifetimes and SLAs of DESIGN.md §5 and §8; depths of the CAR docs. */
export const TIER_BANDS: readonly TierBand[] = [
  {
    tier: 'T0',
    name: 'Sandbox',
    min: 0,
    max: 199,
    accessTokenTtlMs: 5 * MINUTE,
    revocationSlaMs: 5 * MINUTE,
    delegationDepth: 0,
  },
  {
    tier: 'T1',
    name: 'Observed',
    min: 200,
    max: 349,
    accessTokenTtlMs: 5 * MINUTE,
    revocationSlaMs: MINUTE,
    delegationDepth: 0,
  },
  {
    tier: 'T2',
    name: 'Provisional',
    min: 350,
    max: 499,
    accessTokenTtlMs: 5 * MINUTE,
    revocationSlaMs: MINUTE,
    delegationDepth: 0,
  },
  {
    tier: 'T3',
    name: 'Monitored',
    min: 500,
    max: 649,
    accessTokenTtlMs: 30 * MINUTE,
    revocationSlaMs: 15_000,
    delegationDepth: 2,
  },
  {
    tier: 'T4',
    name: 'Standard',
    min: 650,
    max: 799,
    accessTokenTtlMs: 30 * MINUTE,
    revocationSlaMs: 15_000,
    delegationDepth: 2,
  },
  {
    tier: 'T5',
    name: 'Trusted',
    min: 800,
    max: 875,
    accessTokenTtlMs: 60 * MINUTE,
    revocationSlaMs: 0,
    delegationDepth: 4,
  },
  {
    tier: 'T6',
    name: 'Certified',
    min: 876,
    max: 950,
    accessTokenTtlMs: 60 * MINUTE,
    revocationSlaMs: 0,
    delegationDepth: 4,
  },
  {
    tier: 'T7',
    name: 'Autonomous',
    min: 951,
    max: 1000,
    accessTokenTtlMs: 240 * MINUTE,
    revocationSlaMs: 0,
    delegationDepth: 8,
  },
];

export const MAX_SCORE = 1000;

export function tierBand(tier: TrustTier): TierBand {
  const band = TIER_BANDS[TRUST_TIERS.indexOf(tier)];
  if (!band) throw new Error(`unknown tier ${String(tier)}`);
  return band;
}

/** The tier whose band holds `score` (clamped to 0..1000). */
export function tierOfScore(score: number): TrustTier {
  const s = Math.min(MAX_SCORE, Math.max(0, Math.floor(score)));
  for (let i = TIER_BANDS.length - 1; i >= 0; i--) {
    const band = TIER_BANDS[i] as TierBand;
    if (s >= band.min) return band.tier;
  }
  return 'T0';
}

export function tierRank(tier: TrustTier): number {
  return TRUST_TIERS.indexOf(tier);
}

export function lowerTier(a: TrustTier, b: TrustTier): TrustTier {
  return tierRank(a) <= tierRank(b) ? a : b;
}
