// The catalog entry of the brokered HTTP tool, as data: YAML (the form catalogs are written in), kept
// here as text so it ships inside the built module. It is not part of the built-in demo catalog: the
// gateway joins it to its base catalog only when the credential broker is on (`serve --broker`), so the
// demo catalog's hash, and the replay of every decision recorded without the broker, stay as they were.

import { parse } from 'yaml';
import { compileCatalog, type CompiledCatalog, isPlainObject } from '../../engine/index.js';
import { DEMO_CATALOG_SOURCE } from '../../engine/builtin/index.js';

export const HTTP_REQUEST_TOOL = 'http.request';

/**
 * The secret is named by `secret_id`, not `secret`: the inspect stage reads a field named like a
 * credential as one, and an agent holds ids, never credentials.
 *
 * GET and HEAD only read (observe / none). POST, PUT and PATCH change state at the remote API in a way
 * its owner can undo (remediate_reversible / workload: allowed only from trusted or semi-trusted
 * justification). DELETE is destructive (a person approves it; refused outright from untrusted input).
 */
export const HTTP_CATALOG_YAML = `
tools:
  - name: ${HTTP_REQUEST_TOOL}
    description: >-
      An HTTPS request made by the credential broker, with a vault secret injected as that secret's
      policy says; the agent names the secret and never holds it.
    intent: observe
    radius: none
    args:
      type: object
      required: [secret_id, method, url]
      additionalProperties: false
      properties:
        secret_id: { type: string, pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }
        method: { enum: [GET, HEAD, POST, PUT, PATCH, DELETE] }
        url: { type: string, minLength: 8, maxLength: 8192, pattern: '^https?://' }
        headers: { type: object }
        body: { type: string, maxLength: 16384 }
    classify:
      - { when: { equals: { method: GET } }, intent: observe, radius: none }
      - { when: { equals: { method: HEAD } }, intent: observe, radius: none }
      - { when: { equals: { method: POST } }, intent: remediate_reversible, radius: workload }
      - { when: { equals: { method: PUT } }, intent: remediate_reversible, radius: workload }
      - { when: { equals: { method: PATCH } }, intent: remediate_reversible, radius: workload }
      - { when: { equals: { method: DELETE } }, intent: remediate_destructive, radius: workload }
`;

/** The tool entries of HTTP_CATALOG_YAML. */
export function httpCatalogTools(): unknown[] {
  return (parse(HTTP_CATALOG_YAML) as { tools: unknown[] }).tools;
}

/**
 * `base` (default the demo data hall's catalog source) with the HTTP tool added, named `<base>+http`.
 * A base that already has a tool of that name is an error, never a silent override.
 */
export function withHttpTool(base: unknown = DEMO_CATALOG_SOURCE): unknown {
  if (!isPlainObject(base) || !Array.isArray(base.tools)) throw new Error('the base catalog has no tools');
  const names = (base.tools as { name?: unknown; aliases?: unknown }[]).flatMap((t) => [
    t.name,
    ...(Array.isArray(t.aliases) ? t.aliases : []),
  ]);
  if (names.includes(HTTP_REQUEST_TOOL))
    throw new Error(`the base catalog ${String(base.name)} already has a tool ${HTTP_REQUEST_TOOL}`);
  return { ...base, name: `${String(base.name)}+http`, tools: [...base.tools, ...httpCatalogTools()] };
}

/** withHttpTool, compiled; a catalog the engine refuses is an error. */
export function compileWithHttpTool(base?: unknown): CompiledCatalog {
  const compiled = compileCatalog(withHttpTool(base));
  if (!compiled.ok) throw new Error(`${compiled.error.error}: ${compiled.error.detail}`);
  return compiled.value;
}
