// An agent's circuit breaker as stored: open means every action but observation is refused (rule
// BREAKER) until an admin closes it. Kept in the store so it holds across restarts and instances.

import type { JsonObject } from '../store/store.js';

export interface BreakerState {
  open: boolean;
  opened_at: string | null;
  /** What tripped it: the metric, the window's value, the baseline and their ratio. */
  reason: JsonObject | null;
  closed_at: string | null;
  closed_by: string | null;
}

export const BREAKER_KIND = 'breaker';

/** A stored breaker, or an open one when the record is damaged (fail closed). */
export function parseBreaker(value: unknown): BreakerState {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v.open !== 'boolean')
    return { open: true, opened_at: null, reason: { damaged: true }, closed_at: null, closed_by: null };
  const text = (x: unknown) => (typeof x === 'string' ? x : null);
  return {
    open: v.open,
    opened_at: text(v.opened_at),
    reason: typeof v.reason === 'object' && v.reason !== null ? (v.reason as JsonObject) : null,
    closed_at: text(v.closed_at),
    closed_by: text(v.closed_by),
  };
}
