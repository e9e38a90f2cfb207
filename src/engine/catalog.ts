// The tool catalog: for each tool its base intent and blast radius, an argument schema, the arguments
// that must name a known thing in the topology, and argument-aware cases. Catalogs are data (YAML);
// compileCatalog checks one completely, so classification never meets a malformed catalog.

import { toCanonicalJson } from './canonical_json.js';
import { fail, ok, type Result } from './errors.js';
import { sha256Canonical } from './hash.js';
import { type ArgsValidator, compileArgsSchema } from './json_schema.js';
import { LIMITS } from './limits.js';
import { checkBoundedString, checkFields, isPlainObject } from './strict_object.js';
import { type BlastRadius, type IntentClass, isBlastRadius, isIntentClass } from './vocabulary.js';

export interface TopologyEntity {
  id: string;
  kind: string;
  site?: string;
  role?: string;
}

/** Every key present must hold (logical AND). Argument names refer to the tool's arguments. */
export interface CaseCondition {
  same_site?: [string, string];
  different_site?: [string, string];
  role?: Record<string, string>;
  equals?: Record<string, unknown>;
  at_least?: Record<string, number>;
}

interface CompiledCase {
  test: (args: Record<string, unknown>, resolved: Map<string, TopologyEntity>) => boolean;
  intent: IntentClass;
  radius: BlastRadius;
}

export interface CompiledTool {
  name: string;
  intent: IntentClass;
  radius: BlastRadius;
  validateArgs: ArgsValidator;
  resolve: [arg: string, kind: string][];
  cases: CompiledCase[] | null;
}

export interface CompiledCatalog {
  name: string;
  hash: string;
  /** Tools by name and by alias. */
  tools: ReadonlyMap<string, CompiledTool>;
  entities: ReadonlyMap<string, TopologyEntity>;
}

export type Classification =
  | { ok: true; tool: string; intent: IntentClass; radius: BlastRadius }
  | { ok: false; tool: string | null; reason: string };

export function compileCatalog(source: unknown): Result<CompiledCatalog> {
  const bad = (detail: string) => fail<CompiledCatalog>('E_CATALOG_INVALID', 'invalid tool catalog', detail);
  const canonical = toCanonicalJson(source, 32);
  if (!canonical.ok) return bad(`catalog${canonical.path}: ${canonical.reason}`);
  const shape = checkFields(source, 'catalog', ['name', 'tools', 'entities'], ['version', 'description']);
  if (shape) return bad(shape);
  const src = source as Record<string, unknown>;
  const nameProblem = checkBoundedString(src.name, 'catalog.name', LIMITS.id);
  if (nameProblem) return bad(nameProblem);

  if (!Array.isArray(src.entities) || src.entities.length > LIMITS.catalogEntities)
    return bad(`catalog.entities: must be an array of at most ${LIMITS.catalogEntities} entities`);
  const entities = new Map<string, TopologyEntity>();
  for (const [i, e] of src.entities.entries()) {
    const at = `catalog.entities[${i}]`;
    const problem =
      checkFields(e, at, ['id', 'kind'], ['site', 'role']) ??
      checkBoundedString(e.id, `${at}.id`, LIMITS.id) ??
      checkBoundedString(e.kind, `${at}.kind`, LIMITS.id) ??
      (e.site === undefined ? null : checkBoundedString(e.site, `${at}.site`, LIMITS.id)) ??
      (e.role === undefined ? null : checkBoundedString(e.role, `${at}.role`, LIMITS.id));
    if (problem) return bad(problem);
    const entity = e as TopologyEntity;
    if (entity.kind === 'any') return bad(`${at}.kind: "any" is reserved`);
    if (entities.has(entity.id)) return bad(`${at}.id: duplicate entity "${entity.id}"`);
    entities.set(entity.id, { ...entity });
  }
  for (const entity of entities.values())
    if (entity.site !== undefined && entities.get(entity.site)?.kind !== 'site')
      return bad(`catalog.entities: "${entity.id}" names site "${entity.site}", which is not a site entity`);

  if (!Array.isArray(src.tools) || src.tools.length === 0 || src.tools.length > LIMITS.catalogTools)
    return bad(`catalog.tools: must be an array of 1 to ${LIMITS.catalogTools} tools`);
  const tools = new Map<string, CompiledTool>();
  for (const [i, t] of src.tools.entries()) {
    const compiled = compileTool(t, `catalog.tools[${i}]`);
    if (!compiled.ok) return compiled;
    const names = [compiled.value.name, ...((t as { aliases?: string[] }).aliases ?? [])];
    for (const name of names) {
      if (tools.has(name)) return bad(`catalog.tools[${i}]: tool name or alias "${name}" is used twice`);
      tools.set(name, compiled.value);
    }
  }
  return ok({ name: src.name as string, hash: sha256Canonical(source), tools, entities });
}

