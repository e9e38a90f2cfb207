// The YAML form: strict (unknown fields refused, with their line), lowered to the same rules as English,
// layered with `extends`, and described by the published JSON Schema.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy, POLICY_JSON_SCHEMA, type PolicyText } from '../../src/policy/index.js';
import { compiled, english, yaml } from './helpers.js';

const YAML_POLICY = `
name: ops
tools:
  deny: [execute_shell]
  review: [isolate_vlan]
windows:
  - tools: [place_trade]
    zone: America/New_York
    days: weekdays
    start: "09:30"
    end: "16:00"
rate_limits:
  - { tools: [send_email], max_calls: 10, window_seconds: 3600, per: agent }
min_tier:
  - { tools: [restart_workload], tier: T3 }
data:
  - { tools: [search_web], direction: output, types: [PII], action: redact }
  - { tools: ["*"], direction: input, types: [CREDIT_CARD], action: deny }
domains:
  - { tools: [fetch_url], allow: [.wikipedia.org] }
`;

const ENGLISH_POLICY = `This policy is called ops.
Never allow execute_shell.
Require human review for isolate_vlan.
Only allow place_trade between 09:30 and 16:00 America/New_York on weekdays.
Limit send_email to 10 calls per hour per agent.
Agents below T3 may not call restart_workload.
Redact PII in the output of search_web.
Deny any action whose arguments contain a credit card number.
Allow fetch_url only for domains ending in .wikipedia.org.
`;

test('YAML and English saying the same thing compile to the same rules (same rules_hash)', () => {
  const y = yaml(YAML_POLICY);
  const e = english(ENGLISH_POLICY);
  assert.equal(y.rules_hash, e.rules_hash);
  assert.notEqual(y.hash, e.hash, 'the full hash also covers the sources');
  assert.equal(y.name, 'ops');
});

test('a YAML rule keeps its path and line', () => {
  const rules = yaml(YAML_POLICY).layers[0]?.rules ?? [];
  assert.deepEqual(rules[0]?.source, { form: 'yaml', path: 'policy.tools.deny', line: 4 });
  assert.deepEqual(rules.find((r) => r.kind === 'rate_limit')?.source, {
    form: 'yaml',
    path: 'policy.rate_limits[0]',
    line: 13,
  });
});

test('unknown fields are refused with their line, not ignored', () => {
  const r = compilePolicy({ format: 'yaml', text: 'name: x\ntools:\n  deny: [a]\n  alow: [b]\n' });
  assert.ok(!r.ok);
  assert.match(r.errors[0]?.detail ?? '', /unknown field "alow"/);
  assert.equal(r.errors[0]?.line, 4);
});

test('YAML syntax errors carry line and column', () => {
  const r = compilePolicy({ format: 'yaml', text: 'name: x\ntools: [a\n' });
  assert.ok(!r.ok);
  assert.equal(r.errors[0]?.code, 'E_POLICY_COMPILE');
  assert.ok((r.errors[0]?.line ?? 0) >= 2);
});

test('a policy needs a name, and every problem is reported', () => {
  const r = compilePolicy({
    format: 'yaml',
    text: 'tools: {deny: 3}\nrate_limits: [{tools: [a], max_calls: -1, window_seconds: 1, per: agent}]\n',
  });
  assert.ok(!r.ok);
  assert.equal(r.errors.length, 3);
});

test('extends puts bases first, each once, and refuses cycles and unknown names', () => {
  const sources: Record<string, PolicyText> = {
    base: { format: 'yaml', text: 'name: base\ntools: {deny: [execute_shell]}\n' },
    team: { format: 'english', text: 'Extend base.\nRequire human review for isolate_vlan.', name: 'team' },
    loop: { format: 'yaml', text: 'name: loop\nextends: top\n' },
  };
  const resolve = (n: string) => sources[n] ?? null;
  const p = compiled(
    { format: 'yaml', text: 'name: top\nextends: [team, base]\ntools: {deny: [drop_table]}\n' },
    resolve,
  );
  assert.deepEqual(
    p.layers.map((l) => l.name),
    ['base', 'team', 'top'],
  );
  const cyc = compilePolicy({ format: 'yaml', text: 'name: top\nextends: loop\n' }, { resolve });
  assert.ok(!cyc.ok);
  assert.match(cyc.errors[0]?.detail ?? '', /cycle/);
  const unknown = compilePolicy({ format: 'yaml', text: 'name: top\nextends: nowhere\n' }, { resolve });
  assert.ok(!unknown.ok);
  assert.match(unknown.errors[0]?.detail ?? '', /not known/);
});

test('the JSON Schema names exactly the top-level fields the loader accepts', () => {
  const fields = Object.keys(POLICY_JSON_SCHEMA.properties).sort();
  for (const f of fields) {
    const r = compilePolicy({ format: 'data', data: { name: 'x', [f === 'name' ? 'description' : f]: 123 } });
    // Each field is known (any error is about its value, never "unknown field").
    if (!r.ok) assert.doesNotMatch(r.errors.map((e) => e.detail).join(';'), /unknown field/, f);
  }
  const r = compilePolicy({ format: 'data', data: { name: 'x', surprise: 1 } });
  assert.ok(!r.ok);
  assert.equal(POLICY_JSON_SCHEMA.additionalProperties, false);
});
