// Scanning and redacting JSON values (tool arguments, tool outputs) with a text detector, including
// values split over several fields. Each string (and number) leaf is scanned alone; then the scalar
// children of each object or array are joined in document order with one space and scanned again, and
// what that finds across a field boundary is mapped back to the leaves it covers. So {"first":"John",
// "last":"Smith"} yields one name in two parts, and a card number split over two fields is one card.
// Limits: only siblings are joined (not values in different objects), and keys are scanned only on request.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonPath = readonly (string | number)[];

/** The piece of one leaf a finding covers: offsets into that leaf's string (or number's JSON text). */
export interface JsonSpanPart {
  path: JsonPath;
  /** The span is in the object key at `path`, not in its value. */
  key?: true;
  start: number;
  end: number;
}

/** A leaf as detectors see it. `field` is the name of the property holding it, when there is one. */
export interface JsonLeaf {
  path: JsonPath;
  isKey: boolean;
  text: string;
  field: string | undefined;
}

export interface TextSpan {
  type: string;
  start: number;
  end: number;
}

export interface JsonScanOptions {
  /** Scan object keys as well as values. Default false. */
  keys?: boolean;
  /** Join sibling scalars to find values split across fields. Default true. */
  crossField?: boolean;
}

export interface JsonScanResult<F extends TextSpan> {
  /** The detector's finding; for a split value, offsets index the joined text, not a leaf. */
  finding: F;
  parts: JsonSpanPart[];
  /** The entity's whole text (parts joined), for keyed hashing of split values. */
  value: string;
}

export type JsonScanErrorCode = 'E_JSON_TOO_DEEP' | 'E_JSON_CYCLE' | 'E_JSON_VALUE';

export class JsonScanError extends Error {
  constructor(
    readonly code: JsonScanErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JsonScanError';
  }
}

/** Deepest nesting scanned; deeper input is refused rather than half scanned. */
export const MAX_JSON_DEPTH = 256;
const SEPARATOR = ' ';

