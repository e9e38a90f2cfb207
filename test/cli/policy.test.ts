// `carapace policy compile|test|diff` as a user runs them (the built CLI), on examples/policies/: what a
// policy compiles to, case files decided by engine and policy together, and diffs by meaning.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compilePolicyFile } from '../../src/policy/files.js';
import { carapace, json } from './run_carapace.js';

const tmp = mkdtempSync(join(tmpdir(), 'carapace-policy-cli-'));
const ENGLISH = 'examples/policies/ops.policy';
const YAML = 'examples/policies/ops.yaml';
const CASES = 'examples/policies/ops.cases.yaml';

type Rule = { id: string; kind: string; source: { sentence?: string; line: number | null } };
type Result = {
  name: string;
  ok: boolean;
  got: { decision: string; rule: string; fired: { rule: string; decision: string }[] };
};
type Entry = { layer: string; meaning: { kind: string; tools: string[] }; rules: { id: string }[] };

test('`policy compile` prints every rule with its sentence and a hash that is the same on every run', async () => {
  const [first, second] = await Promise.all([
    carapace(['policy', 'compile', ENGLISH]),
    carapace(['policy', 'compile', ENGLISH]),
  ]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.equal(second.stdout, first.stdout);
  const out = json(first);
  const expected = compilePolicyFile(ENGLISH);
  assert.ok(expected.ok);
  assert.match(String(out.hash), /^sha256:[0-9a-f]{64}$/);
  assert.equal(out.hash, expected.value.hash);
  assert.equal(out.rules_hash, expected.value.rules_hash);
  assert.equal(out.name, 'ops');
  const rules = (out.layers as { rules: Rule[] }[]).flatMap((l) => l.rules);
  assert.deepEqual(
    rules.map((r) => [r.id, r.kind]),
    [
      ['ops#1', 'deny_tools'],
      ['ops#2', 'review_tools'],
      ['ops#3', 'argument'],
      ['ops#4', 'rate_limit'],
      ['ops#5', 'min_tier'],
    ],
  );
  assert.deepEqual(rules[3]?.source, {
    form: 'english',
    sentence: 'Limit restart_workload to 3 calls per hour per agent.',
    line: 9,
    column: 1,
  });
});

test('`policy compile` of a misspelled sentence exits 2 with its line, column and the closest form', async () => {
  const path = join(tmp, 'misspelled.policy');
  writeFileSync(path, 'Never allow quarantine_node.\n  Requre human review for migrate_vm.\n');
  const run = await carapace(['policy', 'compile', path]);
  assert.equal(run.code, 2);
  const out = json(run);
  assert.equal(out.error, 'policy does not compile');
  assert.equal(out.code, 'E_POLICY_COMPILE');
  assert.match(String(out.detail), /unknown sentence "Requre human review for migrate_vm\."/);
  const errors = out.errors as { line: number; column: number; closest: string }[];
  assert.equal(errors.length, 1);
  assert.deepEqual(
    [errors[0]?.line, errors[0]?.column, errors[0]?.closest],
    [2, 3, 'Require human review for <tools>.'],
  );
});

test('a policy file that does not exist is {error, code, detail} with exit 2', async () => {
  for (const args of [
    ['policy', 'compile', join(tmp, 'absent.policy')],
    ['policy', 'test', join(tmp, 'absent.policy'), CASES],
    ['policy', 'test', ENGLISH, join(tmp, 'absent.yaml')],
    ['policy', 'diff', ENGLISH, join(tmp, 'absent.yaml')],
  ]) {
    const run = await carapace(args);
    assert.equal(run.code, 2, args.join(' '));
    const out = json(run);
    assert.deepEqual(Object.keys(out).sort(), ['code', 'detail', 'error'], args.join(' '));
    assert.equal(out.code, 'E_FILE_UNREADABLE');
    assert.match(String(out.detail), /absent\.(policy|yaml): ENOENT/);
  }
});

test('`policy test` passes every example case, for the English and the YAML policy alike', async () => {
  for (const policy of [ENGLISH, YAML]) {
    const run = await carapace(['policy', 'test', policy, CASES]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const out = json(run);
    const results = out.results as Result[];
    assert.equal(results.length, 10);
    assert.deepEqual([out.passed, out.failed], [10, 0]);
    assert.ok(results.every((r) => r.ok));
    // The policy tightens the engine (ops#1 over R5) and the engine's stricter verdict stands (R2).
    const byName = (prefix: string) => results.find((r) => r.name.startsWith(prefix))?.got;
    const quarantine = byName('quarantine_node is never allowed');
    assert.deepEqual([quarantine?.decision, quarantine?.rule], ['DENY', 'ops#1']);
    const injected = byName("the engine's denial stands");
    assert.deepEqual([injected?.decision, injected?.rule], ['DENY', 'R2']);
    // Equally severe: the engine's rule is named, the policy's rule is still listed.
    const both = byName('when both deny');
    assert.deepEqual([both?.decision, both?.rule], ['DENY', 'R2']);
    assert.deepEqual(
      both?.fired.map((f) => [f.rule, f.decision]),
      [['ops#5', 'DENY']],
    );
  }
});

test('`policy test` exits 1 and names the case whose expectation is not met', async () => {
  const path = join(tmp, 'changed.cases.yaml');
  const text = readFileSync(CASES, 'utf8');
  const changed = text.replace('counters: { restart_workload: 2 }', 'counters: { restart_workload: 3 }');
  assert.notEqual(changed, text);
  writeFileSync(path, changed);
  const run = await carapace(['policy', 'test', ENGLISH, path]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const out = json(run);
  assert.deepEqual([out.passed, out.failed], [9, 1]);
  const failed = (out.results as Result[]).filter((r) => !r.ok);
  assert.deepEqual(
    failed.map((r) => [r.name, r.got.decision, r.got.rule]),
    [["a T3 agent's third restart within the hour is allowed", 'DENY', 'ops#4']],
  );
});

test('`policy test` refuses a case with an unknown field or a counter no rule keeps (exit 2)', async () => {
  const text = readFileSync(CASES, 'utf8');
  for (const [name, from, to, detail] of [
    ['typo.cases.yaml', '    tier: T2\n', '    tier: T2\n    teir: T3\n', /unknown field "teir"/],
    ['expect.cases.yaml', 'rule: ops#5 }', 'rule: ops#5, reason: x }', /expect: unknown field "reason"/],
    [
      'counter.cases.yaml',
      '{ ops#4: 3 }',
      '{ ops#3: 3 }',
      /counters\.ops#3: not a rate limit or budget rule/,
    ],
  ] as const) {
    const path = join(tmp, name);
    const changed = text.replace(from, to);
    assert.notEqual(changed, text, name);
    writeFileSync(path, changed);
    const run = await carapace(['policy', 'test', ENGLISH, path]);
    assert.equal(run.code, 2, `${name}: ${run.stdout}`);
    const out = json(run);
    assert.equal(out.code, 'E_CASES_INVALID', name);
    assert.match(String(out.detail), detail, name);
  }
});

test('`policy diff` of the English and the YAML example finds the same meaning (exit 0)', async () => {
  const run = await carapace(['policy', 'diff', ENGLISH, YAML]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const out = json(run);
  const a = out.a as { hash: string; rules_hash: string };
  const b = out.b as { hash: string; rules_hash: string };
  assert.equal(out.same_meaning, true);
  assert.equal(a.rules_hash, b.rules_hash);
  assert.notEqual(a.hash, b.hash); // the sources differ
  assert.deepEqual([out.added, out.removed], [[], []]);
});

test('`policy diff` after a sentence is removed exits 1 and lists the removed rule with its sentence', async () => {
  const path = join(tmp, 'fewer.policy');
  const text = readFileSync(ENGLISH, 'utf8');
  const fewer = text.replace('Require human review for migrate_vm.\n', '');
  assert.notEqual(fewer, text);
  writeFileSync(path, fewer);
  const run = await carapace(['policy', 'diff', ENGLISH, path]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const out = json(run);
  assert.equal(out.same_meaning, false);
  assert.deepEqual(out.added, []);
  const removed = out.removed as Entry[];
  assert.equal(removed.length, 1);
  assert.deepEqual(removed[0]?.meaning, { kind: 'review_tools', tools: ['migrate_vm'] });
  assert.deepEqual(removed[0]?.rules, [
    {
      id: 'ops#2',
      source: { form: 'english', sentence: 'Require human review for migrate_vm.', line: 7, column: 1 },
    },
  ]);

  const back = await carapace(['policy', 'diff', path, ENGLISH]);
  assert.equal(back.code, 1);
  assert.deepEqual(
    (json(back).added as Entry[]).map((e) => e.rules.map((r) => r.id)),
    [['ops#2']],
  );
});
