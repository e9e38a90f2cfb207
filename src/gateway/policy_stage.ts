// The policy stage of the pipeline (DESIGN.md §1, §7): the operator's policy, loaded from a file and
// reloaded when it changes (or given compiled, in process), evaluated for each proposed action with
// counters from the store. Its verdict only tightens the engine's. A policy that does not compile never
// replaces the one in force.

import { type FSWatcher, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { findingTypes } from '../inspect/findings.js';
import {
  type CompiledPolicy,
  type CounterObligation,
  evaluatePolicy,
  findingsNeeded,
  type PolicyError,
  type PolicyResult,
  type PolicyVerdict,
  requiredCounters,
} from '../policy/index.js';
import { compilePolicyFile } from '../policy/files.js';
import type { AuditLog } from '../audit/log.js';
import type { Principal, Store, TrustTier } from '../store/store.js';

/** One policy that was in force, for GET /v1/policy and the console. */
export interface PolicyLoad {
  hash: string;
  name: string;
  rules: number;
  loaded_at: string;
  audit_seq: number;
}

export type ReloadOutcome =
  | { outcome: 'loaded'; hash: string; previous: string | null }
  | { outcome: 'unchanged'; hash: string }
  | { outcome: 'refused'; errors: PolicyError[]; in_force: string | null };

const HISTORY = 32;

/** Where the policy comes from: a file (compiled at each reload), or a policy compiled in process. */
export type PolicySource = { file: string } | { compiled: CompiledPolicy };

/**
 * The policy in force and where it comes from. Every change, and every refused change, is an audit
 * entry naming the old and new hash.
 */
export class PolicyRuntime {
  private policy: CompiledPolicy | null = null;
  private readonly loads: PolicyLoad[] = [];
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reloading: Promise<ReloadOutcome> | null = null;
  private again = false;
  private readonly loadedListeners = new Set<(hash: string) => void>();
  /** The policy file; null for a policy given compiled, which never changes. */
  readonly path: string | null;

  constructor(
    private readonly source: PolicySource,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {
    this.path = 'file' in source ? source.file : null;
  }

  /** The compiled policy in force; null before the first successful load. */
  get current(): CompiledPolicy | null {
    return this.policy;
  }

  get history(): readonly PolicyLoad[] {
    return this.loads;
  }

  /** Compiles the file again; replaces the policy in force only when it compiles and says something new. */
  reload(): Promise<ReloadOutcome> {
    // One reload at a time; a change seen during a reload triggers exactly one more.
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    const run = async (): Promise<ReloadOutcome> => {
      try {
        let outcome: ReloadOutcome;
        do {
          this.again = false;
          outcome = await this.compileAndSwap();
        } while (this.again);
        return outcome;
      } finally {
        this.reloading = null;
      }
    };
    this.reloading = run();
    return this.reloading;
  }

  private async compileAndSwap(): Promise<ReloadOutcome> {
    const compiled: PolicyResult<CompiledPolicy> =
      'file' in this.source ? compilePolicyFile(this.source.file) : { ok: true, value: this.source.compiled };
    const previous = this.policy?.hash ?? null;
    if (!compiled.ok) {
      await this.audit.append('policy.refused', {
        path: this.path,
        in_force: previous,
        errors: compiled.errors.slice(0, 16),
      });
      return { outcome: 'refused', errors: compiled.errors, in_force: previous };
    }
    const policy = compiled.value;
    if (policy.hash === previous) return { outcome: 'unchanged', hash: policy.hash };
    const rules = policy.layers.reduce((n, l) => n + l.rules.length, 0);
    // Durable before it takes effect: no decision cites a policy the log has not recorded.
    const entry = await this.audit.append('policy.loaded', {
      path: this.path,
      old_hash: previous,
      new_hash: policy.hash,
      name: policy.name,
      rules_hash: policy.rules_hash,
      rules,
    });
    this.policy = policy;
    this.loads.unshift({
      hash: policy.hash,
      name: policy.name,
      rules,
      loaded_at: new Date(this.now()).toISOString(),
      audit_seq: entry.seq,
    });
    this.loads.length = Math.min(this.loads.length, HISTORY);
    for (const listener of this.loadedListeners)
      try {
        listener(policy.hash);
      } catch {
        // The policy is in force whatever a listener does with the news.
      }
    return { outcome: 'loaded', hash: policy.hash, previous };
  }

  /** Calls `listener` each time a new policy takes effect (other instances are told: cluster.ts). */
  onLoaded(listener: (hash: string) => void): () => void {
    this.loadedListeners.add(listener);
    return () => this.loadedListeners.delete(listener);
  }

  /**
   * Reloads when anything in the policy's folder changes (editors replace files, and bases named by
   * `extends` live beside it). Changes are coalesced for `debounceMs`. A compiled policy is not watched.
   */
  watch(debounceMs = 100): void {
    if (this.watcher || this.path === null) return;
    this.watcher = watch(dirname(resolve(this.path)), { persistent: false }, () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.reload().catch(() => {
          // The audit log refused the entry: the policy in force stays, and the next change retries.
        });
      }, debounceMs);
      this.timer.unref();
    });
    this.watcher.on('error', () => this.watcher?.close());
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.reloading?.catch(() => {});
  }
}

