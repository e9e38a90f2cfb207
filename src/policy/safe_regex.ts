// Argument patterns come from policy authors but run against agent-controlled text, so a pattern that
// can backtrack exponentially is refused at compile time: bounded length, no backreferences or
// lookaround, and no quantified group that itself holds a quantifier or an alternation.

export const MAX_PATTERN_LENGTH = 256;

/** Returns null when `pattern` is in the safe subset, else why not. */
export function unsafePatternReason(pattern: string): string | null {
  if (pattern.length === 0) return 'pattern is empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'u');
  } catch {
    return 'pattern is not a valid regular expression';
  }
  // For each open group: does it hold a quantifier or an alternation?
  const groups: { risky: boolean }[] = [];
  let lastClosedRisky = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed';
      i++;
      lastClosedRisky = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastClosedRisky = false;
      continue;
    }
    if (c === '(') {
      if (
        pattern.startsWith('(?=', i) ||
        pattern.startsWith('(?!', i) ||
        pattern.startsWith('(?<=', i) ||
        pattern.startsWith('(?<!', i)
      )
        return 'lookaround is not allowed';
      groups.push({ risky: false });
      lastClosedRisky = false;
      if (pattern.startsWith('(?:', i)) i += 2;
      else if (pattern.startsWith('(?<', i)) i = pattern.indexOf('>', i);
      continue;
    }
    if (c === ')') {
      const g = groups.pop();
      lastClosedRisky = g?.risky ?? false;
      // A group containing a risky group is risky too.
      const parent = groups[groups.length - 1];
      if (parent && lastClosedRisky) parent.risky = true;
      continue;
    }
    if (c === '|') {
      const top = groups[groups.length - 1];
      if (top) top.risky = true;
      lastClosedRisky = false;
      continue;
    }
    const isQuantifier =
      c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (isQuantifier) {
      if (lastClosedRisky && c !== '?')
        return 'a quantified group holds a quantifier or alternation (nested quantifiers can backtrack exponentially)';
      const top = groups[groups.length - 1];
      if (top) top.risky = true;
      if (c === '{') i = pattern.indexOf('}', i);
      lastClosedRisky = false;
      continue;
    }
    lastClosedRisky = false;
  }
  return null;
}
