// The behaviour monitor's numbers (docs/monitor.md has the formulas): one object, defaults here, and
// a checked partial override from the operator's configuration.

export interface MonitorParams {
  /** The sliding window an agent's current rate and shares are measured over. */
  windowMs: number;
  /** The window's resolution: counts are kept per bucket of this length. */
  bucketMs: number;
  /** EWMA weight of the newest completed minute: b ← α·x + (1 − α)·b. */
  alpha: number;
  /** Active minutes before a learned baseline is used; until then the floor is the baseline. */
  warmupMinutes: number;
  /** The least baseline of each metric, so a tiny baseline does not make every burst an anomaly. */
  floors: { rate: number; tool_rate: number; deny_share: number; destructive_share: number };
  /** current / baseline at or above which an alert is raised. */
  alertRatio: number;
  /** current / baseline at or above which the agent's circuit breaker opens. */
  tripRatio: number;
  /** The shares are judged only over at least this many actions in the window. */
  minShareSamples: number;
  /** More distinct sessions than this within `windowMs` reset the agent's behaviour score. */
  contextSwitch: { sessions: number; windowMs: number };
  /** At most one alert per agent, metric and key within this time. */
  alertEveryMs: number;
}

export const DEFAULT_MONITOR_PARAMS: MonitorParams = {
  windowMs: 60_000,
  bucketMs: 5_000,
  alpha: 0.2,
  warmupMinutes: 5,
  floors: { rate: 10, tool_rate: 10, deny_share: 0.05, destructive_share: 0.05 },
  alertRatio: 3,
  tripRatio: 10,
  minShareSamples: 10,
  contextSwitch: { sessions: 10, windowMs: 60_000 },
  alertEveryMs: 60_000,
};

/** The defaults with `override` applied; throws naming the first value that is not a positive number. */
export function monitorParams(override: unknown = {}): MonitorParams {
  const merged = mergeChecked(DEFAULT_MONITOR_PARAMS, override, 'monitor') as MonitorParams;
  if (merged.windowMs % merged.bucketMs !== 0)
    throw new Error('monitor.windowMs must be a multiple of bucketMs');
  if (merged.alpha > 1) throw new Error('monitor.alpha must be at most 1');
  if (merged.tripRatio < merged.alertRatio) throw new Error('monitor.tripRatio must be at least alertRatio');
  return merged;
}

function mergeChecked(base: unknown, override: unknown, path: string): unknown {
  if (typeof base === 'number') {
    if (override === undefined) return base;
    if (typeof override !== 'number' || !Number.isFinite(override) || override <= 0)
      throw new Error(`${path} must be a positive number`);
    return override;
  }
  const b = base as Record<string, unknown>;
  if (override === undefined) return b;
  if (typeof override !== 'object' || override === null || Array.isArray(override))
    throw new Error(`${path} must be an object`);
  const o = override as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!(key in b)) throw new Error(`${path}.${key} is not a setting`);
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, mergeChecked(v, o[k], `${path}.${k}`)]));
}
