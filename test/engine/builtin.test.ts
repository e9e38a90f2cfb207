// The engine's built-in data is compiled from YAML into a module; this keeps the two in step.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderBuiltinModule } from '../../scripts/compile-engine-data.js';

test('data.generated.ts is what scripts/compile-engine-data.ts makes from the YAML (run npm run gen:engine)', () => {
  const committed = readFileSync(
    new URL('../../src/engine/builtin/data.generated.ts', import.meta.url),
    'utf8',
  );
  assert.equal(committed, renderBuiltinModule());
});
