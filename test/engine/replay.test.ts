// Replay: a recorded decision decides the same again; an altered record or a changed ruleset is named.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset, DEFAULT_ENGINE, DEFAULT_RULESET, replayRecord } from '../../src/engine/index.js';
import { decideVector, vectorNamed } from './vectors.js';

const recorded = () =>
  JSON.parse(JSON.stringify(decideVector(vectorNamed('reference scenario with Lobster Trap'))));

test('a recorded decision replays identically', () => {
  const outcome = replayRecord(recorded(), DEFAULT_ENGINE);
  assert.deepEqual(outcome.differences, []);
  assert.equal(outcome.identical, true);
  assert.equal(outcome.replayed_decision, 'QUARANTINE');
});

test('a record whose decision was edited is reported with both values', () => {
  const record = recorded();
  record.decision = 'ALLOW';
  const outcome = replayRecord(record, DEFAULT_ENGINE);
  assert.equal(outcome.identical, false);
  assert.deepEqual(outcome.differences, ['decision: recorded "ALLOW", replayed "QUARANTINE"']);
});

test('a record whose request was edited no longer matches its inputs_hash', () => {
  const record = recorded();
  record.request.chunks[0].trust = 'trusted';
  const outcome = replayRecord(record, DEFAULT_ENGINE);
  assert.equal(outcome.identical, false);
  assert.match(outcome.differences[0] ?? '', /^request_hash: .* the record was altered$/);
});

test('a changed ruleset shows up as a ruleset_hash difference, and as a decision difference where it matters', () => {
  const source = structuredClone(DEFAULT_RULESET.source) as {
    rules: { id: string; decision: string; escalate?: unknown }[];
  };
  const r2 = source.rules.find((r) => r.id === 'R2');
  assert.ok(r2);
  delete r2.escalate;
  const ruleset = compileRuleset(source);
  assert.ok(ruleset.ok);
  const outcome = replayRecord(recorded(), { ...DEFAULT_ENGINE, ruleset: ruleset.value });
  assert.equal(outcome.identical, false);
  assert.match(outcome.differences[0] ?? '', /^decision: recorded "QUARANTINE", replayed "DENY"$/);
  assert.ok(outcome.differences.some((d) => d.startsWith('ruleset_hash:')));
});

test('a record decided against another catalog cannot be replayed silently', () => {
  const record = recorded();
  record.catalog_hash = `sha256:${'0'.repeat(64)}`;
  const outcome = replayRecord(record, DEFAULT_ENGINE);
  assert.equal(outcome.identical, false);
  assert.match(outcome.differences.join('\n'), /inputs_hash|catalog_hash/);
});

test('something that is not a record is reported, not thrown', () => {
  for (const junk of [null, 42, 'x', [], {}, { request: 'x' }, { request: {}, inputs_hash: 1 }])
    assert.equal(replayRecord(junk, DEFAULT_ENGINE).identical, false);
});
