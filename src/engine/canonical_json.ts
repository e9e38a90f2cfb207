// RFC 8785 (JSON Canonicalization Scheme) with no dependency: keys sorted by UTF-16 code units,
// ECMAScript number and string serialisation. test/engine/canonical_json.test.ts checks it against the
// `canonicalize` package on arbitrary JSON. It is on the hot path of every decision: one pass validates,
// bounds, serialises and copies a value, and text canonicalised once is embedded, not redone.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type CanonicalResult<T = unknown> =
  | { ok: true; json: string /** A deep copy with sorted keys, sharing nothing with the input. */; value: T }
  | { ok: false; path: string; reason: string };

/** Already-canonical JSON text, emitted verbatim by the serialiser (and not copied). */
export class CanonicalText {
  constructor(readonly json: string) {}
}

class NotCanonical {
  constructor(
    readonly where: (string | number)[],
    readonly reason: string,
  ) {}
}

/** Characters JSON must escape, and surrogates: only strings holding these need the slow path. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const NEEDS_CARE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/**
 * Validates that `value` is plain JSON data (no undefined, functions, non-finite numbers, class
 * instances or cycles) no deeper than `maxDepth`, and returns its canonical serialisation and a copy.
 * Fails as soon as the output of any container exceeds `maxChars`, so the work stays bounded.
 */
export function toCanonicalJson<T = unknown>(
  value: unknown,
  maxDepth: number,
  maxChars = Number.POSITIVE_INFINITY,
): CanonicalResult<T> {
  const state: WalkState = { where: [], maxDepth, maxChars, copy: undefined };
  try {
    const json = walk(state, value, 0);
    if (json.length > maxChars) throw tooLarge(state);
    return { ok: true, json, value: state.copy as T };
  } catch (e) {
    if (e instanceof NotCanonical) return { ok: false, path: formatPath(e.where), reason: e.reason };
    if (e instanceof RangeError) return { ok: false, path: '', reason: 'too deeply nested to serialise' };
    throw e;
  }
}

interface WalkState {
  /** Path to the value being walked, for error messages. */
  where: (string | number)[];
  maxDepth: number;
  maxChars: number;
  /** The copy of the value last walked. */
  copy: unknown;
}

function quote(state: WalkState, s: string): string {
  if (s.length > state.maxChars) throw tooLarge(state);
  if (!NEEDS_CARE.test(s)) return `"${s}"`;
  if (!s.isWellFormed()) throw new NotCanonical(state.where, 'string holds a lone UTF-16 surrogate');
  return JSON.stringify(s);
}

// Returns the canonical text of `v` and leaves its copy in state.copy.
function walk(state: WalkState, v: unknown, depth: number): string {
  state.copy = v;
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new NotCanonical(state.where, 'number is not finite');
      return String(v);
    case 'string':
      return quote(state, v);
    case 'object':
      break;
    default:
      throw new NotCanonical(state.where, `${typeof v} is not JSON`);
  }
  if (v instanceof CanonicalText) return v.json;
  if (depth >= state.maxDepth)
    throw new NotCanonical(state.where, `nested deeper than ${state.maxDepth} levels`);
  let out: string;
  if (Array.isArray(v)) {
    const items: unknown[] = new Array(v.length);
    out = '[';
    for (let i = 0; i < v.length; i++) {
      state.where.push(i);
      if (i > 0) out += ',';
      out += walk(state, v[i], depth + 1);
      if (out.length > state.maxChars) throw tooLarge(state);
      items[i] = state.copy;
      state.where.pop();
    }
    out += ']';
    state.copy = items;
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null)
      throw new NotCanonical(state.where, 'not a plain JSON object');
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    const fields: Record<string, unknown> = {};
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      state.where.push(key);
      if (i > 0) out += ',';
      out += quote(state, key);
      out += ':';
      out += walk(state, record[key], depth + 1);
      if (out.length > state.maxChars) throw tooLarge(state);
      fields[key] = state.copy;
      state.where.pop();
    }
    out += '}';
    state.copy = fields;
  }
  return out;
}

function tooLarge(state: WalkState): NotCanonical {
  return new NotCanonical([], `larger than ${state.maxChars} characters of canonical JSON`);
}

/** Canonical JSON of data already known to be valid JSON (e.g. the engine's own records). */
export function canonicalJson(value: unknown): string {
  const r = toCanonicalJson(value, 64);
  if (!r.ok) throw new TypeError(`canonicalJson: ${r.path || '(root)'}: ${r.reason}`);
  return r.json;
}

function formatPath(where: readonly (string | number)[]): string {
  return where.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}
