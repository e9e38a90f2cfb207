// Watches what each agent does (DESIGN.md §8): its action rate, per tool too, its share of denied and
// of destructive actions, each against a learned baseline. At 3× an alert, at 10× the agent's circuit
// breaker opens. Windows live in memory per instance; baselines and breakers live in the store, so they
// survive restarts and every instance sees an open breaker. The caller records what it returns.

import type { Store } from '../store/store.js';
import {
  assess,
  type Assessment,
  type Baseline,
  learnMinute,
  NO_BASELINE,
  parseBaseline,
} from './baseline.js';
import { BREAKER_KIND, type BreakerState, parseBreaker } from './breaker.js';
import { DEFAULT_MONITOR_PARAMS, type MonitorParams } from './params.js';
import { SlidingCounts, type Tally } from './sliding_counts.js';

export const BASELINE_KIND = 'baseline';
const MINUTE = 60_000;
type Metric = 'rate' | 'deny_share' | 'destructive_share';

export interface Observation {
  agentId: string;
  tool: string;
  session: string | null;
  /** The final decision of the action. */
  decision: string;
  detectedIntent: string;
  now: number;
}

export interface Finding extends Assessment {
  metric: Metric;
  /** `agent` for the agent as a whole, or the tool's name. */
  scope: string;
}

export interface ObservationResult {
  /** Metrics at or above the alert ratio (not repeated within alertEveryMs). */
  alerts: Finding[];
  /** The finding that opened the breaker, when this action opened it. */
  tripped: Finding | null;
  /** The agent switched between more sessions than allowed: its behaviour score resets. */
  contextReset: { sessions: number } | null;
}

interface KeyState {
  baselines: Record<Metric, Baseline>;
  version: number;
  minute: number;
  tally: Tally;
  /** The current minute raised an alert: it is not learned. */
  flagged: boolean;
}

export class BehaviourMonitor {
  private readonly counts: SlidingCounts;
  private readonly keys = new Map<string, Promise<KeyState>>();
  private readonly lastAlert = new Map<string, number>();
  private readonly sessions = new Map<string, { id: string; at: number }[]>();

  constructor(
    private readonly store: Store,
    readonly params: MonitorParams = DEFAULT_MONITOR_PARAMS,
  ) {
    this.counts = new SlidingCounts(params.windowMs, params.bucketMs);
  }

  /** Counts one decided action and judges the agent's behaviour with it included. */
  async observe(o: Observation): Promise<ObservationResult> {
    const add: Tally = {
      actions: 1,
      denied: o.decision === 'DENY' || o.decision === 'QUARANTINE' ? 1 : 0,
      destructive: o.detectedIntent === 'remediate_destructive' ? 1 : 0,
    };
    const agentKey = `agent:${o.agentId}`;
    const toolKey = `tool:${o.agentId}|${o.tool}`;
    const findings: Finding[] = [];
    for (const [key, scope, floor] of [
      [agentKey, 'agent', this.params.floors.rate],
      [toolKey, o.tool, this.params.floors.tool_rate],
    ] as const) {
      const state = await this.keyState(key);
      await this.rollMinute(key, state, o.now);
      state.tally = sumTally(state.tally, add);
      const window = this.counts.add(key, o.now, add);
      const judged: Finding[] = [
        { ...assess(window.actions, state.baselines.rate, floor, this.params), metric: 'rate', scope },
      ];
      if (scope === 'agent' && window.actions >= this.params.minShareSamples) {
        // Shares are judged against a learned baseline only: in warm-up there is none to compare with.
        for (const [metric, value] of [
          ['deny_share', window.denied / window.actions],
          ['destructive_share', window.destructive / window.actions],
        ] as const) {
          const a = assess(value, state.baselines[metric], this.params.floors[metric], this.params);
          if (a.warm) judged.push({ ...a, metric, scope });
        }
      }
      const raised = judged.filter((f) => f.level !== 'normal');
      if (raised.length > 0) state.flagged = true;
      findings.push(...raised);
    }

    const tripped = findings.find((f) => f.level === 'trip') ?? null;
    if (tripped) await this.openBreaker(o.agentId, tripped, o.now);
    const alerts = findings.filter((f) => {
      const key = `${o.agentId}|${f.metric}|${f.scope}`;
      const last = this.lastAlert.get(key);
      if (last !== undefined && o.now - last < this.params.alertEveryMs) return false;
      this.lastAlert.set(key, o.now);
      return true;
    });
    return { alerts, tripped, contextReset: this.noteSession(o) };
  }

  /** The agent's breaker, or null when it never opened. */
  async breaker(agentId: string): Promise<BreakerState | null> {
    const record = await this.store.getState(BREAKER_KIND, agentId);
    return record === null ? null : parseBreaker(record.value);
  }

