// The data hall where network namespaces are unavailable (not Linux, not root, no `ip` or `nft`): the
// same API and layout, kept in this process, with reachability from the model in reachability.ts.
// Nothing real changes, and every result says so: `simulated: true`, and text starting "SIMULATED".

import type { HallEffect } from './effect_plan.js';
import { HallError } from './errors.js';
import { effectEntry } from './hall_journal.js';
import type {
  AppliedEffect,
  CanaryChange,
  CanaryReport,
  CanaryResult,
  DataHall,
  HallStatus,
  HealReport,
  JournalEntry,
  ProbeResult,
  SiteStatus,
  TeardownReport,
} from './hall.js';
import { type HallConfig, type HallOptions, resolveHallConfig } from './hall_config.js';
import { effectChains, effectRuleset, isNetworkEffect, type NetworkEffect } from './nft_ruleset.js';
import { modelReachability } from './reachability.js';
import { findSite, findTarget, type HallTopology, siteTargets, WORKLOADS } from './topology.js';

export interface SimulatedHallOptions extends HallOptions {
  /** Why the hall is simulated, shown in every label (e.g. netnsAvailability()'s reason). */
  reason: string;
}

export function createSimulatedHall(options: SimulatedHallOptions): DataHall {
  return new SimulatedHall(resolveHallConfig(options), options.reason);
}

const NO_NAMESPACE = '(none: SIMULATED)';

class SimulatedHall implements DataHall {
  readonly kind = 'simulated' as const;
  readonly simulated = true;
  readonly prefix: string;
  readonly topology: HallTopology;
  readonly simulatedReason: string;
  private isUp = false;
  /** Site → chain base name → effect: what the real hall would have installed. */
  private readonly effects = new Map<string, Map<string, NetworkEffect>>();
  private readonly workloadStarts = new Map<string, number>();
  private readonly journalEntries: JournalEntry[] = [];
  private readonly canaryState = new Map<
    string,
    { round: number; last: Map<string, boolean>; changes: CanaryChange[] }
  >();

  constructor(
    private readonly config: HallConfig,
    reason: string,
  ) {
    this.prefix = config.prefix;
    this.topology = config.topology;
    this.simulatedReason = reason;
  }

  private get label(): string {
    return (
      `SIMULATED: an in-process data hall; no network namespace, nftables rule or process exists, ` +
      `and nothing persists after this process (${this.simulatedReason})`
    );
  }

  async up(): Promise<HallStatus> {
    const reused = this.isUp;
    if (!reused) {
      this.isUp = true;
      for (const site of this.topology.sites)
        for (const w of WORKLOADS) this.workloadStarts.set(`${site.id}/${w.name}`, 1);
    }
    return { ...(await this.status()), reused };
  }

  async down(): Promise<TeardownReport> {
    const wasUp = this.isUp;
    this.isUp = false;
    this.effects.clear();
    this.workloadStarts.clear();
    this.canaryState.clear();
    return {
      simulated: true,
      label: this.label,
      prefix: this.prefix,
      removed_namespaces: [],
      stopped_pids: [],
      removed_files: [],
      already_down: !wasUp,
    };
  }

  async status(): Promise<HallStatus> {
    const sites = this.topology.sites.map((site): SiteStatus => {
      const canary = this.isUp ? this.canaryResults(site.id) : null;
      return {
        site: site.id,
        namespace: NO_NAMESPACE,
        address: site.address,
        up: this.isUp,
        pid: null,
        workloads: this.isUp
          ? WORKLOADS.map((w) => ({
              name: w.name,
              port: w.port,
              pid: null,
              ready: true,
              starts: this.workloadStarts.get(`${site.id}/${w.name}`) ?? 0,
            }))
          : [],
        carapace_chains: this.chainsOf(site.id),
        canary:
          canary === null
            ? null
            : {
                round: this.canaryState.get(site.id)?.round ?? 0,
                last_round_at: null,
                reachable: canary.filter((r) => r.reachable).length,
                unreachable: canary.filter((r) => !r.reachable).map((r) => `${r.site}/${r.target}`),
              },
      };
    });
    return {
      kind: 'simulated',
      simulated: true,
      label: this.label,
      prefix: this.prefix,
      up: this.isUp,
      subnet: this.config.subnet,
      run_dir: null,
      probe_interval_ms: this.config.probeIntervalMs,
      sites,
      journal: this.journalEntries.slice(-50),
    };
  }

  async heal(siteId?: string): Promise<HealReport> {
    this.requireUp();
    const sites = siteId === undefined ? this.topology.sites : [findSite(this.topology, siteId)];
    const healed = sites.map((s) => {
      const removed = this.chainsOf(s.id);
      this.effects.delete(s.id);
      if (removed.length > 0) {
        this.journal({
          tool: 'heal',
          site: s.id,
          entity: s.id,
          kind: 'heal',
          simulated: true,
          effect: `SIMULATED: forgot the effects in ${s.id} (chains ${removed.join(', ')})`,
        });
      }
      return { site: s.id, removed_chains: removed };
    });
    return { simulated: true, label: this.label, healed };
  }

