// Recognisers for PII with a fixed shape: e-mail, phone, payment card, IBAN, US SSN, IP address,
// passport and other identity-document numbers, dates of birth and ages. Shape finds candidates,
// a validator (checksum, range, parser) or context words decide. Every regular expression starts with
// a negative look-behind on its own alphabet and uses bounded repetition only, so a scan costs at most
// a constant per input position (no catastrophic backtracking; see test/inspect/pii/redos.test.ts).

import { isIPv4, isIPv6 } from 'node:net';
import { type Candidate, clampScore, contextAfter, contextBefore, hasCue, wordsBefore } from './candidate.js';
import { ibanLength, isIbanValid } from './iban.js';
import { isLuhnValid } from './luhn.js';
import { isUsItin, isUsSsnValid } from './us_ssn.js';

// E-mail addresses are found from their "@": a character loop reads the local part leftwards (at most
// 64 characters), a sticky pattern reads the domain. No pattern runs at positions without an "@".
const EMAIL_DOMAIN = /(?:[\p{L}\p{N}-]{1,63}\.){1,8}\p{L}{2,24}(?![\p{L}\p{N}-])/uy;
const EMAIL_LOCAL_NON_ASCII = /^[\p{L}\p{N}]$/u;

function isEmailLocalChar(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c < 128) {
    return (
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 46 ||
      c === 95 ||
      c === 37 ||
      c === 43 ||
      c === 39 ||
      c === 45
    );
  }
  return EMAIL_LOCAL_NON_ASCII.test(text.charAt(at));
}
const EMAIL_CUE: ReadonlySet<string> = new Set([
  'email',
  'e',
  'mail',
  'contact',
  'write',
  'reach',
  'address',
]);

export function recognizeEmails(text: string, out: Candidate[]): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && isEmailLocalChar(text, start - 1)) start--;
    if (start === at || (start > 0 && isEmailLocalChar(text, start - 1))) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    const domainMatch = EMAIL_DOMAIN.exec(text);
    if (domainMatch === null) continue;
    const local = text.slice(start, at);
    if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) continue;
    const domain = domainMatch[0];
    if (domain.split('.').some((l) => l.length === 0 || l.startsWith('-') || l.endsWith('-'))) continue;
    const end = at + 1 + domain.length;
    const score = hasCue(wordsBefore(text, start), EMAIL_CUE) ? 1 : 0.9;
    out.push({ type: 'EMAIL_ADDRESS', start, end, score });
    at = end - 1;
  }
}

