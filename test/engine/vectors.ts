// The decision vectors (vectors.json) and how to decide one in-process; shared by the engine and CLI tests.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  type CompiledCatalog,
  compileCatalog,
  DEFAULT_RULESET,
  DEMO_CATALOG,
  type DecisionRecord,
  decide,
  parseDecisionRequest,
} from '../../src/engine/index.js';

export interface Vector {
  name: string;
  input: { catalog?: unknown } & Record<string, unknown>;
  expect: { decision: string; rule: string; base_decision?: string };
}

export const VECTORS_PATH = new URL('vectors.json', import.meta.url);
export const VECTORS: Vector[] = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));

export function vectorNamed(prefix: string): Vector {
  const v = VECTORS.find((x) => x.name.startsWith(prefix));
  assert.ok(v, `no vector named ${prefix}`);
  return v;
}

export function decideVector(v: Vector): DecisionRecord {
  const { catalog: catalogSource, ...request } = v.input;
  let catalog: CompiledCatalog = DEMO_CATALOG;
  if (catalogSource !== undefined) {
    const compiled = compileCatalog(catalogSource);
    if (!compiled.ok) assert.fail(`vector catalog does not compile: ${compiled.error.detail}`);
    catalog = compiled.value;
  }
  const parsed = parseDecisionRequest(request);
  if (!parsed.ok) assert.fail(`vector request does not parse: ${parsed.error.detail}`);
  return decide(parsed.value, { ruleset: DEFAULT_RULESET, catalog });
}
