// The real data hall: Linux network namespaces joined by veth pairs and bridges, a site agent per
// site (HTTP service, workloads, canary), effects applied with nftables in the site's namespace.
// All state lives in the kernel and the run directory, so any process with the same prefix can read
// it, change it, and tear it down.

import { lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NetnsAvailability, netnsAvailability } from './availability.js';
import type { HallEffect } from './effect_plan.js';
import { HallError } from './errors.js';
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
import {
  coreNamespace,
  type HallConfig,
  hallFiles,
  type HallOptions,
  resolveHallConfig,
  siteNamespace,
} from './hall_config.js';
import { appendJournal, readJournal, effectEntry } from './hall_journal.js';
import { buildHallNetwork, listHallNamespaces, removeHallNamespaces } from './hall_network.js';
import { findHallProcesses, PREFIX_ENV, stopProcesses } from './hall_processes.js';
import { HOST_PATH, hostCommand } from './host_command.js';
import {
  carapaceChains,
  effectChains,
  effectRuleset,
  hasCarapaceTable,
  type NetworkEffect,
  NFT_FAMILY,
  NFT_TABLE,
} from './nft_ruleset.js';
import { PROBE_PROGRAM } from './probe_program.js';
import { siteRequest } from './site_control.js';
import { launchSiteAgent } from './site_launcher.js';
import { findSite, findTarget, type HallSite, type HallTopology } from './topology.js';

/** Checks the options (E_HALL_CONFIG); touches nothing until a method is called. */
export function createNetnsHall(options: HallOptions = {}): DataHall {
  return new NetnsHall(resolveHallConfig(options));
}

/** The run directory's own files; teardown removes these and nothing else. */
const RUN_FILE = /^(hall\.json|effects\.jsonl|[a-z0-9-]+\.sock|[a-z0-9-]+\.log)$/;

interface HallState {
  prefix: string;
  subnet: string;
  probe_interval_ms: number;
  layout: HallTopology;
  created_at: string;
  agent_pids: Record<string, number>;
}

class NetnsHall implements DataHall {
  readonly kind = 'netns' as const;
  readonly simulated = false;
  readonly prefix: string;
  readonly topology: HallTopology;
  private readonly files: ReturnType<typeof hallFiles>;
  private availability: NetnsAvailability | undefined;

  constructor(private readonly config: HallConfig) {
    this.prefix = config.prefix;
    this.topology = config.topology;
    this.files = hallFiles(config);
  }

  /** Checked once per hall: the answer does not change while the process runs. */
  private requireNetns(): void {
    this.availability ??= netnsAvailability();
    if (!this.availability.ok) {
      throw new HallError(
        'E_HALL_UNAVAILABLE',
        `the netns data hall cannot run here: ${this.availability.reason}`,
      );
    }
  }

  private get label(): string {
    return (
      `REAL: Linux network namespaces ${this.prefix}-*, joined by veth pairs and bridges in ${coreNamespace(this.config)}; ` +
      `effects are nftables rules in the site's namespace and the canaries measure real traffic`
    );
  }