function compileTool(t: unknown, at: string): Result<CompiledTool> {
  const bad = (detail: string) => fail<CompiledTool>('E_CATALOG_INVALID', 'invalid tool catalog', detail);
  const shape = checkFields(
    t,
    at,
    ['name', 'intent', 'radius', 'args'],
    ['aliases', 'resolve', 'classify', 'description'],
  );
  if (shape) return bad(shape);
  const spec = t as Record<string, unknown>;
  const nameProblem = checkBoundedString(spec.name, `${at}.name`, LIMITS.toolName);
  if (nameProblem) return bad(nameProblem);
  if (spec.aliases !== undefined) {
    if (!Array.isArray(spec.aliases)) return bad(`${at}.aliases: must be an array of names`);
    for (const [j, alias] of spec.aliases.entries()) {
      const problem = checkBoundedString(alias, `${at}.aliases[${j}]`, LIMITS.toolName);
      if (problem) return bad(problem);
    }
  }
  if (!isIntentClass(spec.intent)) return bad(`${at}.intent: not an intent class`);
  if (!isBlastRadius(spec.radius)) return bad(`${at}.radius: not a blast radius`);

  const schema = compileArgsSchema(spec.args, `${at}.args`);
  if (!schema.ok) return schema;
  const required = new Set(
    isPlainObject(spec.args) && Array.isArray(spec.args.required) ? (spec.args.required as string[]) : [],
  );

  const resolve: [string, string][] = [];
  if (spec.resolve !== undefined) {
    if (!isPlainObject(spec.resolve)) return bad(`${at}.resolve: must map argument names to entity kinds`);
    for (const [arg, kind] of Object.entries(spec.resolve)) {
      if (typeof kind !== 'string') return bad(`${at}.resolve.${arg}: must be an entity kind or "any"`);
      if (!required.has(arg))
        return bad(`${at}.resolve.${arg}: a resolved argument must be required by the schema`);
      resolve.push([arg, kind]);
    }
  }
  const resolvedArgs = new Set(resolve.map(([arg]) => arg));

  let cases: CompiledCase[] | null = null;
  if (spec.classify !== undefined) {
    if (!Array.isArray(spec.classify) || spec.classify.length === 0)
      return bad(`${at}.classify: must be a non-empty array of cases`);
    cases = [];
    for (const [j, c] of spec.classify.entries()) {
      const compiled = compileCase(c, `${at}.classify[${j}]`, resolvedArgs, required);
      if (!compiled.ok) return compiled;
      cases.push(compiled.value);
    }
  }
  return ok({
    name: spec.name as string,
    intent: spec.intent,
    radius: spec.radius,
    validateArgs: schema.value,
    resolve,
    cases,
  });
}

