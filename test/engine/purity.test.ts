// The engine has no I/O, no clock, no randomness and no dependencies (DESIGN.md §2). Checked on the source.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const engineDir = fileURLToPath(new URL('../../src/engine/', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

test('engine files import only each other and node:crypto (for SHA-256)', () => {
  for (const file of files(engineDir)) {
    const source = readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/(?:import|export)[^'"]*from\s+'([^']+)'/g)) {
      const allowed =
        specifier === 'node:crypto' || specifier?.startsWith('./') || specifier?.startsWith('../');
      assert.ok(allowed, `${file} imports ${specifier}`);
      if (specifier?.startsWith('../'))
        assert.ok(
          join(file, '..', specifier).startsWith(engineDir),
          `${file} reaches outside the engine: ${specifier}`,
        );
    }
    assert.doesNotMatch(source, /\bimport\(/, `${file} uses a dynamic import`);
  }
});

test('engine files use no clock, randomness, environment or process', () => {
  for (const file of files(engineDir)) {
    const source = readFileSync(file, 'utf8');
    for (const banned of [
      /Date\.now|new Date\(/,
      /Math\.random|randomBytes|randomUUID|getRandomValues/,
      /process\./,
      /performance\./,
      /setTimeout|setInterval/,
      /\brequire\(/,
    ])
      assert.doesNotMatch(source, banned, `${file} uses ${banned}`);
  }
});
