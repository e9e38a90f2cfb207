// The one API of a data hall, real (network namespaces, nftables, processes) or simulated (in-process
// state). The executor and the CLI see only this, so the two halls are interchangeable, and every
// result says which one produced it (`simulated`, and a label starting REAL or SIMULATED).

import type { HallEffect } from './effect_plan.js';
import type { HallTopology } from './topology.js';

export type HallKind = 'netns' | 'simulated';

export interface DataHall {
  readonly kind: HallKind;
  readonly simulated: boolean;
  /** Why this hall is simulated (for a simulated hall), in one sentence. */
  readonly simulatedReason?: string;
  readonly prefix: string;
  readonly topology: HallTopology;
  /** Builds the hall, or reuses it when it is already up and healthy with the same layout. Idempotent. */
  up(): Promise<HallStatus>;
  /** Removes everything the hall's prefix names. Idempotent; works from a fresh process after a crash. */
  down(): Promise<TeardownReport>;
  status(): Promise<HallStatus>;
  /** Removes every effect Carapace installed in `site` (default: every site). */
  heal(site?: string): Promise<HealReport>;
  /** Applies one planned effect; rejects (E_HALL_EFFECT, E_HALL_NOT_UP) rather than report a change that did not happen. */
  apply(effect: HallEffect): Promise<AppliedEffect>;
  /** One probe from inside site `from` to `target` (default: the spine service) of site `to`, now. */
  probe(from: string, to: string, target?: string): Promise<ProbeResult>;
  /** What site `site`'s canary has seen: the latest result per target and the changes. */
  canary(site: string): Promise<CanaryReport>;
}

export interface AppliedEffect {
  simulated: boolean;
  /** ISO 8601, when the change was in force. */
  applied_at: string;
  /** One sentence a person reads; starts with "SIMULATED:" when nothing real changed. */
  effect: string;
  details: Record<string, unknown>;
}

export interface ProbeResult {
  simulated: boolean;
  from: string;
  to: string;
  target: string;
  address: string;
  port: number;
  reachable: boolean;
  checked_at: string;
  latency_ms: number;
  /** What answered (the id the service names for the address), when something did. */
  answered_by?: string;
  error?: string;
}

export interface CanaryResult {
  site: string;
  target: string;
  kind: string;
  address: string;
  port: number;
  reachable: boolean;
  /** ISO 8601, when the probe started. */
  checked_at: string;
  latency_ms: number;
  round: number;
  error?: string;
}

export interface CanaryChange {
  at: string;
  round: number;
  site: string;
  target: string;
  reachable: boolean;
  error?: string;
}

export interface CanaryReport {
  simulated: boolean;
  site: string;
  interval_ms: number;
  round: number;
  last_round_at: string | null;
  results: CanaryResult[];
  /** Each change of a target's reachability (the first result of each target counts as one). */
  changes: CanaryChange[];
}

export interface SiteStatus {
  site: string;
  namespace: string;
  address: string;
  /** The site's agent answers (netns), or the simulated site exists. */
  up: boolean;
  pid: number | null;
  workloads: { name: string; port: number; pid: number | null; ready: boolean; starts: number }[];
  /** The nftables chains Carapace installed in the site: the effects in force there. */
  carapace_chains: string[];
  canary: { round: number; last_round_at: string | null; reachable: number; unreachable: string[] } | null;
  error?: string;
}

export interface HallStatus {
  kind: HallKind;
  simulated: boolean;
  /** One sentence saying what is real: "REAL: …" or "SIMULATED: …". */
  label: string;
  prefix: string;
  up: boolean;
  /** True when up() found a healthy hall and kept it. */
  reused?: boolean;
  subnet: string;
  run_dir: string | null;
  probe_interval_ms: number;
  sites: SiteStatus[];
  /** The latest effects applied (and heals), newest last. */
  journal: JournalEntry[];
}

export interface JournalEntry {
  at: string;
  tool: string;
  site: string;
  entity: string;
  kind: string;
  simulated: boolean;
  effect: string;
}

export interface TeardownReport {
  simulated: boolean;
  label: string;
  prefix: string;
  removed_namespaces: string[];
  stopped_pids: number[];
  removed_files: string[];
  /** True when there was nothing left to remove. */
  already_down: boolean;
}

export interface HealReport {
  simulated: boolean;
  label: string;
  healed: { site: string; removed_chains: string[] }[];
}
