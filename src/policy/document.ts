// The YAML (or JSON) policy document: a structured form that lowers to the same rules as English.
// Unknown fields are refused, not ignored; every rule remembers the YAML path and line it came from.

import { LineCounter, parseDocument } from 'yaml';
import { isPlainObject } from '../engine/strict_object.js';
import { compileError, type PolicyError, type PolicyResult } from './errors.js';
import { checkRuleBody, type RuleBody, type RuleSource, WEEKDAYS, type Weekday } from './model.js';

/** A document lowered to rule bodies with their sources, before extends are resolved. */
export interface LoweredDocument {
  name: string;
  extends: string[];
  rules: { body: RuleBody; source: RuleSource }[];
}

type LineOf = (path: (string | number)[]) => number | null;

const TOP_LEVEL = [
  'name',
  'version',
  'description',
  'extends',
  'tools',
  'grants',
  'arguments',
  'domains',
  'windows',
  'rate_limits',
  'budgets',
  'data',
  'outputs',
  'min_tier',
] as const;

/** Parses YAML text and lowers it; YAML syntax errors carry their line and column. */
export function lowerYamlPolicy(text: string): PolicyResult<LoweredDocument> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0)
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return compileError(`YAML: ${e.message.split('\n')[0]}`, { line: pos.line, column: pos.col });
      }),
    };
  const lineOf: LineOf = (path) => {
    const node: unknown = doc.getIn(path, true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : null;
  };
  return lowerPolicyDocument(doc.toJS({ maxAliasCount: 64 }) as unknown, lineOf);
}