// A leading single digit ("1-800-...", "0 800 ...") only before a group of three; later groups have two
// digits or more, so "1 2 3 4" never starts a match.
const PHONE =
  /(?<![\p{L}\p{N}_+./-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?(?:\d[ .-]?(?=\(?\d{3}))?(?:\(\d{1,5}\)[ .-]?)?\d{2,12}(?:[ .-]\d{2,12}){0,6}(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\p{L}\p{N}_]|[./-]\d)/gu;
const PHONE_CUE: ReadonlySet<string> = new Set(
  `phone phones tel telephone mobile cell cellphone fax call called calling dial ring contact reach text sms message
messages whatsapp hotline desk landline voicemail answering number ph mob m t f`.split(/\s+/),
);
const NOT_PHONE_CUE: ReadonlySet<string> = new Set(
  `card credit debit account acct iban invoice order ssn security routing ref reference ticket serial zip postcode
postal passport license licence id version build isbn amount total price usd eur`.split(/\s+/),
);
const NANP = /^(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?$/;
const DATE_LIKE = /^(?:\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{4})(?:\s\d{1,2})?$/;
const IPV4_LIKE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function recognizePhones(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(PHONE)) {
    if (m[0].length < 7) continue;
    const value = m[0].trimEnd();
    const main = value.replace(/\s?(?:x|ext\.?|extension)\s?\d{1,6}$/, '');
    const digits = main.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) continue;
    if (DATE_LIKE.test(main) || IPV4_LIKE.test(main)) continue;
    const groups = main.split(/[ .()-]+/).filter((g) => g.length > 0);
    // "1 2 3 4 5 6 7" is a list, not a number: at most two groups of one digit (country code, trunk 0).
    if (groups.filter((g) => g.length === 1).length > 2) continue;
    let score = 0.3;
    if (main.startsWith('+')) score += 0.3;
    if (NANP.test(value)) score += 0.25;
    if (main.includes('(')) score += 0.1;
    if (main !== value) score += 0.15;
    if (groups.length >= 3) score += 0.1;
    const before = wordsBefore(text, m.index, 4, 40);
    if (hasCue(before.slice(0, 2), NOT_PHONE_CUE)) score -= 0.3;
    else if (hasCue(before, PHONE_CUE)) score += 0.4;
    out.push({ type: 'PHONE_NUMBER', start: m.index, end: m.index + value.length, score: clampScore(score) });
  }
}

// Contiguous digits, or groups of 3 to 6 digits with one kind of separator.
const CARD =
  /(?<![\p{L}\p{N}_.,/-])(?:\d{12,19}|\d{3,6}([ -])\d{3,6}(?:\1\d{3,6}){0,4})(?![\p{L}\p{N}_]|[.,/-]\d)/gu;
const CARD_CUE: ReadonlySet<string> = new Set(
  'card credit debit visa mastercard amex discover jcb diners maestro unionpay cc pan payment pay charge cardholder'.split(
    ' ',
  ),
);

/** Issuer ranges (first digits and lengths) of the card networks in use. */
function isKnownIssuer(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  if (digits.startsWith('4')) return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p4 >= 3000 && p4 <= 3059) || p4 === 3095)
    return n >= 14 && n <= 19; // Diners
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p4 === 2131 || p4 === 1800) return n === 15; // JCB (legacy)
  if (p4 === 6011 || p2 === 65 || (p4 >= 6440 && p4 <= 6499) || p2 === 62) return n >= 16 && n <= 19; // Discover, UnionPay
  if (p4 >= 2200 && p4 <= 2204) return n >= 16 && n <= 19; // Mir
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro and other debit
  return false;
}

/** The usual length of a network's cards: a 16-digit Visa is likelier than a 19-digit one. */
function standardLength(digits: string): number {
  const p2 = Number(digits.slice(0, 2));
  if (p2 === 34 || p2 === 37) return 15;
  if (p2 === 36 || p2 === 30 || p2 === 38) return 14;
  return 16;
}

export function recognizeCards(text: string, out: Candidate[]): void {
  CARD.lastIndex = 0;
  for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
    // Whole groups only; among valid prefixes the network's usual length, else the longest, wins
    // ("4111 1111 1111 1111 516" is a 16-digit card followed by a number).
    const groups = m[0].split(/[ -]/);
    const valid: number[] = [];
    for (let k = groups.length; k >= 1; k--) {
      const digits = groups.slice(0, k).join('');
      if (digits.length < 12 || digits.length > 19) continue;
      if (!isLuhnValid(digits) || /^(\d)\1+$/.test(digits)) continue;
      valid.push(k);
    }
    const first = valid[0];
    if (first === undefined) continue;
    const usual = valid.find((k) => {
      const digits = groups.slice(0, k).join('');
      return digits.length === standardLength(digits);
    });
    const k = usual ?? first;
    const digits = groups.slice(0, k).join('');
    const end = m.index + groups.slice(0, k).join(' ').length;
    let score = isKnownIssuer(digits) ? 0.85 : 0.45;
    if (hasCue(wordsBefore(text, m.index, 4, 48), CARD_CUE)) score += 0.15;
    out.push({ type: 'CREDIT_CARD', start: m.index, end, score: clampScore(score), checksum_valid: true });
    CARD.lastIndex = end;
  }
}

const IBAN = /(?<![\p{L}\p{N}_])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){8,32}/gu;
const IBAN_CUE: ReadonlySet<string> = new Set(
  'iban account acct bank transfer wire sepa bic swift'.split(' '),
);

