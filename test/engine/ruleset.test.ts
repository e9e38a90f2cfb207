// The ruleset is data, compiled strictly, identified by its canonical hash, and refused if lowering
// trust or adding taint could ever buy a milder verdict.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import canonicalize from 'canonicalize';
import { parse } from 'yaml';
import { compileRuleset, DEFAULT_RULESET, findNonMonotoneStep } from '../../src/engine/index.js';

const yamlSource = parse(
  readFileSync(new URL('../../src/engine/builtin/ruleset.yaml', import.meta.url), 'utf8'),
);
const clone = () => structuredClone(yamlSource) as { version: string; rules: Record<string, unknown>[] };

test('the default ruleset is R1-R9 in order with the DESIGN.md §4 decisions', () => {
  assert.deepEqual(
    DEFAULT_RULESET.rules.map((r) => [r.id, r.decision, r.escalateTo]),
    [
      ['R1', 'DENY', null],
      ['R2', 'DENY', 'QUARANTINE'],
      ['R3', 'DENY', null],
      ['R4', 'HUMAN_REVIEW', null],
      ['R5', 'HUMAN_REVIEW', null],
      ['R6', 'HUMAN_REVIEW', null],
      ['R7', 'ALLOW', null],
      ['R8', 'ALLOW', null],
      ['R9', 'DENY', null],
    ],
  );
  assert.equal(DEFAULT_RULESET.catchAll.id, 'R9');
});

test('the ruleset hash is sha256 over the RFC 8785 canonical JSON of the YAML data', () => {
  const expected = `sha256:${createHash('sha256')
    .update(canonicalize(yamlSource) as string)
    .digest('hex')}`;
  assert.equal(DEFAULT_RULESET.hash, expected);
});

test('any change to the ruleset changes its hash', () => {
  const edited = clone();
  (edited.rules[3] as { decision: string }).decision = 'DENY';
  const compiled = compileRuleset(edited);
  assert.ok(compiled.ok);
  assert.notEqual(compiled.value.hash, DEFAULT_RULESET.hash);
});

test('the default ruleset is monotone: no lower trust, injection flag or corroboration gives a milder verdict', () => {
  assert.equal(findNonMonotoneStep(DEFAULT_RULESET.rules), null);
});

test('R6 written literally as "semi_trusted and destructive" is refused as not monotone', () => {
  const literal = clone();
  const r6 = literal.rules.find((r) => r.id === 'R6') as { when: unknown[] };
  r6.when = [
    { field: 'provenance', op: 'equals', value: 'semi_trusted' },
    { field: 'detected_intent', op: 'equals', value: 'remediate_destructive' },
  ];
  const compiled = compileRuleset(literal);
  assert.ok(!compiled.ok);
  assert.equal(compiled.error.code, 'E_RULESET_NOT_MONOTONE');
  assert.match(
    compiled.error.detail,
    /provenance=trusted .* gives DENY, but .*provenance=semi_trusted .* gives HUMAN_REVIEW/,
  );
});

test('a ruleset where the injection flag loosens the verdict is refused', () => {
  const loose = clone();
  loose.rules.unshift({
    id: 'R0',
    when: [{ field: 'injection_flag', op: 'equals', value: true }],
    decision: 'ALLOW',
    explain: 'flagged content is fine',
  });
  const compiled = compileRuleset(loose);
  assert.ok(!compiled.ok);
  assert.equal(compiled.error.code, 'E_RULESET_NOT_MONOTONE');
});

test('malformed rulesets are compile errors that say where', () => {
  const cases: [(r: ReturnType<typeof clone>) => void, RegExp][] = [
    [(r) => void r.rules.pop(), /last rule must be a catch-all/],
    [(r) => ((r.rules[8] as { decision: string }).decision = 'ALLOW'), /catch-all must fail closed/],
    [(r) => ((r.rules[2] as { when: unknown[] }).when = []), /only the last rule may be a catch-all/],
    [(r) => ((r.rules[0] as { id: string }).id = 'R2'), /"R2" is used twice/],
    [
      (r) => ((r.rules[0] as { when: unknown[] }).when = [{ field: 'mood', op: 'equals', value: 'x' }]),
      /field: must be one of/,
    ],
    [
      (r) => ((r.rules[0] as { when: unknown[] }).when = [{ field: 'provenance', op: 'like', value: 'x' }]),
      /op: must be one of/,
    ],
    [
      (r) =>
        ((r.rules[0] as { when: unknown[] }).when = [
          { field: 'provenance', op: 'equals', value: 'verified' },
        ]),
      /value: must be one of/,
    ],
    [
      (r) => ((r.rules[0] as { when: unknown[] }).when = [{ field: 'provenance', op: 'in', value: [] }]),
      /non-empty list/,
    ],
    [
      (r) =>
        ((r.rules[0] as { when: unknown[] }).when = [
          { field: 'provenance', op: 'equals', ref: 'blast_radius' },
        ]),
      /same vocabulary/,
    ],
    [
      (r) =>
        ((r.rules[0] as { when: unknown[] }).when = [
          { field: 'injection_flag', op: 'at_least', value: true },
        ]),
      /needs an ordered field/,
    ],
    [
      (r) =>
        ((r.rules[1] as { escalate: unknown }).escalate = {
          to: 'ALLOW',
          when: 'conversation_layer_corroborates',
        }),
      /more severe/,
    ],
    [
      (r) => ((r.rules[1] as { escalate: unknown }).escalate = { to: 'QUARANTINE', when: 'full_moon' }),
      /escalate.when/,
    ],
    [
      (r) => ((r.rules[0] as { explain: string }).explain = 'because {secret}'),
      /unknown placeholder \{secret\}/,
    ],
    [(r) => ((r as unknown as { owner: string }).owner = 'x'), /unknown field "owner"/],
  ];
  for (const [edit, detail] of cases) {
    const source = clone();
    edit(source);
    const compiled = compileRuleset(source);
    assert.ok(!compiled.ok, String(detail));
    assert.equal(compiled.error.code, 'E_RULESET_INVALID', String(detail));
    assert.match(compiled.error.detail, detail);
  }
});

test('ordered conditions compare along the vocabulary order', () => {
  const source = clone();
  source.rules.unshift({
    id: 'R0',
    when: [{ field: 'blast_radius', op: 'at_least', value: 'vlan' }],
    decision: 'QUARANTINE',
    explain: 'wide',
  });
  const compiled = compileRuleset(source);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.error.detail);
  const r0 = compiled.value.rules[0];
  const base = {
    declared_intent: 'observe',
    detected_intent: 'observe',
    provenance: 'trusted',
    injection_flag: false,
  } as const;
  assert.equal(r0?.matches({ ...base, blast_radius: 'node' }), false);
  assert.equal(r0?.matches({ ...base, blast_radius: 'vlan' }), true);
  assert.equal(r0?.matches({ ...base, blast_radius: 'region' }), true);
});
