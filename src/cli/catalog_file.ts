// Loads a tool catalog or ruleset given as a file (YAML or JSON) or inline JSON, and compiles it.

import { parse as parseYaml } from 'yaml';
import { type CompiledCatalog, compileCatalog, DEMO_CATALOG } from '../engine/index.js';
import { failure, readTextFile } from './io.js';

export function parseYamlOrJson(text: string, what: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 0 });
  } catch (e) {
    throw failure('E_YAML_PARSE', `${what} is not valid YAML or JSON`, (e as Error).message);
  }
}

/** An inline catalog wins over --catalog FILE; neither means the built-in demo data hall. */
export function loadCatalog(inline: unknown, file: string | undefined): CompiledCatalog {
  let source: unknown;
  if (inline !== undefined) source = inline;
  else if (file !== undefined) source = parseYamlOrJson(readTextFile(file), `catalog ${file}`);
  else return DEMO_CATALOG;
  const compiled = compileCatalog(source);
  if (!compiled.ok) throw failure(compiled.error.code, compiled.error.error, compiled.error.detail);
  return compiled.value;
}