export function recognizeIbans(text: string, out: Candidate[]): void {
  IBAN.lastIndex = 0;
  for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
    const value = m[0];
    const length = ibanLength(value.slice(0, 2));
    if (length === undefined) continue;
    // Walk to the country's length in letters and digits; the value must end there.
    let seen = 0;
    let end = 0;
    while (end < value.length && seen < length) {
      if (value[end] !== ' ') seen++;
      end++;
    }
    if (seen < length) continue;
    const next = text.charAt(m.index + end);
    if (/[\p{L}\p{N}_]/u.test(next)) continue;
    const compact = value.slice(0, end).replace(/ /g, '');
    if (!isIbanValid(compact)) continue;
    const score = hasCue(wordsBefore(text, m.index, 4, 48), IBAN_CUE) ? 1 : 0.95;
    out.push({ type: 'IBAN_CODE', start: m.index, end: m.index + end, score, checksum_valid: true });
    IBAN.lastIndex = m.index + end;
  }
}

const SSN = /(?<![\p{L}\p{N}_./-])(\d{3})([ -]?)(\d{2})\2(\d{4})(?![\p{L}\p{N}_]|[./-]\d)/gu;
const SSN_CUE: ReadonlySet<string> = new Set([
  'ssn',
  'ssns',
  'social security',
  'social sec',
  'soc sec',
  'ss',
  'ssa',
  'taxid',
  'tax id',
  'tin',
  'itin',
]);

export function recognizeUsSsns(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(SSN)) {
    const [, area = '', sep = '', group = '', serial = ''] = m;
    const cued = hasCue(wordsBefore(text, m.index, 5, 48), SSN_CUE);
    let score: number;
    if (isUsSsnValid(area, group, serial) || isUsItin(area, group, serial))
      score = (sep === '-' ? 0.65 : sep === ' ' ? 0.4 : 0.3) + (cued ? 0.35 : 0);
    // A number the text itself calls an SSN or tax id is protected as one even when it could not have
    // been issued (a sample number, a typo): leaking it still leaks what the data holder recorded.
    else if (cued && sep !== '' && Number(area) !== 0 && Number(group) !== 0 && Number(serial) !== 0)
      score = 0.6;
    else continue;
    out.push({ type: 'US_SSN', start: m.index, end: m.index + m[0].length, score: clampScore(score) });
  }
}

// IPv4 is found from its digits and IPv6 from its colons, with the left boundary checked in code:
// a look-behind first would be tried at every position of the text (an order of magnitude slower).
const IPV4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\p{L}\p{N}_]|\.\d)/gu;
/** Two groups at least ("a::b", "2001:db8::1"); the bare "::" and "::1" are not personal data. */
const IPV6_HINT = /[0-9A-Fa-f]:(?:[0-9A-Fa-f]{1,4}:|:)/g;
const IPV6_AT = /[0-9A-Fa-f]{1,4}:(?:[0-9A-Fa-f]{1,4}:|:)[0-9A-Fa-f:.]{1,39}(?![\p{L}\p{N}_:])/uy;
const IP_BOUNDARY = /[\p{L}\p{N}_:.]/u;
const IPV4_BOUNDARY = /[\p{L}\p{N}_.]/u;
const IP_CUE: ReadonlySet<string> = new Set(
  'ip ips ipv4 ipv6 address addr host client server from src dst source remote peer'.split(' '),
);
const VERSION_CUE: ReadonlySet<string> = new Set('version ver v release build firmware rev'.split(' '));

