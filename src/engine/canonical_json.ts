// RFC 8785 (JSON Canonicalization Scheme) for the engine's hashes, with no dependency: keys sorted by
// UTF-16 code units, ECMAScript number and string serialisation. test/engine/canonical_json.test.ts
// checks it against the `canonicalize` package on arbitrary JSON.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type CanonicalResult = { ok: true; json: string } | { ok: false; path: string; reason: string };

/**
 * Validates that `value` is plain JSON data (no undefined, functions, non-finite numbers, class
 * instances or cycles) no deeper than `maxDepth`, and returns its canonical serialisation.
 * Stops early once the output exceeds `maxChars`.
 */
export function toCanonicalJson(value: unknown, maxDepth: number, maxChars = Number.POSITIVE_INFINITY): CanonicalResult {
  const parts: string[] = [];
  let length = 0;
  let failure: { path: string; reason: string } | null = null;

  const emit = (s: string): boolean => {
    parts.push(s);
    length += s.length;
    if (length > maxChars) {
      failure = { path: '', reason: `larger than ${maxChars} characters of canonical JSON` };
      return false;
    }
    return true;
  };

  const walk = (v: unknown, depth: number, path: string): boolean => {
    if (v === null) return emit('null');
    switch (typeof v) {
      case 'boolean':
        return emit(v ? 'true' : 'false');
      case 'number':
        if (!Number.isFinite(v)) {
          failure = { path, reason: 'number is not finite' };
          return false;
        }
        return emit(JSON.stringify(v));
      case 'string':
        if (hasLoneSurrogate(v)) {
          failure = { path, reason: 'string holds a lone UTF-16 surrogate' };
          return false;
        }
        return emit(JSON.stringify(v));
      case 'object': {
        if (depth >= maxDepth) {
          failure = { path, reason: `nested deeper than ${maxDepth} levels` };
          return false;
        }
        if (Array.isArray(v)) {
          if (!emit('[')) return false;
          for (let i = 0; i < v.length; i++) {
            if (i > 0 && !emit(',')) return false;
            if (!walk(v[i], depth + 1, `${path}[${i}]`)) return false;
          }
          return emit(']');
        }
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          failure = { path, reason: 'not a plain JSON object' };
          return false;
        }
        const record = v as Record<string, unknown>;
        const keys = Object.keys(record).sort();
        if (!emit('{')) return false;
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as string;
          if (hasLoneSurrogate(key)) {
            failure = { path, reason: 'key holds a lone UTF-16 surrogate' };
            return false;
          }
          if (i > 0 && !emit(',')) return false;
          if (!emit(`${JSON.stringify(key)}:`)) return false;
          if (!walk(record[key], depth + 1, `${path}.${key}`)) return false;
        }
        return emit('}');
      }
      default:
        failure = { path, reason: `${typeof v} is not JSON` };
        return false;
    }
  };

  if (walk(value, 0, '')) return { ok: true, json: parts.join('') };
  const f = failure as { path: string; reason: string } | null;
  return { ok: false, path: f?.path ?? '', reason: f?.reason ?? 'not JSON' };
}

/** Canonical JSON of data already known to be valid JSON (e.g. the engine's own records). */
export function canonicalJson(value: unknown): string {
  const r = toCanonicalJson(value, 64);
  if (!r.ok) throw new TypeError(`canonicalJson: ${r.path || '(root)'}: ${r.reason}`);
  return r.json;
}

function hasLoneSurrogate(s: string): boolean {
  return !s.isWellFormed();
}