  async apply(effect: HallEffect): Promise<AppliedEffect> {
    this.requireUp();
    findSite(this.topology, effect.site);
    let sentence: string;
    let details: Record<string, unknown>;
    if (isNetworkEffect(effect)) {
      const chains = effectChains(effect);
      const siteEffects = this.effects.get(effect.site) ?? new Map<string, NetworkEffect>();
      siteEffects.set(chains.input.replace(/_in$/, ''), effect);
      this.effects.set(effect.site, siteEffects);
      sentence =
        `SIMULATED: ${effect.tool} ${effect.entity} in ${effect.site} is in force in this process's model only; ` +
        `no nftables rule was installed`;
      details = { would_install: effectRuleset(effect), chains: [chains.input, chains.output] };
    } else if (effect.kind === 'restart_workload') {
      const key = `${effect.site}/${effect.entity}`;
      this.workloadStarts.set(key, (this.workloadStarts.get(key) ?? 0) + 1);
      sentence = `SIMULATED: workload ${effect.entity} in ${effect.site} counted as restarted; no process exists`;
      details = { starts: this.workloadStarts.get(key) };
    } else {
      sentence = `SIMULATED (recorded only): ${effect.request}; nothing changed`;
      details = { recorded_only: true, request: effect.request };
    }
    this.journal(effectEntry(effect, true, sentence));
    return {
      simulated: true,
      applied_at: new Date().toISOString(),
      effect: sentence,
      details: { simulated: true, ...details },
    };
  }

  async probe(from: string, to: string, targetId?: string): Promise<ProbeResult> {
    this.requireUp();
    const fromSite = findSite(this.topology, from);
    const target = findTarget(findSite(this.topology, to), targetId);
    if (fromSite.id === target.site)
      throw new HallError('E_HALL_TARGET', `probe from ${from} to another site, not to itself`);
    const verdict = modelReachability(this.activeEffects(), fromSite.id, target);
    return {
      simulated: true,
      from: fromSite.id,
      to: target.site,
      target: target.id,
      address: target.address,
      port: target.port,
      reachable: verdict.reachable,
      checked_at: new Date().toISOString(),
      latency_ms: 0,
      ...(verdict.reachable
        ? { answered_by: target.id }
        : { error: `SIMULATED: stopped by ${verdict.blocked_by ?? 'an effect'}` }),
    };
  }

  async canary(siteId: string): Promise<CanaryReport> {
    this.requireUp();
    const site = findSite(this.topology, siteId);
    const results = this.canaryResults(site.id);
    const state = this.canaryState.get(site.id) ?? {
      round: 0,
      last: new Map<string, boolean>(),
      changes: [],
    };
    state.round += 1;
    for (const r of results) {
      const key = `${r.site}/${r.target}`;
      if (state.last.get(key) !== r.reachable) {
        state.changes.push({
          at: r.checked_at,
          round: state.round,
          site: r.site,
          target: r.target,
          reachable: r.reachable,
        });
      }
      state.last.set(key, r.reachable);
    }
    this.canaryState.set(site.id, state);
    return {
      simulated: true,
      site: site.id,
      interval_ms: this.config.probeIntervalMs,
      round: state.round,
      last_round_at: new Date().toISOString(),
      results: results.map((r) => ({ ...r, round: state.round })),
      changes: [...state.changes],
    };
  }

  /** Computed from the model when asked: a simulated canary measures nothing. */
  private canaryResults(siteId: string): CanaryResult[] {
    const at = new Date().toISOString();
    const effects = this.activeEffects();
    return this.topology.sites
      .filter((s) => s.id !== siteId)
      .flatMap(siteTargets)
      .map((t) => {
        const verdict = modelReachability(effects, siteId, t);
        return {
          site: t.site,
          target: t.id,
          kind: t.kind,
          address: t.address,
          port: t.port,
          reachable: verdict.reachable,
          checked_at: at,
          latency_ms: 0,
          round: this.canaryState.get(siteId)?.round ?? 0,
          ...(verdict.reachable
            ? {}
            : { error: `SIMULATED: stopped by ${verdict.blocked_by ?? 'an effect'}` }),
        };
      });
  }

  private activeEffects(): Map<string, NetworkEffect[]> {
    return new Map([...this.effects].map(([site, byChain]) => [site, [...byChain.values()]]));
  }

  private chainsOf(siteId: string): string[] {
    return [...(this.effects.get(siteId)?.values() ?? [])]
      .flatMap((e) => {
        const c = effectChains(e);
        return [c.input, c.output];
      })
      .sort();
  }

  private requireUp(): void {
    if (!this.isUp)
      throw new HallError('E_HALL_NOT_UP', `SIMULATED: the simulated hall ${this.prefix} is not up`);
  }

  private journal(entry: Omit<JournalEntry, 'at'>): void {
    this.journalEntries.push({ at: new Date().toISOString(), ...entry });
  }
}