  async up(): Promise<HallStatus> {
    this.requireNetns();
    if (await this.isHealthy()) return { ...(await this.status()), reused: true };
    await this.down();
    prepareRunDir(this.config.runDir);
    try {
      await buildHallNetwork(this.config);
      const pids = await Promise.all(this.topology.sites.map((s) => launchSiteAgent(this.config, s)));
      const state: HallState = {
        prefix: this.prefix,
        subnet: this.config.subnet,
        probe_interval_ms: this.config.probeIntervalMs,
        layout: this.topology,
        created_at: new Date().toISOString(),
        agent_pids: Object.fromEntries(this.topology.sites.map((s, i) => [s.id, pids[i] as number])),
      };
      writeFileSync(this.files.state, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    } catch (e) {
      // Leave nothing half-built behind; the error already carries the failing command and log tail.
      await this.down().catch(() => undefined);
      throw e;
    }
    return { ...(await this.status()), reused: false };
  }

  /** Up with the same layout and interval, every namespace present and every agent ready. */
  private async isHealthy(): Promise<boolean> {
    let state: HallState;
    try {
      state = JSON.parse(readFileSync(this.files.state, 'utf8')) as HallState;
    } catch {
      return false;
    }
    if (
      state.prefix !== this.prefix ||
      state.subnet !== this.config.subnet ||
      state.probe_interval_ms !== this.config.probeIntervalMs ||
      JSON.stringify(state.layout) !== JSON.stringify(this.topology)
    ) {
      return false;
    }
    const namespaces = new Set(await listHallNamespaces(this.prefix));
    const expected = [
      coreNamespace(this.config),
      ...this.topology.sites.map((s) => siteNamespace(this.config, s.id)),
    ];
    if (namespaces.size !== expected.length || !expected.every((n) => namespaces.has(n))) return false;
    const ready = await Promise.all(
      this.topology.sites.map((s) =>
        siteRequest(this.files.socket(s.id), 'GET', '/status', 2000).then(
          (a) => a.body.ready === true,
          () => false,
        ),
      ),
    );
    return ready.every(Boolean);
  }

  async down(): Promise<TeardownReport> {
    this.requireNetns();
    const namespaces = await listHallNamespaces(this.prefix);
    const pids = await findHallProcesses(this.prefix, namespaces);
    let stopped: number[];
    try {
      stopped = pids.length > 0 ? await stopProcesses(pids) : [];
    } catch (e) {
      throw new HallError('E_HALL_COMMAND', `teardown of ${this.prefix}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    await removeHallNamespaces(namespaces).catch(() => undefined); // checked just below
    const left = await listHallNamespaces(this.prefix);
    if (left.length > 0) {
      throw new HallError(
        'E_HALL_COMMAND',
        `teardown of ${this.prefix}: namespaces ${left.join(', ')} remain`,
      );
    }
    const removedFiles = this.removeRunFiles();
    return {
      simulated: false,
      label: this.label,
      prefix: this.prefix,
      removed_namespaces: namespaces,
      stopped_pids: stopped,
      removed_files: removedFiles,
      already_down: namespaces.length === 0 && stopped.length === 0 && removedFiles.length === 0,
    };
  }

  private removeRunFiles(): string[] {
    const dir = this.config.runDir;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      names = []; // never created, or already removed
    }
    const removed: string[] = [];
    for (const name of names.filter((n) => RUN_FILE.test(n)).sort()) {
      rmSync(join(dir, name), { force: true });
      removed.push(join(dir, name));
    }
    for (const emptied of [dir, this.config.defaultRunRoot]) {
      if (emptied === null) continue;
      try {
        rmdirSync(emptied);
      } catch {
        // not empty (another hall's, or someone else's file) or already gone: leave it
      }
    }
    return removed;
  }

  async status(): Promise<HallStatus> {
    this.requireNetns();
    const namespaces = new Set(await listHallNamespaces(this.prefix));
    const sites = await Promise.all(
      this.topology.sites.map((s) => this.siteStatus(s, namespaces.has(siteNamespace(this.config, s.id)))),
    );
    return {
      kind: 'netns',
      simulated: false,
      label: this.label,
      prefix: this.prefix,
      up: namespaces.has(coreNamespace(this.config)) && sites.every((s) => s.up),
      subnet: this.config.subnet,
      run_dir: this.config.runDir,
      probe_interval_ms: this.config.probeIntervalMs,
      sites,
      journal: readJournal(this.files.journal),
    };
  }

  private async siteStatus(site: HallSite, exists: boolean): Promise<SiteStatus> {
    const status: SiteStatus = {
      site: site.id,
      namespace: siteNamespace(this.config, site.id),
      address: site.address,
      up: false,
      pid: null,
      workloads: [],
      carapace_chains: [],
      canary: null,
    };
    if (!exists) return { ...status, error: `namespace ${status.namespace} does not exist` };
    const errors: string[] = [];
    try {
      status.carapace_chains = carapaceChains(await this.nftRuleset(status.namespace));
    } catch (e) {
      errors.push((e as Error).message);
    }
    try {
      const { body } = await siteRequest(this.files.socket(site.id), 'GET', '/status', 2000);
      const canary = record(body.canary);
      status.up = body.ready === true;
      status.pid = numberOrNull(body.pid);
      status.workloads = (Array.isArray(body.workloads) ? body.workloads : []).map((w) => {
        const r = record(w);
        return {
          name: String(r.name),
          port: Number(r.port),
          pid: numberOrNull(r.pid),
          ready: r.ready === true,
          starts: Number(r.starts ?? 0),
        };
      });
      status.canary = {
        round: Number(canary.round ?? 0),
        last_round_at: typeof canary.last_round_at === 'string' ? canary.last_round_at : null,
        reachable: Number(canary.reachable ?? 0),
        unreachable: Array.isArray(canary.unreachable) ? canary.unreachable.map(String) : [],
      };
    } catch (e) {
      errors.push((e as Error).message);
    }
    return errors.length > 0 ? { ...status, error: errors.join('; ') } : status;
  }

  async heal(siteId?: string): Promise<HealReport> {
    this.requireNetns();
    const sites = siteId === undefined ? this.topology.sites : [findSite(this.topology, siteId)];
    const namespaces = new Set(await listHallNamespaces(this.prefix));
    const missing = sites.filter((s) => !namespaces.has(siteNamespace(this.config, s.id)));
    if (missing.length > 0) {
      throw new HallError(
        'E_HALL_NOT_UP',
        `cannot heal: namespaces ${missing.map((s) => siteNamespace(this.config, s.id)).join(', ')} do not exist (is the hall up?)`,
      );
    }
    const healed: HealReport['healed'] = [];
    for (const site of sites) {
      const ns = siteNamespace(this.config, site.id);
      const before = await this.nftRuleset(ns);
      const removed = carapaceChains(before);
      if (hasCarapaceTable(before)) {
        await this.nft(ns, ['delete', 'table', NFT_FAMILY, NFT_TABLE]);
      }
      if (hasCarapaceTable(await this.nftRuleset(ns))) {
        throw new HallError(
          'E_HALL_EFFECT',
          `heal ${site.id}: table ${NFT_FAMILY} ${NFT_TABLE} is still in ${ns}`,
        );
      }
      healed.push({ site: site.id, removed_chains: removed });
      if (removed.length > 0) {
        this.journal({
          tool: 'heal',
          site: site.id,
          entity: site.id,
          kind: 'heal',
          simulated: false,
          effect: `removed table ${NFT_FAMILY} ${NFT_TABLE} (chains ${removed.join(', ')}) from ${ns}`,
        });
      }
    }
    return { simulated: false, label: this.label, healed };
  }

  async apply(effect: HallEffect): Promise<AppliedEffect> {
    this.requireNetns();
    findSite(this.topology, effect.site);
    switch (effect.kind) {
      case 'isolate_site':
      case 'block_link':
      case 'quarantine_node':
        return this.applyNetworkEffect(effect);
      case 'restart_workload':
        return this.restartWorkload(effect);
      case 'record_only':
        return this.recordOnly(effect);
    }
  }

  private async applyNetworkEffect(effect: NetworkEffect): Promise<AppliedEffect> {
    const ns = siteNamespace(this.config, effect.site);
    await this.requireNamespace(ns);
    const ruleset = effectRuleset(effect);
    const chains = effectChains(effect);
    let inForce: string[];
    try {
      await this.nft(ns, ['-f', '-'], ruleset);
      inForce = carapaceChains(await this.nftRuleset(ns));
    } catch (e) {
      throw new HallError(
        'E_HALL_EFFECT',
        `${effect.tool} ${effect.entity}: nftables in ${ns} failed: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    if (!inForce.includes(chains.input) || !inForce.includes(chains.output)) {
      throw new HallError(
        'E_HALL_EFFECT',
        `${effect.tool} ${effect.entity}: after nft -f, chains ${chains.input} and ${chains.output} are not both in ${ns}`,
      );
    }
    const sentence = networkEffectSentence(effect, ns);
    const appliedAt = new Date().toISOString();
    this.journal(effectEntry(effect, false, sentence));
    return {
      simulated: false,
      applied_at: appliedAt,
      effect: sentence,
      details: {
        namespace: ns,
        nftables_table: `${NFT_FAMILY} ${NFT_TABLE}`,
        chains: [chains.input, chains.output],
        ruleset,
        chains_in_force: inForce,
      },
    };
  }

  private async restartWorkload(
    effect: Extract<HallEffect, { kind: 'restart_workload' }>,
  ): Promise<AppliedEffect> {
    let answer;
    try {
      answer = await siteRequest(
        this.files.socket(effect.site),
        'POST',
        `/workloads/${effect.entity}/restart`,
        15_000,
      );
    } catch (e) {
      throw new HallError(
        'E_HALL_EFFECT',
        `restart_workload ${effect.entity} in ${effect.site}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const body = answer.body;
    if (answer.status !== 200 || typeof body.new_pid !== 'number') {
      throw new HallError(
        'E_HALL_EFFECT',
        `restart_workload ${effect.entity} in ${effect.site}: the site agent answered ${answer.status}: ${String(body.error ?? JSON.stringify(body))}`,
      );
    }
    const sentence =
      `restarted workload ${effect.entity} in ${effect.site} (namespace ${siteNamespace(this.config, effect.site)}): ` +
      `pid ${String(body.old_pid)} stopped, pid ${body.new_pid} serving again ${String(body.down_ms)} ms later`;
    this.journal(effectEntry(effect, false, sentence));
    return { simulated: false, applied_at: String(body.started_at), effect: sentence, details: body };
  }

  private recordOnly(effect: Extract<HallEffect, { kind: 'record_only' }>): AppliedEffect {
    const why =
      effect.tool === 'migrate_vm'
        ? 'the netns hall has no hypervisor, so no VM moved'
        : 'the netns hall has no power control, so no node was throttled';
    const sentence = `SIMULATED (recorded only): ${effect.request}; ${why}`;
    this.journal(effectEntry(effect, true, sentence));
    return {
      simulated: true,
      applied_at: new Date().toISOString(),
      effect: sentence,
      details: { recorded_only: true, request: effect.request, reason: why, journal: this.files.journal },
    };
  }

  async probe(from: string, to: string, targetId?: string): Promise<ProbeResult> {
    this.requireNetns();
    const fromSite = findSite(this.topology, from);
    const target = findTarget(findSite(this.topology, to), targetId);
    if (fromSite.id === target.site)
      throw new HallError('E_HALL_TARGET', `probe from ${from} to another site, not to itself`);
    const ns = siteNamespace(this.config, fromSite.id);
    await this.requireNamespace(ns);
    const out = await hostCommand(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', PROBE_PROGRAM],
      {
        env: {
          PATH: HOST_PATH,
          [PREFIX_ENV]: this.prefix,
          CARAPACE_HALL_PROBE: JSON.stringify({
            address: target.address,
            port: target.port,
            timeout_ms: this.config.probeTimeoutMs,
          }),
        },
        timeoutMs: this.config.probeTimeoutMs + 15_000,
      },
    );
    const last = out.trim().split('\n').pop() ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(last);
    } catch {
      throw new HallError(
        'E_HALL_COMMAND',
        `probe from ${ns}: the probe printed ${JSON.stringify(last.slice(0, 200))}`,
      );
    }
    const result = record(parsed);
    return {
      simulated: false,
      from: fromSite.id,
      to: target.site,
      target: target.id,
      address: target.address,
      port: target.port,
      reachable: result.reachable === true,
      checked_at: String(result.checked_at),
      latency_ms: Number(result.latency_ms),
      ...(typeof result.answered_by === 'string' ? { answered_by: result.answered_by } : {}),
      ...(typeof result.error === 'string' ? { error: result.error } : {}),
    };
  }

  async canary(siteId: string): Promise<CanaryReport> {
    this.requireNetns();
    const site = findSite(this.topology, siteId);
    const { body } = await siteRequest(this.files.socket(site.id), 'GET', '/canary', 5000);
    return {
      simulated: false,
      site: site.id,
      interval_ms: Number(body.interval_ms),
      round: Number(body.round),
      last_round_at: typeof body.last_round_at === 'string' ? body.last_round_at : null,
      results: (Array.isArray(body.results) ? body.results : []) as CanaryResult[],
      changes: (Array.isArray(body.changes) ? body.changes : []) as CanaryChange[],
    };
  }

  private async requireNamespace(ns: string): Promise<void> {
    if (!(await listHallNamespaces(this.prefix)).includes(ns)) {
      throw new HallError(
        'E_HALL_NOT_UP',
        `namespace ${ns} does not exist: the hall ${this.prefix} is not up`,
      );
    }
  }

  private nft(ns: string, args: string[], input?: string): Promise<string> {
    return hostCommand('ip', ['netns', 'exec', ns, 'nft', ...args], input === undefined ? {} : { input });
  }

  private nftRuleset(ns: string): Promise<string> {
    return this.nft(ns, ['-j', 'list', 'ruleset']);
  }

  private journal(entry: Omit<JournalEntry, 'at'>): void {
    appendJournal(this.files.journal, { at: new Date().toISOString(), ...entry });
  }
}

function networkEffectSentence(effect: NetworkEffect, ns: string): string {
  switch (effect.kind) {
    case 'isolate_site':
      return (
        `nftables deny-all installed in ${ns} for spine ${effect.entity}: ` +
        `nothing enters or leaves site ${effect.site} except loopback`
      );
    case 'block_link':
      return effect.entity === effect.vlan
        ? `nftables drop on link ${effect.link} in ${ns}: VLAN ${effect.vlan} of ${effect.site} is cut off, its other links are untouched`
        : `nftables drop on link ${effect.link} in ${ns}: leaf ${effect.entity} and the VLAN it carries (${effect.vlan}) are cut off, the site's other links are untouched`;
    case 'quarantine_node':
      return (
        `nftables drop of traffic to and from ${effect.address} in ${ns}: node ${effect.entity} is cut off, ` +
        `the rest of ${effect.site} is untouched`
      );
  }
}

/**
 * Creates the run directory owner-only, and refuses one that is a symlink, not ours, or writable by
 * others: the control sockets in it accept effects, and the logs are opened for appending.
 */
function prepareRunDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new HallError(
      'E_HALL_CONFIG',
      `run directory ${dir} must be a directory owned by this user and writable by no one else`,
    );
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
