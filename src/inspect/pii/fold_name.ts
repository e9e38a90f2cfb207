// Accent folding for name and place look-ups: "Ágnes" and "agnes", "Søren" and "soren" are the same key.

const SPECIAL: Readonly<Record<string, string>> = {
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  ð: 'd',
  þ: 'th',
  ł: 'l',
  đ: 'd',
  ı: 'i',
  ħ: 'h',
  ŧ: 't',
  ŋ: 'n',
};
const NON_ASCII = /[^\x00-\x7f]/;
const MARKS = /\p{M}/gu;
const SPECIALS = /[øæœßðþłđıħŧŋ]/g;

/** Folded form of each lower-case Latin-1 and Latin Extended-A letter (U+00E0-U+017F), '' when none. */
const LATIN_FOLD: readonly string[] = (() => {
  const table: string[] = [];
  for (let c = 0xe0; c <= 0x17f; c++) {
    const ch = String.fromCharCode(c).toLowerCase();
    const folded = ch
      .normalize('NFD')
      .replace(MARKS, '')
      .replace(SPECIALS, (x) => SPECIAL[x] ?? x);
    table[c - 0xe0] = /^[a-z]{1,2}$/.test(folded) ? folded : '';
  }
  return table;
})();

/** Lower-cased, accents removed, a few letters without a decomposition spelled out. */
export function foldName(word: string): string {
  const lower = word.toLowerCase();
  if (!NON_ASCII.test(lower)) return lower;
  // Latin letters (the common case) by table; anything else through Unicode decomposition.
  let out = '';
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c < 0x80) out += lower.charAt(i);
    else if (c >= 0xe0 && c <= 0x17f && (LATIN_FOLD[c - 0xe0] ?? '') !== '') out += LATIN_FOLD[c - 0xe0];
    else return slowFold(lower);
  }
  return out;
}

function slowFold(lower: string): string {
  return lower
    .normalize('NFD')
    .replace(MARKS, '')
    .replace(SPECIALS, (c) => SPECIAL[c] ?? c);
}

/**
 * A matcher for "ends with one of these" over folded keys: endings (two characters or more) indexed by their last two
 * characters, so a test costs one slice and one look-up whatever the number of endings.
 */
export function endingMatcher(endings: readonly string[], minStem: number): (key: string) => boolean {
  const byTail = new Map<string, string[]>();
  for (const e of endings) {
    const tail = e.slice(-2);
    byTail.set(tail, [...(byTail.get(tail) ?? []), e]);
  }
  return (key: string): boolean => {
    const list = byTail.get(key.slice(-2));
    if (list === undefined) return false;
    for (const e of list) if (key.length >= e.length + minStem && key.endsWith(e)) return true;
    return false;
  };
}
