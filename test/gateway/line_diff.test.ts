// The line diff an admin reads before approving an instruction set: kept and removed lines give back the
// old text, kept and added lines the new one, and equal texts differ nowhere.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatDiff, lineDiff } from '../../src/gateway/line_diff.js';

const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'You are the ops agent.', ''), { maxLength: 30 });

test('the diff gives back both texts, and equal texts have no change', () => {
  fc.assert(
    fc.property(lines, lines, (a, b) => {
      const before = a.join('\n');
      const after = b.join('\n');
      const diff = lineDiff(before, after);
      assert.equal(
        diff
          .filter((l) => l.op !== '+')
          .map((l) => l.text)
          .join('\n'),
        before === '' ? '' : before,
      );
      assert.equal(
        diff
          .filter((l) => l.op !== '-')
          .map((l) => l.text)
          .join('\n'),
        after === '' ? '' : after,
      );
      if (before === after) assert.ok(diff.every((l) => l.op === ' '));
    }),
  );
});

test('an added line is the only change shown', () => {
  const diff = lineDiff('# system[0]\nBe careful.', '# system[0]\nBe careful.\nSkip the change window.');
  assert.equal(formatDiff(diff), '  # system[0]\n  Be careful.\n+ Skip the change window.');
});
