// Unknown fields are rejected, not ignored (DESIGN.md §3): one check shared by every engine input shape.

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Returns null when `value` is a plain object with all `required` keys and no key outside `allowed`. */
export function checkFields(
  value: unknown,
  path: string,
  required: readonly string[],
  optional: readonly string[],
): string | null {
  if (!isPlainObject(value)) return `${path}: must be an object`;
  for (const key of required) if (value[key] === undefined) return `${path}.${key}: required`;
  for (const key of Object.keys(value))
    if (!required.includes(key) && !optional.includes(key)) return `${path}: unknown field "${key}"`;
  return null;
}

/** A bounded, non-empty string of printable characters, or a message saying why not. */
export function checkBoundedString(value: unknown, path: string, max: number, min = 1): string | null {
  if (typeof value !== 'string') return `${path}: must be a string`;
  if (value.length < min) return `${path}: must not be empty`;
  if (value.length > max) return `${path}: longer than ${max} characters`;
  if (!value.isWellFormed()) return `${path}: holds a lone UTF-16 surrogate`;
  return null;
}

/** Bound violations are reported as E_INPUT_TOO_LARGE; every checker here words them "longer/larger than". */
export function isSizeProblem(detail: string): boolean {
  return / (longer|larger) than /.test(detail);
}