/** Costs are counted in millionths so budgets of 0.01 per call add up exactly in integer counters. */
const COST_SCALE = 1_000_000;

/**
 * Sliding windows over fixed buckets: a window of W ms is counted in buckets of W/10, and the sum
 * includes the whole oldest bucket the window touches. A limit can bite up to a tenth of a window
 * early, never late.
 */
function bucketMs(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / 10));
}

function bucketStart(ms: number, size: number): string {
  return new Date(Math.floor(ms / size) * size).toISOString();
}

function scaleOf(key: string): number {
  return key.startsWith('cost:') ? COST_SCALE : 1;
}

export interface PolicyStage {
  verdict: PolicyVerdict;
  /** What the verdict read: counter values, the agent's tier and the time, so it can be replayed. */
  input: { now_ms: number; tier: string; agent: string; role: string; counters: Record<string, number> };
}

/** Evaluates the policy in force for one proposed action; never throws (a failure is a DENY verdict). */
export async function evaluatePolicyStage(
  store: Store,
  policy: CompiledPolicy,
  agent: Principal,
  /** The tier the agent acts at (certified, lowered by its behaviour). */
  tier: TrustTier,
  tool: string,
  args: Record<string, unknown>,
  nowMs: number,
): Promise<PolicyStage> {
  const counters: Record<string, number> = {};
  const base = {
    now_ms: nowMs,
    tier,
    agent: agent.name,
    role: agent.role,
  };
  try {
    for (const c of requiredCounters(policy, tool, agent.name)) {
      const size = bucketMs(c.window_ms);
      const since = bucketStart(nowMs - c.window_ms, size);
      counters[c.key] = (await store.sumCounter(c.key, since)) / scaleOf(c.key);
    }
  } catch (e) {
    const reason = `the policy's counters could not be read: ${(e as Error).message}`;
    return {
      verdict: {
        decision: 'DENY',
        fired: [{ rule: 'policy:error', layer: null, decision: 'DENY', reason, source: null }],
        policy_hash: policy.hash,
        obligations: {
          counters: [],
          redact: { input: [], output: [] },
          deny_output_types: [],
          max_output_bytes: null,
          output_schemas: [],
        },
      },
      input: { ...base, counters },
    };
  }
  let findings: { input?: { types: string[] } } = {};
  if (findingsNeeded(policy, tool).input) {
    try {
      findings = { input: { types: findingTypes(args) } };
    } catch {
      findings = {}; // unscannable: every rule that needs the findings denies
    }
  }
  const verdict = evaluatePolicy(policy, {
    tool,
    args,
    agent: agent.name,
    role: agent.role,
    tier,
    now_ms: nowMs,
    counters,
    findings,
  });
  return { verdict, input: { ...base, counters } };
}

/**
 * Adds what an allowed action spends to its windows, and checks each window again after adding, so
 * concurrent requests (here or on another instance sharing the store) can never together pass a limit.
 * On a window over its limit every addition is taken back and the rule is returned.
 */
export async function spendCounters(
  store: Store,
  obligations: readonly CounterObligation[],
  nowMs: number,
): Promise<{ rule: string; reason: string } | null> {
  const done: { key: string; start: string; amount: number }[] = [];
  let over: { rule: string; reason: string } | null = null;
  try {
    for (const o of obligations) {
      const scale = scaleOf(o.key);
      const amount = Math.round(o.amount * scale);
      const size = bucketMs(o.window_ms);
      const start = bucketStart(nowMs, size);
      await store.incrementCounter(o.key, start, amount);
      done.push({ key: o.key, start, amount });
      const total = await store.sumCounter(o.key, bucketStart(nowMs - o.window_ms, size));
      if (total > Math.round(o.limit * scale)) {
        over = {
          rule: o.rule,
          reason: `the limit of ${o.limit} in ${o.window_ms / 1000} s was reached by concurrent requests`,
        };
        break;
      }
    }
  } catch (e) {
    over = {
      rule: 'policy:error',
      reason: `the policy's counters could not be updated: ${(e as Error).message}`,
    };
  }
  if (over)
    for (const d of done.reverse())
      await store.incrementCounter(d.key, d.start, -d.amount).catch(() => {
        // Left counted: a limit may bite early, never late.
      });
  return over;
}

/** The policy stage as a response shows it: the hash, the verdict and each fired rule with its source. */
export function policySummary(stage: PolicyStage): {
  hash: string;
  decision: string;
  fired: { rule: string; decision: string; reason: string; source: unknown }[];
} {
  return {
    hash: stage.verdict.policy_hash,
    decision: stage.verdict.decision,
    fired: stage.verdict.fired.map(({ rule, decision, reason, source }) => ({
      rule,
      decision,
      reason,
      source,
    })),
  };
}

/** Drops counter buckets older than any window of the policy can reach. */
export async function pruneOldCounters(store: Store, policy: CompiledPolicy, nowMs: number): Promise<number> {
  let longest = 0;
  for (const layer of policy.layers)
    for (const rule of layer.rules) {
      if (rule.kind === 'rate_limit') longest = Math.max(longest, rule.window_seconds * 1000);
      if (rule.kind === 'budget') longest = Math.max(longest, rule.period_seconds * 1000);
    }
  const horizon = nowMs - 2 * Math.max(longest, 60_000);
  return store.pruneCounters(new Date(horizon).toISOString());
}
