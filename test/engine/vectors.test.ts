// One vector per rule, the reference scenario and the money shot: the decision matrix as a specification.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RULESET } from '../../src/engine/index.js';
import { decideVector, VECTORS, vectorNamed } from './vectors.js';

test('every rule R1-R9 has at least one vector', () => {
  const rules = new Set(VECTORS.map((v) => v.expect.rule));
  for (const rule of DEFAULT_RULESET.rules) assert.ok(rules.has(rule.id), `no vector for ${rule.id}`);
});

for (const v of VECTORS) {
  test(v.name, () => {
    const record = decideVector(v);
    assert.equal(record.decision, v.expect.decision, record.explanation);
    assert.equal(record.rule, v.expect.rule, record.explanation);
    assert.equal(record.base_decision, v.expect.base_decision ?? v.expect.decision);
    assert.match(record.explanation, new RegExp(`\\(${v.expect.rule}[,)]`));
  });
}

test('the reference scenario records the cited syslog chunk and the detected site-wide destructive intent', () => {
  const v = vectorNamed('reference scenario with Lobster Trap');
  const record = decideVector(v);
  assert.deepEqual(record.inputs, {
    declared_intent: 'remediate_destructive',
    detected_intent: 'remediate_destructive',
    provenance: 'untrusted',
    blast_radius: 'site',
    injection_flag: true,
  });
  assert.equal(
    record.tool,
    'isolate_network_device',
    'the network.isolate alias resolves to the catalog tool',
  );
  assert.equal(record.sources.length, 1);
  assert.deepEqual(
    {
      resolved: record.sources[0]?.resolved,
      trust: record.sources[0]?.trust,
      suspected: record.sources[0]?.injection_suspected,
    },
    { resolved: true, trust: 'semi_trusted', suspected: true },
  );
  assert.equal(record.conversation_layer.verdict, 'DENY');
  assert.ok(record.notes.some((n) => n.includes('escalated to QUARANTINE')));
});

test('fail-closed vectors treat the blast radius as region and leave the detected intent unknown', () => {
  for (const v of VECTORS.filter((x) => x.name.includes('fails closed'))) {
    const record = decideVector(v);
    assert.equal(record.inputs.blast_radius, 'region', v.name);
    assert.equal(record.inputs.detected_intent, null, v.name);
  }
});

test('agent confidence and estimated radius are recorded but never change the decision', () => {
  const v = vectorNamed('R7: same-site');
  const envelope = v.input.envelope as Record<string, unknown>;
  for (const [confidence, radius] of [
    [0, 'none'],
    [1, 'region'],
    [0.5, 'workload'],
  ] as const) {
    const record = decideVector({
      ...v,
      input: {
        ...v.input,
        envelope: { ...envelope, agent_confidence: confidence, estimated_blast_radius: radius },
      },
    });
    assert.equal(record.decision, 'ALLOW');
    assert.equal(record.inputs.blast_radius, 'node');
    assert.equal(record.request.envelope.agent_confidence, confidence);
  }
});
