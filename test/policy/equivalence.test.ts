// YAML and English are two spellings of one model: random rule sets written both ways compile to the
// same rules (equal rules_hash), and so to the same verdicts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type CompiledPolicy,
  compilePolicy,
  evaluatePolicy,
  type PolicyInput,
  requiredCounters,
  TRUST_TIERS,
} from '../../src/policy/index.js';

const TOOL = fc.constantFrom('alpha', 'bravo', 'charlie');
const TOOLS = fc.uniqueArray(TOOL, { minLength: 1, maxLength: 3 });
const english = (tools: string[]) =>
  tools.length === 1 ? (tools[0] as string) : `${tools.slice(0, -1).join(', ')} and ${tools.at(-1)}`;

/** One rule as [English sentence, YAML section, YAML entry]. */
type Written = [sentence: string, section: string, entry: unknown];

const rule: fc.Arbitrary<Written> = fc.oneof(
  TOOLS.map((t): Written => [`Never allow ${english(t)}.`, 'deny', t]),
  TOOLS.map((t): Written => [`Require human review for ${english(t)}.`, 'review', t]),
  fc
    .tuple(TOOLS, fc.constantFrom(...TRUST_TIERS))
    .map(([t, tier]): Written => [
      `Agents below ${tier} may not call ${english(t)}.`,
      'min_tier',
      { tools: t, tier },
    ]),
  fc
    .tuple(
      TOOLS,
      fc.integer({ min: 0, max: 1000 }),
      fc.constantFrom(['minute', 60], ['hour', 3600], ['day', 86400]),
      fc.constantFrom(['per agent', 'agent'], ['per tool', 'tool'], ['in total', 'global']),
    )
    .map(([t, n, [unit, seconds], [scope, per]]): Written => [
      `Limit ${english(t)} to ${n} calls per ${unit} ${scope}.`,
      'rate_limits',
      { tools: t, max_calls: n, window_seconds: seconds, per },
    ]),
  fc
    .tuple(
      TOOLS,
      fc.constantFrom(['08:00', '12:00'], ['09:30', '16:00']),
      fc.constantFrom('UTC', 'America/New_York', 'Europe/Paris'),
    )
    .map(([t, [start, end], zone]): Written => [
      `Only allow ${english(t)} between ${start} and ${end} ${zone} on weekdays.`,
      'windows',
      { tools: t, zone, days: ['mon', 'tue', 'wed', 'thu', 'fri'], start, end },
    ]),
  fc
    .tuple(
      TOOLS,
      fc.constantFrom('Redact', 'Deny', 'Allow'),
      fc.constantFrom('input', 'output'),
      fc.constantFrom(['PII', 'PII'], ['secrets', 'SECRET'], ['credit card numbers', 'CREDIT_CARD']),
    )
    .map(([t, action, direction, [phrase, type]]): Written => [
      `${action} ${phrase} in the ${direction} of ${english(t)}.`,
      'data',
      { tools: t, direction, types: [type], action: action.toLowerCase() },
    ]),
  fc
    .tuple(TOOLS, fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 50 }))
    .map(([t, lo, span]): Written => [
      `Require argument n of ${english(t)} to be between ${lo} and ${lo + span}.`,
      'arguments',
      { tools: t, arg: 'n', minimum: lo, maximum: lo + span },
    ]),
  TOOLS.map((t): Written => [
    `Allow ${english(t)} only for domains ending in .example.org.`,
    'domains',
    { tools: t, allow: ['.example.org'] },
  ]),
);

test('random rule sets written in English and in YAML compile to the same rules', () => {
  fc.assert(
    fc.property(fc.array(rule, { minLength: 1, maxLength: 10 }), (rules) => {
      const text = rules.map(([s]) => s).join('\n');
      const data: Record<string, unknown> = { name: 'p' };
      const tools: Record<string, string[]> = {};
      for (const [, section, entry] of rules) {
        if (section === 'deny' || section === 'review')
          tools[section] = [...(tools[section] ?? []), ...(entry as string[])];
        else data[section] = [...((data[section] as unknown[]) ?? []), entry];
      }
      if (Object.keys(tools).length > 0) data.tools = tools;
      const e = compilePolicy({ format: 'english', text, name: 'p' });
      const y = compilePolicy({ format: 'data', data });
      assert.ok(e.ok, JSON.stringify(!e.ok && e.errors));
      assert.ok(y.ok, JSON.stringify(!y.ok && y.errors));
      assert.equal(e.value.rules_hash, y.value.rules_hash);
      for (const tool of ['alpha', 'bravo', 'charlie'])
        for (const n of [-60, 0, 60]) {
          const i = (p: CompiledPolicy): PolicyInput => ({
            tool,
            args: { n, url: 'https://www.example.org/' },
            agent: 'x',
            role: null,
            tier: 'T3',
            now_ms: Date.UTC(2026, 0, 5, 15, 0),
            counters: Object.fromEntries(requiredCounters(p, tool, 'x').map((c) => [c.key, 3])),
            findings: { input: { types: ['CREDIT_CARD'] } },
          });
          assert.equal(
            evaluatePolicy(e.value, i(e.value)).decision,
            evaluatePolicy(y.value, i(y.value)).decision,
          );
        }
    }),
    { numRuns: 300 },
  );
});
