// A small, exact subset of JSON Schema for tool arguments. Catalogs are data, so the engine validates
// arguments itself; a keyword outside the subset is a catalog compile error, never silently ignored.

import { canonicalJson } from './canonical_json.js';
import { fail, ok, type Result } from './errors.js';

/** Returns null when `value` conforms, else a message naming the path that does not. */
export type ArgsValidator = (value: unknown, path: string) => string | null;

const JSON_TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;
type JsonType = (typeof JSON_TYPES)[number];

const KNOWN_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'items',
  'minItems',
  'maxItems',
  'title',
  'description',
  '$comment',
]);

export function compileArgsSchema(schema: unknown, at: string): Result<ArgsValidator> {
  const bad = (detail: string) =>
    fail<ArgsValidator>('E_CATALOG_INVALID', 'invalid argument schema', `${at}: ${detail}`);
  if (schema === true) return ok(() => null);
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    return bad('a schema is an object');
  const s = schema as Record<string, unknown>;
  for (const key of Object.keys(s))
    if (!KNOWN_KEYWORDS.has(key)) return bad(`keyword "${key}" is not supported`);

  const checks: ArgsValidator[] = [];

  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0 || !types.every((t) => (JSON_TYPES as readonly unknown[]).includes(t)))
      return bad(`type must be one of ${JSON_TYPES.join(', ')}`);
    const allowed = types as JsonType[];
    checks.push((v, p) =>
      allowed.some((t) => hasType(v, t)) ? null : `${p}: must be ${allowed.join(' or ')}`,
    );
  }
  if (s.enum !== undefined) {
    if (!Array.isArray(s.enum) || s.enum.length === 0) return bad('enum must be a non-empty array');
    const members = new Set(s.enum.map((e) => canonicalJson(e)));
    checks.push((v, p) =>
      members.has(safeCanonical(v)) ? null : `${p}: must be one of ${[...members].join(', ')}`,
    );
  }
  if (s.const !== undefined) {
    const expected = canonicalJson(s.const);
    checks.push((v, p) => (safeCanonical(v) === expected ? null : `${p}: must be ${expected}`));
  }
  if (s.pattern !== undefined) {
    if (typeof s.pattern !== 'string') return bad('pattern must be a string');
    let re: RegExp;
    try {
      re = new RegExp(s.pattern, 'u');
    } catch {
      return bad(`pattern ${JSON.stringify(s.pattern)} is not a valid regular expression`);
    }
    checks.push((v, p) => (typeof v !== 'string' || re.test(v) ? null : `${p}: does not match ${s.pattern}`));
  }
  for (const [key, measure, integerBound] of BOUNDS) {
    const bound = s[key];
    if (bound === undefined) continue;
    if (typeof bound !== 'number' || !Number.isFinite(bound) || (integerBound && !isCount(bound)))
      return bad(`${key} must be a ${integerBound ? 'non-negative integer' : 'number'}`);
    const atLeast = key.startsWith('min');
    checks.push((v, p) => {
      const n = measure(v);
      if (n === null || (atLeast ? n >= bound : n <= bound)) return null;
      return `${p}: violates ${key} ${bound}`;
    });
  }
  if (s.items !== undefined) {
    const item = compileArgsSchema(s.items, `${at}.items`);
    if (!item.ok) return item;
    const validateItem = item.value;
    checks.push((v, p) => {
      if (!Array.isArray(v)) return null;
      for (let i = 0; i < v.length; i++) {
        const e = validateItem(v[i], `${p}[${i}]`);
        if (e) return e;
      }
      return null;
    });
  }

  const objectCheck = compileObjectKeywords(s, at);
  if (!objectCheck.ok) return objectCheck;
  if (objectCheck.value) checks.push(objectCheck.value);

  return ok((v, p) => {
    for (const check of checks) {
      const e = check(v, p);
      if (e) return e;
    }
    return null;
  });
}

function compileObjectKeywords(s: Record<string, unknown>, at: string): Result<ArgsValidator | null> {
  const bad = (detail: string) =>
    fail<ArgsValidator | null>('E_CATALOG_INVALID', 'invalid argument schema', `${at}: ${detail}`);
  if (s.properties === undefined && s.required === undefined && s.additionalProperties === undefined)
    return ok(null);

  const properties = new Map<string, ArgsValidator>();
  if (s.properties !== undefined) {
    if (typeof s.properties !== 'object' || s.properties === null || Array.isArray(s.properties))
      return bad('properties must be an object');
    for (const [name, sub] of Object.entries(s.properties)) {
      const compiled = compileArgsSchema(sub, `${at}.properties.${name}`);
      if (!compiled.ok) return compiled;
      properties.set(name, compiled.value);
    }
  }
  let required: string[] = [];
  if (s.required !== undefined) {
    if (!Array.isArray(s.required) || !s.required.every((r) => typeof r === 'string'))
      return bad('required must be an array of names');
    required = s.required as string[];
  }
  let additional = true;
  if (s.additionalProperties !== undefined) {
    if (typeof s.additionalProperties !== 'boolean') return bad('additionalProperties must be true or false');
    additional = s.additionalProperties;
  }

  return ok((v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const record = v as Record<string, unknown>;
    for (const name of required)
      if (!Object.hasOwn(record, name)) return `${p}: missing required argument "${name}"`;
    for (const [name, value] of Object.entries(record)) {
      const validate = properties.get(name);
      if (validate) {
        const e = validate(value, `${p}.${name}`);
        if (e) return e;
      } else if (!additional) {
        return `${p}: unexpected argument "${name}"`;
      }
    }
    return null;
  });
}

/** Numeric bounds: the keyword, what it measures (null: does not apply to this value), integer bound? */
const BOUNDS: [string, (v: unknown) => number | null, boolean][] = [
  ['minLength', (v) => (typeof v === 'string' ? [...v].length : null), true],
  ['maxLength', (v) => (typeof v === 'string' ? [...v].length : null), true],
  ['minimum', (v) => (typeof v === 'number' ? v : null), false],
  ['maximum', (v) => (typeof v === 'number' ? v : null), false],
  ['minItems', (v) => (Array.isArray(v) ? v.length : null), true],
  ['maxItems', (v) => (Array.isArray(v) ? v.length : null), true],
];

function hasType(v: unknown, t: JsonType): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'null':
      return v === null;
    default:
      return typeof v === t;
  }
}

function isCount(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

function safeCanonical(v: unknown): string {
  try {
    return canonicalJson(v);
  } catch {
    return '\u0000not-json';
  }
}
