// Is a candidate secret a real random value or a placeholder? Shannon entropy per character, plus the
// placeholder shapes entropy alone lets through: repeated units ("abcabcabc"), runs of consecutive
// characters ("abcdef0123456789"), and the words people write instead of a key ("EXAMPLE", "your_key").

/** Shannon entropy of `value` in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  const n = [...value].length;
  for (const k of counts.values()) {
    const p = k / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const PLACEHOLDER_WORDS =
  /example|sample|dummy|placeholder|your[_-]?|redacted|changeme|replace[_-]?me|insert[_-]?|xxxx|\*\*\*|\.\.\.|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%[sd]\b|^\$[A-Z_]+$/i;

/** True when the value is made of one short unit repeated ("abab...", "000000"). */
function isRepetition(value: string): boolean {
  for (let unit = 1; unit <= 4 && unit * 3 <= value.length; unit++) {
    let repeated = true;
    for (let i = unit; i < value.length; i++) {
      if (value[i] !== value[i % unit]) {
        repeated = false;
        break;
      }
    }
    if (repeated) return true;
  }
  return false;
}

/** True when most neighbouring characters are consecutive ("abcdefgh", "12345678"). */
function isSequence(value: string): boolean {
  if (value.length < 8) return false;
  let steps = 0;
  for (let i = 1; i < value.length; i++) {
    const d = value.charCodeAt(i) - value.charCodeAt(i - 1);
    if (d === 1 || d === -1) steps++;
  }
  return steps / (value.length - 1) >= 0.6;
}

/** True when `value` reads as a placeholder rather than a secret. */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_WORDS.test(value) || isRepetition(value) || isSequence(value);
}

/** A random-looking value: not a placeholder, and at least `minBits` bits of entropy per character. */
export function looksRandom(value: string, minBits: number): boolean {
  return !isPlaceholder(value) && shannonEntropy(value) >= minBits;
}
