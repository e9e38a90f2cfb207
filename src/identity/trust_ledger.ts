// Trust scores kept in the store (kind `trust`, one record per agent), changed by compare-and-set so
// that instances sharing the store never lose each other's changes. A record that does not parse is
// read as a score of 0: damage lowers trust, never raises it.

import type { TrustTier } from '../engine/vocabulary.js';
import type { Principal, Store } from '../store/store.js';
import {
  applyTrustEvent,
  DEFAULT_TRUST_PARAMS,
  effectiveTier,
  type EffectiveTier,
  initialTrustState,
  parseTrustState,
  type TrustEvent,
  type TrustNote,
  type TrustParams,
  type TrustState,
} from './trust_score.js';

export const TRUST_KIND = 'trust';

export class TrustLedger {
  constructor(
    private readonly store: Store,
    readonly params: TrustParams = DEFAULT_TRUST_PARAMS,
  ) {}

  /** The agent's state: stored, or where an agent of its certified tier starts. */
  async state(agent: Principal, now: number): Promise<TrustState> {
    return (await this.read(agent, now)).state;
  }

  /** The tier the agent acts at now; `attested` says whether a verified TEE attestation is on record. */
  async effective(agent: Principal, now: number, attested: boolean): Promise<EffectiveTier> {
    if (agent.role !== 'agent')
      return {
        tier: agent.certified_tier,
        certified: agent.certified_tier,
        runtime: agent.certified_tier,
        score: 0,
        limits: [],
      };
    return effectiveTier(agent.certified_tier, await this.state(agent, now), attested, now);
  }

  /** Applies `event` and stores the result; returns what to record. Retries when another write came first. */
  async apply(
    agent: Principal,
    event: TrustEvent,
    now: number,
  ): Promise<{ state: TrustState; notes: TrustNote[] }> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const { state, version } = await this.read(agent, now);
      const next = applyTrustEvent(state, event, now, this.params);
      if (JSON.stringify(next.state) === JSON.stringify(state)) return next;
      const written = await this.store.putState(
        TRUST_KIND,
        agent.id,
        { ...next.state } as never,
        version,
        new Date(now).toISOString(),
      );
      if (written) return next;
    }
    throw new Error(`the trust score of ${agent.id} kept changing while it was being updated`);
  }

  private async read(agent: Principal, now: number): Promise<{ state: TrustState; version: number }> {
    const record = await this.store.getState(TRUST_KIND, agent.id);
    if (record === null) return { state: initialTrustState(agent.certified_tier, now), version: 0 };
    return {
      state: parseTrustState(record.value) ?? { ...initialTrustState('T0' as TrustTier, now), start: 0 },
      version: record.version,
    };
  }
}