  /** Closes the agent's breaker; false when it was not open. Its windows here start again from zero. */
  async closeBreaker(agentId: string, by: string, now: number): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.store.getState(BREAKER_KIND, agentId);
      if (record === null || !parseBreaker(record.value).open) return false;
      const closed: BreakerState = {
        ...parseBreaker(record.value),
        open: false,
        closed_at: iso(now),
        closed_by: by,
      };
      if (await this.store.putState(BREAKER_KIND, agentId, { ...closed }, record.version, iso(now))) {
        this.counts.forget(`agent:${agentId}`);
        this.counts.forget(`tool:${agentId}|`);
        return true;
      }
    }
    throw new Error(`the breaker of ${agentId} kept changing while it was being closed`);
  }

  private async openBreaker(agentId: string, finding: Finding, now: number): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.store.getState(BREAKER_KIND, agentId);
      if (record !== null && parseBreaker(record.value).open) return;
      const open: BreakerState = {
        open: true,
        opened_at: iso(now),
        reason: {
          metric: finding.metric,
          scope: finding.scope,
          value: finding.value,
          baseline: finding.baseline,
          ratio: finding.ratio,
        },
        closed_at: null,
        closed_by: null,
      };
      if (await this.store.putState(BREAKER_KIND, agentId, { ...open }, record?.version ?? 0, iso(now)))
        return;
    }
    throw new Error(`the breaker of ${agentId} kept changing while it was being opened`);
  }

  private keyState(key: string): Promise<KeyState> {
    let state = this.keys.get(key);
    if (!state) {
      state = this.store.getState(BASELINE_KIND, key).then((record) => ({
        baselines: readBaselines(record?.value),
        version: record?.version ?? 0,
        minute: -1,
        tally: { actions: 0, denied: 0, destructive: 0 },
        flagged: false,
      }));
      state.catch(() => this.keys.delete(key));
      this.keys.set(key, state);
    }
    return state;
  }

  /** When `now` is in a later minute, learns the last active minute (unless it alerted) and stores it. */
  private async rollMinute(key: string, state: KeyState, now: number): Promise<void> {
    const minute = Math.floor(now / MINUTE);
    if (minute <= state.minute) return;
    const { tally, flagged } = state;
    state.minute = minute;
    state.tally = { actions: 0, denied: 0, destructive: 0 };
    state.flagged = false;
    if (tally.actions === 0 || flagged) return;
    const learn = (b: Record<Metric, Baseline>): Record<Metric, Baseline> => ({
      rate: learnMinute(b.rate, tally.actions, this.params.alpha),
      deny_share: learnMinute(b.deny_share, tally.denied / tally.actions, this.params.alpha),
      destructive_share: learnMinute(
        b.destructive_share,
        tally.destructive / tally.actions,
        this.params.alpha,
      ),
    });
    state.baselines = learn(state.baselines);
    // Another instance may have learned minutes of its own: on a conflict, learn this one into its record.
    for (let attempt = 0; attempt < 3; attempt++) {
      const written = await this.store.putState(
        BASELINE_KIND,
        key,
        { ...state.baselines },
        state.version,
        iso(now),
      );
      if (written) {
        state.version = written.version;
        return;
      }
      const stored = await this.store.getState(BASELINE_KIND, key);
      state.version = stored?.version ?? 0;
      state.baselines = learn(readBaselines(stored?.value));
    }
  }

  private noteSession(o: Observation): { sessions: number } | null {
    if (o.session === null) return null;
    const { sessions, windowMs } = this.params.contextSwitch;
    const seen = (this.sessions.get(o.agentId) ?? []).filter(
      (s) => o.now - s.at < windowMs && s.id !== o.session,
    );
    seen.push({ id: o.session, at: o.now });
    if (seen.length > sessions) {
      this.sessions.delete(o.agentId);
      return { sessions: seen.length };
    }
    this.sessions.set(o.agentId, seen);
    return null;
  }

  /** Drops memory of agents idle for a window. */
  prune(now: number): void {
    this.counts.prune(now);
    for (const [key, at] of this.lastAlert)
      if (now - at >= this.params.alertEveryMs) this.lastAlert.delete(key);
    for (const [agent, list] of this.sessions) {
      const live = list.filter((s) => now - s.at < this.params.contextSwitch.windowMs);
      if (live.length === 0) this.sessions.delete(agent);
      else this.sessions.set(agent, live);
    }
  }
}

function readBaselines(value: unknown): Record<Metric, Baseline> {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    rate: parseBaseline(v.rate) ?? NO_BASELINE,
    deny_share: parseBaseline(v.deny_share) ?? NO_BASELINE,
    destructive_share: parseBaseline(v.destructive_share) ?? NO_BASELINE,
  };
}

function sumTally(a: Tally, b: Tally): Tally {
  return {
    actions: a.actions + b.actions,
    denied: a.denied + b.denied,
    destructive: a.destructive + b.destructive,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
