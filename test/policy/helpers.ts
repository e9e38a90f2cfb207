// Shared test helpers: compile or fail loudly, and a baseline evaluation input to vary.

import assert from 'node:assert/strict';
import {
  type CompiledPolicy,
  compilePolicy,
  type PolicyInput,
  type PolicyText,
} from '../../src/policy/index.js';

export function compiled(src: PolicyText, resolve?: (name: string) => PolicyText | null): CompiledPolicy {
  const r = compilePolicy(src, resolve ? { resolve } : {});
  if (!r.ok) assert.fail(`does not compile: ${JSON.stringify(r.errors, null, 2)}`);
  return r.value;
}

export function english(text: string, name?: string): CompiledPolicy {
  return compiled(name === undefined ? { format: 'english', text } : { format: 'english', text, name });
}

export function yaml(text: string): CompiledPolicy {
  return compiled({ format: 'yaml', text });
}

/** Monday 5 January 2026, 15:00 UTC = 10:00 in New York. */
export const MONDAY_10_NY = Date.UTC(2026, 0, 5, 15, 0);

export function input(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    tool: 'get_telemetry',
    args: { target: 'node-sj-01-01' },
    agent: 'ops-bot',
    role: 'operator',
    tier: 'T4',
    now_ms: MONDAY_10_NY,
    counters: {},
    findings: { input: { types: [] }, output: { types: [] } },
    ...overrides,
  };
}
