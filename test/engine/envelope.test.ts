// The IntentEnvelope is validated strictly: unknown fields rejected, every size bounded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS, parseDecisionRequest, parseEnvelope } from '../../src/engine/index.js';

const valid = { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-01' }, source_signals: ['c1'] };
const codeOf = (x: unknown) => {
  const r = parseEnvelope(x);
  return r.ok ? 'ok' : r.error.code;
};

test('a minimal envelope parses and source_signals defaults to none', () => {
  const r = parseEnvelope({ intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-01' } });
  assert.ok(r.ok);
  assert.deepEqual(r.value.source_signals, []);
});

test('unknown fields are rejected, not ignored', () => {
  const r = parseEnvelope({ ...valid, tool_args: { target: 'vm-01' } });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'E_ENVELOPE_INVALID');
  assert.match(r.error.detail, /unknown field "tool_args"/);
  const request = parseDecisionRequest({ envelope: valid, priority: 'high' });
  assert.ok(!request.ok);
  assert.match(request.error.detail, /unknown field "priority"/);
});

test('missing required fields are named', () => {
  for (const field of ['intent', 'tool', 'args']) {
    const { [field]: _, ...rest } = valid as Record<string, unknown>;
    const r = parseEnvelope(rest);
    assert.ok(!r.ok);
    assert.equal(r.error.detail, `envelope.${field}: required`);
  }
});

test('wrong types and values are rejected', () => {
  for (const bad of [
    { ...valid, intent: 'destroy' },
    { ...valid, intent: 'OBSERVE' },
    { ...valid, tool: '' },
    { ...valid, tool: 'rm -rf' },
    { ...valid, tool: 42 },
    { ...valid, args: [] },
    { ...valid, args: null },
    { ...valid, source_signals: 'c1' },
    { ...valid, source_signals: [''] },
    { ...valid, agent_confidence: 1.01 },
    { ...valid, agent_confidence: '0.9' },
    { ...valid, estimated_blast_radius: 'planet' },
    { ...valid, session: '' },
    null,
    [],
    'envelope',
  ])
    assert.equal(codeOf(bad), 'E_ENVELOPE_INVALID', JSON.stringify(bad));
});

test('sizes are bounded', () => {
  const cases: unknown[] = [
    { ...valid, tool: 'a'.repeat(LIMITS.toolName + 1) },
    { ...valid, justification: 'x'.repeat(LIMITS.justification + 1) },
    { ...valid, target: 't'.repeat(LIMITS.target + 1) },
    { ...valid, source_signals: Array.from({ length: LIMITS.sourceSignals + 1 }, (_, i) => `c${i}`) },
    { ...valid, source_signals: ['c'.repeat(LIMITS.id + 1)] },
    { ...valid, args: { blob: 'x'.repeat(LIMITS.argsChars) } },
  ];
  for (const c of cases) assert.equal(codeOf(c), 'E_INPUT_TOO_LARGE');
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < LIMITS.jsonDepth + 2; i++) {
    const next = {};
    deep.x = next;
    deep = next;
  }
  const r = parseEnvelope({ ...valid, args: root });
  assert.ok(!r.ok);
  assert.match(r.error.detail, /nested deeper/);
});

test('arguments must be plain JSON data', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const args of [
    { at: new Date(0) },
    { f: () => 1 },
    { n: Number.NaN },
    { n: Number.POSITIVE_INFINITY },
    { u: undefined },
    cyclic,
    { big: 1n },
  ])
    assert.notEqual(codeOf({ ...valid, args }), 'ok');
});

test('the parsed envelope is a copy: mutating the input afterwards changes nothing', () => {
  const input = { ...valid, args: { target: 'vm-01' }, source_signals: ['c1'] };
  const r = parseEnvelope(input);
  assert.ok(r.ok);
  input.args.target = 'spine-switch-sj-01';
  input.source_signals.push('c2');
  assert.deepEqual(r.value.args, { target: 'vm-01' });
  assert.deepEqual(r.value.source_signals, ['c1']);
});
