// Strips a secret from what a remote server answered before the agent sees it (DESIGN.md §9): the raw
// value and the forms an echoing or careless server turns it into: base64 and base64url (whole, and the
// part that survives at any of the three byte alignments, so the secret inside a longer base64 blob such
// as a Basic credential is found too), hex, URL-encoding (as encodeURIComponent writes it and with every
// byte escaped), JSON escaping (as JSON.stringify writes it, with "\/", and with every character
// \u-escaped), and UTF-16. Hex and percent escapes match in any letter case.

/** What replaces each occurrence: the secret's id, never any part of its value. */
export function strippedMarker(secretId: string): string {
  return `[REDACTED:vault:${secretId}]`;
}

/** The part of base64 text that depends only on `value`'s bytes, for each alignment in a longer text. */
function base64Cores(value: Buffer, alphabet: 'base64' | 'base64url'): string[] {
  const cores: string[] = [];
  for (let k = 0; k < 3; k++) {
    const text = Buffer.concat([Buffer.alloc(k), value]).toString(alphabet);
    const from = Math.ceil((8 * k) / 6);
    const to = Math.floor((8 * (k + value.length)) / 6);
    const core = text.slice(from, to);
    // Too short a core would match unrelated base64; the whole-value forms still cover short secrets.
    if (core.length >= 8) cores.push(core);
  }
  return cores;
}

function percentEveryByte(value: Buffer): string {
  return [...value].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function unicodeEscapeEveryChar(value: string): string {
  return [...value].map((c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`).join('');
}

/** The forms of `value` matched case-sensitively, and those matched in any case. */
export function secretForms(value: string): { exact: string[]; anyCase: string[] } {
  const bytes = Buffer.from(value, 'utf8');
  const json = JSON.stringify(value).slice(1, -1);
  const exact = [
    value,
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    ...base64Cores(bytes, 'base64'),
    ...base64Cores(bytes, 'base64url'),
    json,
    json.replaceAll('/', '\\/'),
    encodeURIComponent(value).replaceAll('%20', '+'),
    Buffer.from(value, 'utf16le').toString('latin1'),
    Buffer.from(value, 'utf16le').swap16().toString('latin1'),
  ];
  const anyCase = [
    bytes.toString('hex'),
    encodeURIComponent(value),
    percentEveryByte(bytes),
    unicodeEscapeEveryChar(value),
  ];
  const unique = (xs: string[]) => [...new Set(xs.filter((x) => x.length > 0))];
  return { exact: unique(exact), anyCase: unique(anyCase) };
}

const escapeRegExp = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

function alternation(forms: string[]): string {
  // Longest first, so a longer form is replaced whole before a shorter one inside it.
  return [...forms]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');
}

/** Strips every form of each of `values` (the secret, and the header value it was injected as). */
export class SecretStripper {
  private readonly exact: RegExp | null;
  private readonly anyCase: RegExp | null;
  /** Made on first use (header names only): most strippers never need it. */
  private everyFormAnyCase: RegExp | null | undefined;
  private readonly everyForm: string[];
  private readonly marker: string;
  /** Every form, lower-cased: what a held-back tail of streamed text is compared with. */
  private readonly lowered: string[];
  private readonly longest: number;

  constructor(secretId: string, values: readonly string[]) {
    const exact = new Set<string>();
    const anyCase = new Set<string>();
    for (const v of values) {
      const forms = secretForms(v);
      forms.exact.forEach((f) => exact.add(f));
      forms.anyCase.forEach((f) => anyCase.add(f));
    }
    this.exact = exact.size ? new RegExp(alternation([...exact]), 'g') : null;
    this.anyCase = anyCase.size ? new RegExp(alternation([...anyCase]), 'gi') : null;
    this.everyForm = this.exact ? [...exact, ...anyCase] : [];
    this.marker = strippedMarker(secretId);
    this.lowered = [...new Set([...exact, ...anyCase].map((f) => f.toLowerCase()))];
    this.longest = Math.max(0, ...this.lowered.map((f) => f.length));
  }

  /**
   * The length of the longest end of `text` that begins some form (in any letter case) without holding
   * all of it: what a stream must hold back until the next piece shows whether the form completes.
   */
  heldTail(text: string): number {
    for (let i = Math.max(0, text.length - this.longest + 1); i < text.length; i++) {
      const tail = text.slice(i).toLowerCase();
      if (this.lowered.some((f) => f.length > tail.length && f.startsWith(tail))) return text.length - i;
    }
    return 0;
  }

  /** A stripper for text that arrives in pieces, where a piece boundary may split a form. */
  stream(): StreamingStripper {
    return new StreamingStripper(this);
  }

  /**
   * `text` with every form replaced, and how many were. `anyCase` matches every form in any letter case
   * (for header names, which HTTP folds), at the price of more false matches.
   */
  stripText(text: string, anyCase = false): { text: string; count: number } {
    let count = 0;
    let out = text;
    if (anyCase && this.everyFormAnyCase === undefined)
      this.everyFormAnyCase = this.everyForm.length ? new RegExp(alternation(this.everyForm), 'gi') : null;
    for (const re of anyCase ? [this.everyFormAnyCase ?? null] : [this.exact, this.anyCase]) {
      if (!re) continue;
      out = out.replace(re, () => {
        count++;
        return this.marker;
      });
    }
    return { text: out, count };
  }

  /** The same over bytes (each byte one latin1 character, so any encoding's bytes are searched as they are). */
  stripBytes(bytes: Buffer): { bytes: Buffer; count: number } {
    const { text, count } = this.stripText(bytes.toString('latin1'));
    return { bytes: count === 0 ? bytes : Buffer.from(text, 'latin1'), count };
  }
}

/**
 * Strips text that arrives in pieces (streamed deltas): each piece is stripped together with what was
 * held back, and the end that could still be the beginning of a form is held back in turn, so no form
 * ever leaves split across two pieces. What is held is at most one form's length less one character,
 * and usually nothing; flush() gives it at the end of the stream.
 */
export class StreamingStripper {
  private pending = '';
  /** How many forms were replaced so far. */
  count = 0;

  constructor(private readonly stripper: SecretStripper) {}

  /** The text that may be sent now. */
  push(piece: string): string {
    const { text, count } = this.stripper.stripText(this.pending + piece);
    this.count += count;
    const hold = this.stripper.heldTail(text);
    this.pending = text.slice(text.length - hold);
    return text.slice(0, text.length - hold);
  }

  /** What is held back (no whole form is: it was stripped), at the end of the stream. */
  flush(): string {
    const out = this.pending;
    this.pending = '';
    return out;
  }

  get holding(): boolean {
    return this.pending !== '';
  }
}