/** Lowers an already-parsed document (YAML or JSON data). */
export function lowerPolicyDocument(
  source: unknown,
  lineOf: LineOf = () => null,
): PolicyResult<LoweredDocument> {
  const errors: PolicyError[] = [];
  const err = (detail: string, path: (string | number)[] = []) => {
    const line = lineOf(path);
    errors.push(compileError(detail, line === null ? {} : { line }));
  };
  if (!isPlainObject(source)) {
    err('policy: must be a mapping with at least `name`');
    return { ok: false, errors };
  }
  for (const key of Object.keys(source))
    if (!(TOP_LEVEL as readonly string[]).includes(key))
      err(`policy: unknown field "${key}" (known: ${TOP_LEVEL.join(', ')})`, [key]);
  const name = source.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.:@/-]{1,128}$/.test(name))
    err('policy.name: required, 1 to 128 of letters, digits and _ . : @ / -', ['name']);
  let parents: string[] = [];
  if (source.extends !== undefined) {
    const e = typeof source.extends === 'string' ? [source.extends] : source.extends;
    if (!Array.isArray(e) || !e.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 256))
      err('policy.extends: a policy name or a list of them', ['extends']);
    else parents = e as string[];
  }

  const rules: LoweredDocument['rules'] = [];
  const add = (body: RuleBody, path: (string | number)[]) => {
    const at = pathText(path);
    const checked = checkRuleBody(body, at);
    if (typeof checked === 'string') err(checked, path);
    else rules.push({ body: checked, source: { form: 'yaml', path: at, line: lineOf(path) } });
  };
  const fields = (value: unknown, path: (string | number)[], allowed: readonly string[]) => {
    if (!isPlainObject(value)) {
      err(`${pathText(path)}: must be a mapping`, path);
      return null;
    }
    for (const key of Object.keys(value))
      if (!allowed.includes(key))
        err(`${pathText(path)}: unknown field "${key}" (known: ${allowed.join(', ')})`, [...path, key]);
    return value;
  };
  const list = (key: string): unknown[] => {
    const v = source[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      err(`policy.${key}: must be a list`, [key]);
      return [];
    }
    return v;
  };

  if (source.tools !== undefined) {
    const t = fields(source.tools, ['tools'], ['allow', 'deny', 'review']);
    if (t) {
      if (t.allow !== undefined) add({ kind: 'allow_tools', tools: t.allow as string[] }, ['tools', 'allow']);
      if (t.deny !== undefined) add({ kind: 'deny_tools', tools: t.deny as string[] }, ['tools', 'deny']);
      if (t.review !== undefined)
        add({ kind: 'review_tools', tools: t.review as string[] }, ['tools', 'review']);
    }
  }
  if (source.grants !== undefined) {
    const g = fields(source.grants, ['grants'], ['agents', 'roles']);
    for (const [key, subject] of [
      ['agents', 'agent'],
      ['roles', 'role'],
    ] as const) {
      if (!g || g[key] === undefined) continue;
      const byName = fields(g[key], ['grants', key], Object.keys(isPlainObject(g[key]) ? g[key] : {}));
      for (const [n, tools] of Object.entries(byName ?? {}))
        add({ kind: 'grant', subject, name: n, tools: tools as string[] }, ['grants', key, n]);
    }
  }
  for (const [i, a] of list('arguments').entries()) {
    const r = fields(
      a,
      ['arguments', i],
      ['tools', 'arg', 'equals', 'minimum', 'maximum', 'pattern', 'path_prefix'],
    );
    if (!r) continue;
    const { tools, arg, ...constraint } = r;
    add({ kind: 'argument', tools: tools as string[], arg: arg as string, constraint: constraint as never }, [
      'arguments',
      i,
    ]);
  }
  for (const [i, d] of list('domains').entries()) {
    const r = fields(d, ['domains', i], ['tools', 'allow']);
    if (r) add({ kind: 'domains', tools: r.tools as string[], domains: r.allow as string[] }, ['domains', i]);
  }
  for (const [i, w] of list('windows').entries()) {
    const r = fields(w, ['windows', i], ['tools', 'zone', 'days', 'start', 'end']);
    if (r)
      add(
        {
          kind: 'window',
          tools: r.tools as string[],
          zone: r.zone as string,
          days: expandDays(r.days),
          start: r.start as string,
          end: r.end as string,
        },
        ['windows', i],
      );
  }
  for (const [i, l] of list('rate_limits').entries()) {
    const r = fields(l, ['rate_limits', i], ['tools', 'max_calls', 'window_seconds', 'per']);
    if (r)
      add(
        {
          kind: 'rate_limit',
          tools: r.tools as string[],
          max_calls: r.max_calls as number,
          window_seconds: r.window_seconds as number,
          per: r.per as 'agent',
        },
        ['rate_limits', i],
      );
  }
  for (const [i, b] of list('budgets').entries()) {
    const r = fields(b, ['budgets', i], ['tools', 'max_cost', 'period_seconds', 'cost']);
    if (r)
      add(
        {
          kind: 'budget',
          tools: r.tools as string[],
          max_cost: r.max_cost as number,
          period_seconds: r.period_seconds as number,
          cost: r.cost as { per_call: number },
        },
        ['budgets', i],
      );
  }
  for (const [i, d] of list('data').entries()) {
    const r = fields(d, ['data', i], ['tools', 'direction', 'types', 'action']);
    if (r)
      add(
        {
          kind: 'data',
          tools: r.tools as string[],
          direction: r.direction as 'input',
          types: r.types as string[],
          action: r.action as 'deny',
        },
        ['data', i],
      );
  }
  for (const [i, o] of list('outputs').entries()) {
    const r = fields(o, ['outputs', i], ['tools', 'schema', 'max_bytes']);
    if (!r) continue;
    if (r.schema === undefined && r.max_bytes === undefined)
      err(`policy.outputs[${i}]: needs schema, max_bytes or both`, ['outputs', i]);
    if (r.schema !== undefined)
      add({ kind: 'output_schema', tools: r.tools as string[], schema: r.schema as never }, [
        'outputs',
        i,
        'schema',
      ]);
    if (r.max_bytes !== undefined)
      add({ kind: 'max_output', tools: r.tools as string[], max_bytes: r.max_bytes as number }, [
        'outputs',
        i,
        'max_bytes',
      ]);
  }
  for (const [i, m] of list('min_tier').entries()) {
    const r = fields(m, ['min_tier', i], ['tools', 'tier']);
    if (r) add({ kind: 'min_tier', tools: r.tools as string[], tier: r.tier as 'T0' }, ['min_tier', i]);
  }

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { name: name as string, extends: parents, rules } };
}

/** `weekdays`, `weekends`, `every day`, or a list of day names (three-letter or full, any case). */
export function expandDays(raw: unknown): Weekday[] {
  if (raw === 'weekdays') return ['mon', 'tue', 'wed', 'thu', 'fri'];
  if (raw === 'weekends') return ['sat', 'sun'];
  if (raw === 'every day' || raw === 'daily') return [...WEEKDAYS];
  if (!Array.isArray(raw)) return raw as Weekday[];
  return raw.map((d) => (typeof d === 'string' ? (d.slice(0, 3).toLowerCase() as Weekday) : d));
}

function pathText(path: (string | number)[]): string {
  return `policy${path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`;
}
