// docs/policy.md lists every English sentence form with its example, so the documentation cannot drift.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compilePolicy, SENTENCE_FORMS } from '../../src/policy/index.js';

test('docs/policy.md lists every sentence form and its example', () => {
  const doc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');
  for (const { form, example } of SENTENCE_FORMS) {
    assert.ok(doc.includes(`\`${form}\``), `form missing from docs: ${form}`);
    assert.ok(doc.includes(`\`${example}\``), `example missing from docs: ${example}`);
  }
});

test('the YAML example in docs/policy.md compiles', () => {
  const doc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block);
  const r = compilePolicy(
    { format: 'yaml', text: block },
    { resolve: () => ({ format: 'data', data: { name: 'base' } }) },
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.equal(r.value.layers[1]?.rules.length, 20);
});

test('the compile error shown in docs/policy.md is the one the compiler gives', () => {
  const r = compilePolicy({
    format: 'english',
    text: 'Never allow x.\n  Limit send_email to ten calls per hour.\n',
  });
  assert.ok(!r.ok);
  const doc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');
  const shown = /```json\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  assert.deepEqual(JSON.parse(shown), r.errors[0]);
});