function compileCase(
  c: unknown,
  at: string,
  resolved: Set<string>,
  required: Set<string>,
): Result<CompiledCase> {
  const bad = (detail: string) => fail<CompiledCase>('E_CATALOG_INVALID', 'invalid tool catalog', detail);
  const shape = checkFields(c, at, ['when', 'intent', 'radius'], []);
  if (shape) return bad(shape);
  const spec = c as Record<string, unknown>;
  if (!isIntentClass(spec.intent)) return bad(`${at}.intent: not an intent class`);
  if (!isBlastRadius(spec.radius)) return bad(`${at}.radius: not a blast radius`);
  const whenShape = checkFields(
    spec.when,
    `${at}.when`,
    [],
    ['same_site', 'different_site', 'role', 'equals', 'at_least'],
  );
  if (whenShape) return bad(whenShape);
  const when = spec.when as Record<string, unknown>;
  const tests: CompiledCase['test'][] = [];

  for (const key of ['same_site', 'different_site'] as const) {
    const pair = when[key];
    if (pair === undefined) continue;
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      !pair.every((a) => typeof a === 'string' && resolved.has(a))
    )
      return bad(`${at}.when.${key}: must name two resolved arguments`);
    const [a, b] = pair as [string, string];
    const wantSame = key === 'same_site';
    tests.push((_args, r) => {
      const siteA = siteOf(r.get(a));
      const siteB = siteOf(r.get(b));
      if (siteA === undefined || siteB === undefined) return false;
      return (siteA === siteB) === wantSame;
    });
  }
  if (when.role !== undefined) {
    if (!isPlainObject(when.role)) return bad(`${at}.when.role: must map resolved arguments to roles`);
    for (const [arg, role] of Object.entries(when.role)) {
      if (!resolved.has(arg) || typeof role !== 'string')
        return bad(`${at}.when.role.${arg}: must name a resolved argument and a role`);
      tests.push((_args, r) => r.get(arg)?.role === role);
    }
  }
  if (when.equals !== undefined) {
    if (!isPlainObject(when.equals)) return bad(`${at}.when.equals: must map arguments to values`);
    for (const [arg, value] of Object.entries(when.equals)) {
      if (!required.has(arg)) return bad(`${at}.when.equals.${arg}: must name a required argument`);
      const expected = toCanonicalJson(value, LIMITS.jsonDepth);
      if (!expected.ok) return bad(`${at}.when.equals.${arg}: ${expected.reason}`);
      tests.push((args) => {
        const actual = toCanonicalJson(args[arg], LIMITS.jsonDepth);
        return actual.ok && actual.json === expected.json;
      });
    }
  }
  if (when.at_least !== undefined) {
    if (!isPlainObject(when.at_least)) return bad(`${at}.when.at_least: must map arguments to numbers`);
    for (const [arg, bound] of Object.entries(when.at_least)) {
      if (!required.has(arg) || typeof bound !== 'number' || !Number.isFinite(bound))
        return bad(`${at}.when.at_least.${arg}: must name a required argument and a number`);
      tests.push((args) => typeof args[arg] === 'number' && (args[arg] as number) >= bound);
    }
  }
  if (tests.length === 0) return bad(`${at}.when: a case needs at least one condition`);
  return ok({ test: (args, r) => tests.every((t) => t(args, r)), intent: spec.intent, radius: spec.radius });
}

function siteOf(e: TopologyEntity | undefined): string | undefined {
  if (!e) return undefined;
  return e.kind === 'site' ? e.id : e.site;
}

/**
 * Detected intent and blast radius of a proposed call, from the catalog alone. Anything that cannot be
 * classified (unknown tool, arguments that break the schema, an id the topology does not know, no
 * matching case) is reported, and the caller fails closed.
 */
export function classifyAction(
  catalog: CompiledCatalog,
  toolName: string,
  args: Record<string, unknown>,
): Classification {
  const tool = catalog.tools.get(toolName);
  if (!tool) return { ok: false, tool: null, reason: `unknown tool "${toolName}"` };
  const argsProblem = tool.validateArgs(args, 'args');
  if (argsProblem)
    return { ok: false, tool: tool.name, reason: `arguments do not fit ${tool.name}: ${argsProblem}` };

  const resolved = new Map<string, TopologyEntity>();
  for (const [arg, kind] of tool.resolve) {
    const id = args[arg];
    const entity = typeof id === 'string' ? catalog.entities.get(id) : undefined;
    if (!entity)
      return {
        ok: false,
        tool: tool.name,
        reason: `args.${arg}: ${JSON.stringify(id)} is not in the topology`,
      };
    if (kind !== 'any' && entity.kind !== kind)
      return {
        ok: false,
        tool: tool.name,
        reason: `args.${arg}: "${entity.id}" is a ${entity.kind}, not a ${kind}`,
      };
    resolved.set(arg, entity);
  }

  if (tool.cases === null) return { ok: true, tool: tool.name, intent: tool.intent, radius: tool.radius };
  for (const c of tool.cases)
    if (c.test(args, resolved)) return { ok: true, tool: tool.name, intent: c.intent, radius: c.radius };
  return { ok: false, tool: tool.name, reason: `no case of ${tool.name} matches these arguments` };
}