export function recognizeIpAddresses(text: string, out: Candidate[]): void {
  IPV4.lastIndex = 0;
  for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
    if (m.index > 0 && IPV4_BOUNDARY.test(text.charAt(m.index - 1))) continue;
    if (!isIPv4(m[0])) continue;
    const before = wordsBefore(text, m.index, 3, 32);
    let score = 0.85;
    if (before[0] !== undefined && VERSION_CUE.has(before[0])) score = 0.3;
    else if (hasCue(before, IP_CUE)) score = 0.95;
    out.push({ type: 'IP_ADDRESS', start: m.index, end: m.index + m[0].length, score });
  }
  if (!text.includes(':')) return;
  IPV6_HINT.lastIndex = 0;
  for (let h = IPV6_HINT.exec(text); h !== null; h = IPV6_HINT.exec(text)) {
    let start = h.index;
    while (start > 0 && h.index - start < 3 && isHex(text.charCodeAt(start - 1))) start--;
    if (start > 0 && IP_BOUNDARY.test(text.charAt(start - 1))) continue;
    IPV6_AT.lastIndex = start;
    const m = IPV6_AT.exec(text);
    if (m === null) continue;
    let value = m[0];
    while (value.endsWith('.')) value = value.slice(0, -1);
    IPV6_HINT.lastIndex = start + m[0].length;
    const groups = value.split(':').filter((g) => g.length > 0).length;
    if (groups < 2 || !isIPv6(value)) continue;
    const score = groups >= 3 ? (hasCue(wordsBefore(text, start), IP_CUE) ? 0.95 : 0.85) : 0.35;
    out.push({ type: 'IP_ADDRESS', start, end: start + value.length, score });
  }
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Document numbers after a cue naming the document ("passport no. X", "driver's license: X"). */
const PASSPORT_CUE = /\bpassport\b/giu;
const ID_CUE =
  /\b(?:driver'?s?'? licen[cs]e|driving licen[cs]e|licen[cs]e (?:number|no\.?|#)|dl ?#|national id|national identity|identity card|id card|id (?:number|no\.?|#)|personal id|personnummer|national insurance(?: number)?|nino|dni|nie|codice fiscale|bsn|aadhaar|tax (?:id|number)|tin)\b/giu;
const DOC_VALUE =
  /^[^\p{L}\p{N}\n]{0,6}(?:(?:number|num|no|nr|#|id)\.?[^\p{L}\p{N}\n]{0,4})?(?:is[^\p{L}\p{N}\n]{1,3})?([A-Za-z0-9](?:[A-Za-z0-9-]{0,18}[A-Za-z0-9])?)(?![\p{L}\p{N}])/u;

function recognizeDocumentNumbers(
  text: string,
  cue: RegExp,
  type: 'PASSPORT' | 'ID_NUMBER',
  out: Candidate[],
): void {
  for (const c of text.matchAll(cue)) {
    const after = c.index + c[0].length;
    const m = DOC_VALUE.exec(text.slice(after, after + 48));
    const value = m?.[1];
    if (m === null || value === undefined) continue;
    const digits = value.replace(/\D/g, '').length;
    if (digits < 4 || value.length < 5) continue;
    const start = after + m[0].length - value.length;
    out.push({ type, start, end: start + value.length, score: 0.85 });
  }
}

/** Substrings one of which every ID_CUE match contains: a cheap test before the regular expression. */
const ID_CUE_HINTS = [
  'licen',
  'dl',
  'id',
  'person',
  'insurance',
  'nino',
  'dni',
  'nie',
  'fiscale',
  'bsn',
  'aadhaar',
  'tax',
  'tin',
];

export function recognizeDocuments(text: string, lower: string, out: Candidate[]): void {
  if (lower.includes('passport')) recognizeDocumentNumbers(text, PASSPORT_CUE, 'PASSPORT', out);
  if (ID_CUE_HINTS.some((h) => lower.includes(h))) recognizeDocumentNumbers(text, ID_CUE, 'ID_NUMBER', out);
}

const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const DATE = new RegExp(
  '(?<![\\p{L}\\p{N}_\\/.-])(?:' +
    '\\d{1,4}([\\/.-])\\d{1,2}\\1\\d{1,4}' +
    `|\\d{1,2}(?:st|nd|rd|th)?\\s(?:of\\s)?${MONTH},?\\s\\d{4}` +
    `|${MONTH}\\s\\d{1,2}(?:st|nd|rd|th)?,?\\s\\d{4}` +
    ')(?![\\p{L}\\p{N}_]|[\\/.-]\\d)',
  'giu',
);
const BIRTH_CUE =
  /\b(?:born|birth|birthday|birthdate|dob|d\.o\.b\.?|date of birth|geboren|geb\.|née|né|nacido|nacida|nato|nata)\b[^\n]{0,32}$/;

/** A numeric date with a plausible day, month and 4-digit year in one of the usual orders. */
function isPlausibleNumericDate(value: string): boolean {
  const parts = value.split(/[/.-]/).map(Number);
  if (parts.length !== 3) return true; // textual month: the regex already constrained it
  const [a = 0, b = 0, c = 0] = parts;
  const year = a > 999 ? a : c;
  if (year < 1850 || year > 2100) return false;
  const [x, y] = a > 999 ? [b, c] : [a, b];
  const monthDay = (m: number, d: number): boolean => m >= 1 && m <= 12 && d >= 1 && d <= 31;
  return monthDay(x, y) || monthDay(y, x);
}

const BIRTH_HINTS = ['born', 'birth', 'dob', 'd.o.b', 'geb', 'né', 'nacid', 'nato', 'nata'];

export function recognizeDatesOfBirth(text: string, lower: string, out: Candidate[]): void {
  if (!BIRTH_HINTS.some((h) => lower.includes(h))) return;
  for (const m of text.matchAll(DATE)) {
    if (!/[a-z]/i.test(m[0]) && !isPlausibleNumericDate(m[0])) continue;
    if (!BIRTH_CUE.test(contextBefore(text, m.index, 48))) continue;
    out.push({ type: 'DATE_OF_BIRTH', start: m.index, end: m.index + m[0].length, score: 0.85 });
  }
}

const AGE_AFTER =
  /(?<![\p{L}\p{N}_.,])(\d{1,3})(?:\s|-)(?:years?|yrs?)(?:\s|-)old\b|(?<![\p{L}\p{N}_.,])(\d{1,3})\s?y\/o\b/giu;
const AGE_BEFORE = /\b(?:aged|age|age of|turned|turns|turning)\s?:?\s(\d{1,3})(?![\p{L}\p{N}_]|[.,]\d)/giu;

export function recognizeAges(text: string, lower: string, out: Candidate[]): void {
  if (!lower.includes('old') && !lower.includes('y/o') && !lower.includes('age') && !lower.includes('turn'))
    return;
  for (const m of text.matchAll(AGE_AFTER)) {
    const value = m[1] ?? m[2] ?? '';
    if (Number(value) > 125) continue;
    out.push({ type: 'AGE', start: m.index, end: m.index + value.length, score: 0.75 });
  }
  for (const m of text.matchAll(AGE_BEFORE)) {
    const value = m[1] ?? '';
    if (Number(value) > 125) continue;
    const start = m.index + m[0].length - value.length;
    // "turned 60 degrees" is not an age: a unit after the number vetoes.
    if (
      /^\s?(?:%|degrees?|°|times|percent|km|miles?|minutes?|seconds?|hours?|days?)\b/.test(
        contextAfter(text, start + value.length, 12),
      )
    ) {
      continue;
    }
    out.push({ type: 'AGE', start, end: start + value.length, score: 0.7 });
  }
}

/** Every regular expression above, for the ReDoS tests (test/inspect/pii/redos.test.ts). */
export const STRUCTURED_PATTERNS: readonly RegExp[] = [
  EMAIL_DOMAIN,
  EMAIL_LOCAL_NON_ASCII,
  PHONE,
  NANP,
  DATE_LIKE,
  IPV4_LIKE,
  CARD,
  IBAN,
  SSN,
  IPV4,
  IPV6_HINT,
  IPV6_AT,
  IP_BOUNDARY,
  IPV4_BOUNDARY,
  PASSPORT_CUE,
  ID_CUE,
  DOC_VALUE,
  DATE,
  AGE_AFTER,
  AGE_BEFORE,
];
