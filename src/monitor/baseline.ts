// A behaviour baseline: an exponentially weighted moving average of a metric over the minutes an agent
// was active, with a floor and a warm-up (docs/monitor.md). Pure: fold a minute in, judge a value.

import type { MonitorParams } from './params.js';

export type Baseline = {
  /** The EWMA of the metric over learned minutes. */
  ewma: number;
  /** How many active minutes were learned. */
  minutes: number;
};

export const NO_BASELINE: Baseline = { ewma: 0, minutes: 0 };

/** The baseline after learning one more active minute whose metric was `value`. */
export function learnMinute(baseline: Baseline, value: number, alpha: number): Baseline {
  const ewma = baseline.minutes === 0 ? value : alpha * value + (1 - alpha) * baseline.ewma;
  return { ewma: Math.round(ewma * 1e6) / 1e6, minutes: baseline.minutes + 1 };
}

export type Level = 'normal' | 'alert' | 'trip';

export interface Assessment {
  level: Level;
  value: number;
  /** The baseline judged against: the floor during warm-up, else max(floor, ewma). */
  baseline: number;
  ratio: number;
  warm: boolean;
}

/** How `value` compares with what the baseline expects. */
export function assess(value: number, baseline: Baseline, floor: number, params: MonitorParams): Assessment {
  const warm = baseline.minutes >= params.warmupMinutes;
  const expected = warm ? Math.max(floor, baseline.ewma) : floor;
  const ratio = value / expected;
  const level: Level = ratio >= params.tripRatio ? 'trip' : ratio >= params.alertRatio ? 'alert' : 'normal';
  return { level, value, baseline: expected, ratio: Math.round(ratio * 1000) / 1000, warm };
}

export function parseBaseline(value: unknown): Baseline | null {
  if (typeof value !== 'object' || value === null) return null;
  const { ewma, minutes } = value as Record<string, unknown>;
  if (typeof ewma !== 'number' || !Number.isFinite(ewma) || ewma < 0) return null;
  if (typeof minutes !== 'number' || !Number.isSafeInteger(minutes) || minutes < 0) return null;
  return { ewma, minutes };
}
