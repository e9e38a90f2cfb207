// Cross-agent correlation (issue 14 item 5, the anti-gaming measure of origins.md §5.2): one agent doing
// something unusual is the behaviour monitor's business; several agents doing the same unusual thing to
// the same target, or acting on the same injected source, within a short window, is coordinated
// manipulation (one poisoned log line read by a fleet). This keeps, per target and per source, which
// agents did an unusual action there and when, in the store, so every instance sees the same fleet.

import type { JsonObject, Store } from '../store/store.js';

export interface CorrelationParams {
  /** Distinct agents within the window at which a target or source is correlated. */
  agents: number;
  /** How far back an unusual action counts. */
  windowMs: number;
  /** How many (tool, target) pairs of each agent's history are remembered (the most recently first seen). */
  historyPairs: number;
  /**
   * Distinct pairs an agent's history must hold before a new one counts as unusual: until then the
   * agent has no baseline to differ from (a fresh agent's every first action is new).
   */
  minHistory: number;
}

export const DEFAULT_CORRELATION_PARAMS: CorrelationParams = {
  agents: 3,
  windowMs: 10 * 60_000,
  historyPairs: 512,
  minHistory: 5,
};

/** The defaults with `override` applied; throws naming the first value out of range. */
export function correlationParams(override: Partial<CorrelationParams> = {}): CorrelationParams {
  const merged = { ...DEFAULT_CORRELATION_PARAMS, ...override };
  for (const [key, value] of Object.entries(merged))
    if (!Number.isSafeInteger(value) || (value as number) < (key === 'minHistory' ? 0 : 1))
      throw new Error(
        `correlation.${key} must be a ${key === 'minHistory' ? 'non-negative' : 'positive'} integer`,
      );
  if (merged.agents < 2) throw new Error('correlation.agents must be at least 2');
  if (merged.minHistory > merged.historyPairs)
    throw new Error('correlation.minHistory must be at most historyPairs');
  return merged;
}

const HISTORY_KIND = 'correlation_history';
const KEY_KIND = 'correlation';
const ATTEMPTS = 8;

/** What an action is, as far as correlation is concerned. */
export interface CorrelatedAction {
  agentId: string;
  tool: string;
  target: string | null;
  /** The action itself: the tool and a hash of its canonical arguments (`<tool>|sha256:<hex>`). */
  action: string;
  /** Ids of the injection-suspected chunks the action cited or its session carried. */
  injectedSources: string[];
  now: number;
}

export interface CorrelationKeyState {
  /** `action:<tool>|<args hash>`, `target:<target>` or `source:<chunk id>`. */
  key: string;
  /** Distinct agents with an unusual action here within the window, and the time of each one's last. */
  agents: Record<string, number>;
  /** When an alert was last raised for this key (one per window). */
  alerted_at: number | null;
}

export interface CorrelationResult {
  /** Why this action is unusual, when it is: `novel_target`, `injected_source`. */
  unusual: string[];
  /** Keys correlated now (at least `agents` distinct agents in the window) that this agent is part of. */
  correlated: CorrelationKeyState[];
  /** Of those, the ones that crossed the threshold with this action or whose last alert is older than the window. */
  alert: CorrelationKeyState[];
}

/**
 * Records one non-observe action and reports the correlated keys it belongs to. An action is unusual
 * when it cites (or its session carries) an injection-suspected chunk, or when the agent has not acted
 * with this tool on this target before. Only unusual actions join a key; an agent already in a
 * correlated key stays in it (its later actions there are correlated too) until its entry leaves the window.
 */
export async function observeCorrelation(
  store: Store,
  params: CorrelationParams,
  action: CorrelatedAction,
): Promise<CorrelationResult> {
  const unusual: string[] = [];
  if (action.injectedSources.length > 0) unusual.push('injected_source');
  if (await firstTimeOnTarget(store, params, action)) unusual.push('novel_target');

  const keys = [
    `action:${action.action}`,
    ...(action.target !== null ? [`target:${action.target}`] : []),
    ...action.injectedSources.slice(0, 16).map((id) => `source:${id}`),
  ];
  const correlated: CorrelationKeyState[] = [];
  const alert: CorrelationKeyState[] = [];
  for (const key of keys) {
    // A source key is joined by citing it; an action or target key by any unusual action on it.
    const joins = key.startsWith('source:') || unusual.length > 0;
    const state = await updateKey(store, params, key, action, joins);
    if (!state || !(action.agentId in state.agents)) continue;
    if (Object.keys(state.agents).length < params.agents) continue;
    correlated.push(state.value);
    if (state.alerted) alert.push(state.value);
  }
  return { unusual, correlated, alert };
}

/**
 * True when the agent's history has no (tool, target) pair like this one (which it then records) and
 * already held at least `minHistory` pairs: something new for an agent with a baseline.
 */
async function firstTimeOnTarget(
  store: Store,
  params: CorrelationParams,
  a: CorrelatedAction,
): Promise<boolean> {
  // Without a declared target, the action itself (tool and arguments) is what is new or not.
  const pair = a.target !== null ? `${a.tool}|${a.target}` : a.action;
  const at = new Date(a.now).toISOString();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await store.getState(HISTORY_KIND, a.agentId);
    const pairs = { ...((found?.value.pairs as Record<string, number> | undefined) ?? {}) };
    // A pair already seen is not written again: the common case (an agent's usual work) costs one read.
    if (pair in pairs) return false;
    const baseline = Object.keys(pairs).length >= params.minHistory;
    pairs[pair] = a.now;
    const kept = Object.entries(pairs)
      .sort((x, y) => y[1] - x[1])
      .slice(0, params.historyPairs);
    if (
      await store.putState(
        HISTORY_KIND,
        a.agentId,
        { pairs: Object.fromEntries(kept) },
        found?.version ?? 0,
        at,
      )
    )
      return baseline;
  }
  // The history could not be written: counted as unusual, the stricter reading.
  return true;
}

async function updateKey(
  store: Store,
  params: CorrelationParams,
  key: string,
  a: CorrelatedAction,
  joins: boolean,
): Promise<{ value: CorrelationKeyState; agents: Record<string, number>; alerted: boolean } | null> {
  const at = new Date(a.now).toISOString();
  const since = a.now - params.windowMs;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await store.getState(KEY_KIND, key);
    const before = (found?.value as unknown as CorrelationKeyState | undefined) ?? {
      key,
      agents: {},
      alerted_at: null,
    };
    const agents: Record<string, number> = {};
    for (const [agent, last] of Object.entries(before.agents)) if (last > since) agents[agent] = last;
    // Only an unusual action writes: an agent's membership lasts a window from its last unusual action.
    if (!joins) return { value: { ...before, agents }, agents, alerted: false };
    agents[a.agentId] = a.now;
    const reached = Object.keys(agents).length >= params.agents;
    const alerted = reached && (before.alerted_at === null || before.alerted_at <= since);
    const value: CorrelationKeyState = { key, agents, alerted_at: alerted ? a.now : before.alerted_at };
    if (await store.putState(KEY_KIND, key, value as unknown as JsonObject, found?.version ?? 0, at))
      return { value, agents, alerted };
  }
  // Concurrent writers kept winning: the key is taken as correlated with this agent in it, the stricter reading.
  const agents = { [a.agentId]: a.now };
  for (let i = 1; i < params.agents; i++) agents[`(unrecorded ${i})`] = a.now;
  return { value: { key, agents, alerted_at: null }, agents, alerted: false };
}
