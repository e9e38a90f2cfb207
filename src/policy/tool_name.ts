// Tool names are compared after Unicode NFKC, removal of invisible characters, case folding and
// homoglyph folding, so `se\u0430rch_web` (Cyrillic а), `SEARCH_WEB` and `ｓｅａｒｃｈ_web` all name `search_web`.

/**
 * Upper-case Cyrillic and Greek letters that look like Latin capitals. Applied before lower-casing,
 * because lower-casing can turn a look-alike capital into a letter that no longer looks Latin
 * (Greek Η, which looks like H, lower-cases to η, which looks like n).
 */
// prettier-ignore
const UPPER_CONFUSABLES: Readonly<Record<string, string>> = {
  // Greek
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  // Cyrillic
  А: 'A', В: 'B', Е: 'E', Ѕ: 'S', І: 'I', Ј: 'J', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T',
  Х: 'X', Ү: 'Y', Ԛ: 'Q', Ԝ: 'W',
};

/** Lower-case Cyrillic, Greek and Latin-extension letters that look like a Latin lower-case letter. */
// prettier-ignore
const LOWER_CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', ѐ: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', н: 'h',
  о: 'o', р: 'p', ԛ: 'q', с: 'c', ѕ: 's', т: 't', у: 'y', ү: 'y', ԝ: 'w', х: 'x', ԁ: 'd', ɡ: 'g',
  // Greek
  α: 'a', β: 'b', ε: 'e', ζ: 'z', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u',
  χ: 'x', γ: 'y', ω: 'w',
  // Latin look-alikes NFKC keeps
  ı: 'i', ȷ: 'j',
};

/** Characters that render as nothing: zero-width space/joiners, word joiner, BOM, soft hyphen, bidi marks. */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;

/** The name a policy and the evaluator compare: NFKC, invisibles removed, confusables folded, lower case. */
export function canonicalToolName(name: string): string {
  let s = name.normalize('NFKC').replace(INVISIBLE, '').trim();
  s = Array.from(s, (c) => UPPER_CONFUSABLES[c] ?? c).join('');
  // Upper then lower approximates full case folding (ß → SS → ss, final sigma).
  s = s.toUpperCase().toLowerCase();
  s = Array.from(s, (c) => LOWER_CONFUSABLES[c] ?? c).join('');
  return s.normalize('NFKC');
}

/** The fold tables, for the documentation and tests. */
export const CONFUSABLE_TABLES = { upper: UPPER_CONFUSABLES, lower: LOWER_CONFUSABLES } as const;