function pathText(path: JsonPath): string {
  return path.length === 0
    ? '$'
    : `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
}

/** Scalar leaves of a container, in document order, and the nested containers to visit. */
function visit(
  value: JsonValue,
  path: (string | number)[],
  options: Required<JsonScanOptions>,
  groups: JsonLeaf[][],
  seen: Set<object>,
): void {
  if (path.length > MAX_JSON_DEPTH)
    throw new JsonScanError('E_JSON_TOO_DEEP', `nesting deeper than ${MAX_JSON_DEPTH} at ${pathText(path)}`);
  if (value === null || typeof value !== 'object') return;
  if (seen.has(value)) throw new JsonScanError('E_JSON_CYCLE', `cycle at ${pathText(path)}`);
  seen.add(value);
  const group: JsonLeaf[] = [];
  const entries: [string | number, JsonValue][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  for (const [k, v] of entries) {
    const childPath = [...path, k];
    if (typeof k === 'string' && options.keys)
      group.push({ path: childPath, isKey: true, text: k, field: undefined });
    if (typeof v === 'string')
      group.push({ path: childPath, isKey: false, text: v, field: typeof k === 'string' ? k : undefined });
    else if (typeof v === 'number') {
      if (!Number.isFinite(v))
        throw new JsonScanError('E_JSON_VALUE', `non-finite number at ${pathText(childPath)}`);
      group.push({
        path: childPath,
        isKey: false,
        text: JSON.stringify(v),
        field: typeof k === 'string' ? k : undefined,
      });
    } else if (v !== null && typeof v === 'object') visit(v, childPath, options, groups, seen);
    else if (v !== null && typeof v !== 'boolean') {
      throw new JsonScanError('E_JSON_VALUE', `not a JSON value at ${pathText(childPath)}`);
    }
  }
  groups.push(group);
  seen.delete(value);
}

/** Every leaf of `value`, grouped by the container holding it. A bare string or number is one leaf. */
export function jsonLeafGroups(value: JsonValue, options: JsonScanOptions = {}): JsonLeaf[][] {
  const resolved = { keys: options.keys ?? false, crossField: options.crossField ?? true };
  if (typeof value === 'string') return [[{ path: [], isKey: false, text: value, field: undefined }]];
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new JsonScanError('E_JSON_VALUE', 'non-finite number at $');
    return [[{ path: [], isKey: false, text: JSON.stringify(value), field: undefined }]];
  }
  const groups: JsonLeaf[][] = [];
  visit(value, [], resolved, groups, new Set());
  return groups;
}

/**
 * Runs `detectLeaf` on every leaf and `detectJoined` on every group of two or more sibling leaves;
 * keeps joined findings that cross a field boundary, and drops single-leaf findings they already cover.
 */
export function scanJson<F extends TextSpan>(
  value: JsonValue,
  detectLeaf: (leaf: JsonLeaf) => F[],
  detectJoined: (text: string) => F[],
  options: JsonScanOptions = {},
): JsonScanResult<F>[] {
  const crossField = options.crossField ?? true;
  const results: JsonScanResult<F>[] = [];
  for (const group of jsonLeafGroups(value, options)) {
    const single: JsonScanResult<F>[] = [];
    for (const leaf of group) {
      for (const f of detectLeaf(leaf)) {
        const part: JsonSpanPart = { path: leaf.path, start: f.start, end: f.end };
        if (leaf.isKey) part.key = true;
        single.push({ finding: f, parts: [part], value: leaf.text.slice(f.start, f.end) });
      }
    }
    const crossing: JsonScanResult<F>[] = [];
    const values = group.filter((l) => !l.isKey);
    if (crossField && values.length >= 2) {
      const offsets: number[] = [];
      let joined = '';
      for (const leaf of values) {
        offsets.push(joined.length);
        joined += leaf.text + SEPARATOR;
      }
      for (const f of detectJoined(joined)) {
        const parts: JsonSpanPart[] = [];
        for (let i = 0; i < values.length; i++) {
          const leaf = values[i];
          const from = offsets[i] ?? 0;
          if (leaf === undefined) continue;
          const start = Math.max(f.start, from) - from;
          const end = Math.min(f.end, from + leaf.text.length) - from;
          if (end > start) parts.push({ path: leaf.path, start, end });
        }
        if (parts.length >= 2) crossing.push({ finding: f, parts, value: joined.slice(f.start, f.end) });
      }
    }
    for (const s of single) {
      const [p] = s.parts;
      const covered = crossing.some(
        (c) =>
          c.finding.type === s.finding.type &&
          c.parts.some(
            (q) =>
              p !== undefined && !p.key && samePath(q.path, p.path) && q.start < p.end && p.start < q.end,
          ),
      );
      if (!covered) results.push(s);
    }
    results.push(...crossing);
  }
  return results;
}

function samePath(a: JsonPath, b: JsonPath): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A copy of `value` with every part replaced by `replace(part text, result)`. A number with a redacted
 * part becomes a string; a redacted key that collides with a sibling key gets a "#2", "#3" suffix.
 */
export function redactJsonParts<F extends TextSpan>(
  value: JsonValue,
  results: readonly JsonScanResult<F>[],
  redactText: (
    text: string,
    spans: { type: string; start: number; end: number; hashValue: string }[],
  ) => string,
): JsonValue {
  const byLeaf = new Map<string, { type: string; start: number; end: number; hashValue: string }[]>();
  for (const r of results) {
    for (const p of r.parts) {
      const id = `${p.key ? 'k' : 'v'}${JSON.stringify(p.path)}`;
      byLeaf.set(id, [
        ...(byLeaf.get(id) ?? []),
        { type: r.finding.type, start: p.start, end: p.end, hashValue: r.value },
      ]);
    }
  }
  const rewrite = (v: JsonValue, path: (string | number)[]): JsonValue => {
    if (typeof v === 'string' || typeof v === 'number') {
      const spans = byLeaf.get(`v${JSON.stringify(path)}`);
      if (spans === undefined) return v;
      return redactText(typeof v === 'string' ? v : JSON.stringify(v), spans);
    }
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item, i) => rewrite(item, [...path, i]));
    const out: { [key: string]: JsonValue } = {};
    for (const [k, item] of Object.entries(v)) {
      const keySpans = byLeaf.get(`k${JSON.stringify([...path, k])}`);
      let name = keySpans === undefined ? k : redactText(k, keySpans);
      if (name !== k && Object.hasOwn(out, name)) {
        let n = 2;
        while (Object.hasOwn(out, `${name}#${n}`)) n++;
        name = `${name}#${n}`;
      }
      out[name] = rewrite(item, [...path, k]);
    }
    return out;
  };
  return rewrite(value, []);
}
