// What a JSON field's name says about its value: {"last_name": "Smith"} is a surname even though
// "Smith" alone is no evidence, {"phone": "516 466 638"} is a phone number without a cue in the text.
// A hint either supplies the cue words the text detector would want ("phone: ...") or, for names and
// places, types the whole value when it has the shape of one.

import type { PiiType } from './types.js';

export type FieldHint =
  | { kind: 'cue'; cue: string }
  | { kind: 'whole'; type: PiiType; score: number; fits: (value: string) => boolean };

/** "firstName", "first_name", "First-Name" -> "first name". */
function wordsOfField(field: string): string {
  return field
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_\-.\s]+/g, ' ')
    .trim()
    .toLowerCase();
}

const NAME_SHAPE = /^[\p{L}\p{M}'’.\- ]{1,80}$/u;
const PLACE_SHAPE = /^[\p{L}\p{M}'’.()\- ]{2,60}$/u;
const ORG_SHAPE = /^[\p{L}\p{M}\p{N}'’.,&()\- ]{2,80}$/u;
const POSTCODE_SHAPE = /^(?=.{3,10}$)(?=.*\d)[A-Za-z0-9]{1,8}(?:[ -][A-Za-z0-9]{1,4})?$/;

/** Letters and a number or a comma, and not a memory, network or web address. */
function looksLikeStreetAddress(value: string): boolean {
  const v = value.trim();
  if (v.length < 5 || v.length > 200 || /:\/\/|@/.test(v) || /^(?:0x)?[0-9a-f:.]+$/i.test(v)) return false;
  return /\p{L}{3}/u.test(v) && /[\d,\n]/.test(v);
}

function wordCount(value: string): number {
  return value
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0).length;
}

const RULES: [RegExp, FieldHint][] = [
  [/\b(?:e ?mail|mail)\b/, { kind: 'cue', cue: 'email: ' }],
  [/\b(?:ip|ip address|ipv4|ipv6|client ip|remote addr)\b/, { kind: 'cue', cue: 'ip: ' }],
  [/\b(?:phone|tel|telephone|mobile|cell|fax|msisdn)\b/, { kind: 'cue', cue: 'phone: ' }],
  [/\b(?:ssn|social security(?: number)?)\b/, { kind: 'cue', cue: 'ssn: ' }],
  [/\b(?:dob|birth|birthday|birthdate|date of birth|born)\b/, { kind: 'cue', cue: 'date of birth: ' }],
  [/\bpassport\b/, { kind: 'cue', cue: 'passport number: ' }],
  [/\b(?:licen[cs]e|national id|tax id|id number|nino)\b/, { kind: 'cue', cue: 'id number: ' }],
  [/\b(?:iban|bank account|account number)\b/, { kind: 'cue', cue: 'iban: ' }],
  [/\b(?:card|cc|pan|card number|credit card)\b/, { kind: 'cue', cue: 'card: ' }],
  [
    /\b(?:zip|zip code|zipcode|postcode|post code|postal code|plz)\b/,
    { kind: 'whole', type: 'STREET_ADDRESS', score: 0.7, fits: (v) => POSTCODE_SHAPE.test(v.trim()) },
  ],
  [
    /\b(?:street|address|addr|address line|line ?1|line ?2|residence|home address|shipping address|billing address)\b/,
    { kind: 'whole', type: 'STREET_ADDRESS', score: 0.75, fits: looksLikeStreetAddress },
  ],
  [
    /\b(?:city|town|village|province|county|country|place of birth|birthplace)\b/,
    {
      kind: 'whole',
      type: 'LOCATION',
      score: 0.7,
      fits: (v) => PLACE_SHAPE.test(v.trim()) && wordCount(v) <= 5,
    },
  ],
  [
    /\b(?:company|employer|organization|organisation|org|firm)\b/,
    {
      kind: 'whole',
      type: 'ORGANIZATION',
      score: 0.65,
      fits: (v) => ORG_SHAPE.test(v.trim()) && /\p{L}{2}/u.test(v) && wordCount(v) <= 6,
    },
  ],
  [
    /^age$|\bage (?:years|yrs)\b/,
    { kind: 'whole', type: 'AGE', score: 0.7, fits: (v) => /^\d{1,3}$/.test(v.trim()) && Number(v) <= 125 },
  ],
  [
    /\b(?:first|last|middle|given|family|full|maiden|nick|display|contact|customer|holder|person|patient|employee|spouse|guardian) name\b|^(?:first|last|given|family|middle)$|\bsurname\b|\bf ?name\b|\bl ?name\b|^name$/,
    {
      kind: 'whole',
      type: 'PERSON',
      score: 0.75,
      fits: (v) => NAME_SHAPE.test(v.trim()) && /\p{L}/u.test(v) && wordCount(v) <= 5,
    },
  ],
];

/** Names of things that are not about a person even though they contain a hint word. */
const NOT_PERSONAL =
  /\b(?:file|host|domain|user|app|table|column|field|product|service|project|repo|branch|bucket|key|class|function|method|event|mac|email address|ip address|web|url|id)\b/;

/** The hint for a field name, if the name says what its value is. */
export function fieldHint(field: string | undefined): FieldHint | undefined {
  if (field === undefined || !/^[A-Za-z][A-Za-z0-9_ .-]{0,63}$/.test(field)) return undefined;
  const words = wordsOfField(field);
  for (const [pattern, hint] of RULES) {
    if (!pattern.test(words)) continue;
    if (hint.kind === 'whole' && NOT_PERSONAL.test(words)) return undefined;
    return hint;
  }
  return undefined;
}
