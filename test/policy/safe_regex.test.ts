// Argument patterns run on agent-controlled text, so only a backtracking-safe subset compiles.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalToolName, unsafePatternReason } from '../../src/policy/index.js';

test('safe patterns compile', () => {
  for (const p of ['^[a-z0-9 ]+$', '^(?:foo|bar)$', '^sj-0[12]$', '^(ab)?c+$', '^[(|)+]*$'])
    assert.equal(unsafePatternReason(p), null, p);
});

test('the check is conservative: a counted repeat of a quantified group is refused too', () => {
  assert.notEqual(unsafePatternReason('^\\d{1,3}(\\.\\d{1,3}){3}$'), null);
});

test('nested quantifiers, quantified alternations, backreferences, lookaround and long patterns are refused', () => {
  for (const p of [
    '(a+)+$',
    '(a*)*b',
    '((ab)*)+',
    '(a|aa)+',
    '(?:x+y?)*',
    '(a)\\1',
    '(?=a)b',
    '(?<!a)b',
    'a'.repeat(257),
    '(',
    '',
  ])
    assert.notEqual(unsafePatternReason(p), null, p);
});

test('tool names fold NFKC, invisibles, case and Cyrillic/Greek look-alikes', () => {
  assert.equal(canonicalToolName('se\u0430rch_web'), 'search_web');
  assert.equal(canonicalToolName('ЅEАRСH_WEB'), 'search_web');
  assert.equal(canonicalToolName('\uff53\uff45\uff41\uff52\uff43\uff48_web'), 'search_web');
  assert.equal(canonicalToolName('search\u200d_web\ufeff'), 'search_web');
  assert.equal(canonicalToolName('ΗΟST'), 'host', 'Greek capitals fold before lower-casing');
  assert.equal(canonicalToolName('network.isolate'), 'network.isolate');
});
