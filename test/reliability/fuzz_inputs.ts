// Generators of hostile input for the fuzz suites (test/reliability/fuzz.test.ts, `npm run stress -- fuzz`):
// JSON written as text (so duplicate and `__proto__` keys reach the parser as sent), deep nesting, huge
// strings, lone surrogates, bidi and NUL characters, malformed JSON and bytes that are not UTF-8.

import fc from 'fast-check';

/** Keys that pollute a prototype when a parser or a merge treats them as ordinary. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** A JSON payload as sent, and whether it is malformed by construction (no schema may accept it). */
export interface Payload {
  /** The body's bytes: text, or a Buffer when it is not valid UTF-8. */
  body: string | Buffer;
  malformed: boolean;
  /** A short description for a failure report (never the whole body: it can be megabytes). */
  label: string;
}

const TRICKY = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udc00y',
  '\u202e\u2066evil\u2069',
  '\u200b\u200d\ufeff',
  '\u0085\u2028\u2029',
  '%00',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '{{7*7}}',
  'cpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
];

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...TRICKY), fc.integer({ min: 100, max: 70_000 }))
      .map(([s, n]) => (s || 'A').repeat(Math.ceil(n / Math.max(1, s.length)))),
  },
);

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom('envelope', 'tool', 'args', 'name', 'role', 'token', 'content') },
);

const NUMBER_TEXTS = [
  '0',
  '-0',
  '1e309',
  '-1e309',
  '1e-400',
  '9007199254740993',
  '9'.repeat(400),
  '0.1',
  '-1',
  '1E2',
];

const leafText: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  fc.constantFrom(...NUMBER_TEXTS),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : '0')),
  fc.constantFrom('true', 'false', 'null'),
);

/** Any JSON value as text, with duplicate keys and prototype keys kept literally. */
export const hostileJsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafText,
    fc
      .array(fc.tuple(hostileKey, tie('value')), { maxLength: 6 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    fc.array(tie('value'), { maxLength: 6 }).map((items) => `[${items.join(',')}]`),
  ),
})).value;

/** Nesting deep enough to overflow a recursive walker: arrays, objects, or both. */
export const deepNesting: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.constantFrom('array', 'object', 'mixed'))
  .map(([n, kind]) =>
    kind === 'array'
      ? `${'['.repeat(n)}${']'.repeat(n)}`
      : kind === 'object'
        ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`
        : `${'{"a":['.repeat(n / 2)}1${']}'.repeat(n / 2)}`,
  );

const MALFORMED_JSON = [
  '',
  '{',
  '}',
  '{"a":1,}',
  "{'a':1}",
  '{"a":NaN}',
  '{"a":undefined}',
  '{"a":1}/*c*/',
  '// c\n{}',
  '{"a":"\\ud800"',
  '{"a":"\\x41"}',
  '{"a" 1}',
  '[1,2',
  'null null',
  '{"a":1}{"b":2}',
  '"unterminated',
  '{"a":01}',
  '{"a":.5}',
  '{"a":+1}',
  '{"a":0x10}',
  '{"\u0000":1',
];

/** Bytes that are not UTF-8 (overlong, surrogates encoded, truncated sequences) inside JSON strings. */
const BAD_UTF8: fc.Arbitrary<Buffer> = fc
  .constantFrom([0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80])
  .map((bytes) => Buffer.concat([Buffer.from('{"content":"'), Buffer.from(bytes), Buffer.from('"}')]));

/** The limit of the gateway's body parser; a body over it must be a 413, never read whole. */
export function overLimit(limit: number): Payload {
  return {
    body: `{"content":"${'A'.repeat(limit + 16)}"}`,
    malformed: true,
    label: `over the limit (${limit + 30} bytes)`,
  };
}

/** Replaces one field of `template`, or a field of an object inside it, with a hostile value. */
function replacedField(template: Record<string, unknown>): fc.Arbitrary<Payload> {
  const paths: string[][] = Object.entries(template).flatMap(([k, v]) => [
    [k],
    ...(isObject(v) ? Object.keys(v).map((inner) => [k, inner]) : []),
  ]);
  if (paths.length === 0)
    return hostileJsonText.map((v) => ({ body: `{"x":${v}}`, malformed: true, label: 'extra key x' }));
  return fc.tuple(fc.constantFrom(...paths), hostileJsonText).map(([path, value]) => {
    const copy = structuredClone(template);
    const [first, second] = path as [string, string | undefined];
    if (second === undefined) copy[first] = PLACEHOLDER;
    else (copy[first] as Record<string, unknown>)[second] = PLACEHOLDER;
    return {
      body: JSON.stringify(copy).replace(JSON.stringify(PLACEHOLDER), value),
      malformed: false,
      label: `${path.join('.')} replaced by ${value.slice(0, 40)}`,
    };
  });
}

const PLACEHOLDER = '\u0000fuzz-placeholder\u0000';

/** `template` with one more key its closed schema does not have (a prototype key, often), at the top or one level down. */
function extraKey(template: Record<string, unknown>): fc.Arbitrary<Payload> {
  const nested = Object.keys(template).filter((k) => isObject(template[k]));
  return fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...PROTO_KEYS),
        hostileString.map((s) => `x-fuzz-${s}`),
      ),
      fc.oneof(
        fc.constant('{"polluted":"yes"}'),
        fc.constant('{"prototype":{"polluted":"yes"}}'),
        hostileJsonText,
      ),
      fc.constantFrom(null, ...nested),
    )
    .map(([key, value, inside]) => {
      const entry = `${JSON.stringify(key)}:${value}`;
      const fields = (o: Record<string, unknown>) =>
        Object.keys(o).map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`);
      const top = fields(template);
      if (inside === null)
        return {
          body: `{${[...top, entry].join(',')}}`,
          malformed: true,
          label: `extra key ${JSON.stringify(key).slice(0, 40)}`,
        };
      const inner = fields(template[inside] as Record<string, unknown>);
      const rest = Object.keys(template)
        .filter((k) => k !== inside)
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(template[k])}`);
      return {
        body: `{${[...rest, `${JSON.stringify(inside)}:{${[...inner, entry].join(',')}}`].join(',')}}`,
        malformed: true,
        label: `extra key ${JSON.stringify(key).slice(0, 40)} in ${inside}`,
      };
    });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A body for a route whose valid shape is `template`: mutated, hostile, malformed, deep or huge. */
export function payloadFor(template: Record<string, unknown>, limit: number): fc.Arbitrary<Payload> {
  return fc.oneof(
    { weight: 4, arbitrary: replacedField(template) },
    { weight: 4, arbitrary: extraKey(template) },
    {
      weight: 3,
      arbitrary: hostileJsonText.map((text) => ({
        body: text,
        malformed: !text.startsWith('{'),
        label: `hostile JSON ${text.slice(0, 40)}`,
      })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...MALFORMED_JSON)
        .map((t) => ({ body: t, malformed: true, label: `malformed ${JSON.stringify(t)}` })),
    },
    {
      weight: 1,
      arbitrary: BAD_UTF8.map((b) => ({ body: b, malformed: true, label: `bad UTF-8 ${b.toString('hex')}` })),
    },
    {
      weight: 1,
      arbitrary: deepNesting.map((t) => ({
        body: t,
        malformed: true,
        label: `nesting ${t.length / 2} deep (${t.slice(0, 8)}...)`,
      })),
    },
    { weight: 1, arbitrary: fc.constant(overLimit(limit)).map((p) => p) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"__proto__":{"polluted":"yes"}}',
          '{"constructor":{"prototype":{"polluted":"yes"}}}',
          '{"__proto__":{"__proto__":{"polluted":"yes"}}}',
          '[{"__proto__":{"polluted":"yes"}}]',
        )
        .map((t) => ({ body: t, malformed: true, label: `pollution ${t}` })),
    },
  );
}

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16le',
  'application/jsonx',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json, text/plain',
  null,
] as const;

/** A content type: JSON mostly; any other, or none, makes a body malformed for a JSON route. */
export const contentType: fc.Arbitrary<{ value: string | null; json: boolean }> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ value: 'application/json', json: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...CONTENT_TYPES).map((value) => ({
      value,
      // What a JSON body parser may take as JSON; anything else is refused or read as text.
      json:
        value === 'application/json' ||
        value === 'application/json; charset=utf-8' ||
        value === 'APPLICATION/JSON',
    })),
  },
);

/** A path segment: a plausible id, or bytes percent-encoded (NUL, invalid UTF-8, dots, slashes, very long). */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '1',
    '0',
    '-1',
    '999999999999999999999',
    'agent:fuzz-agent',
    'rev_0',
    '..',
    '%2e%2e',
    '%00',
    '%',
    '%zz',
    'a%2Fb',
  ),
  fc
    .uint8Array({ maxLength: 48 })
    .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') || 'x'),
  fc.integer({ min: 90, max: 9000 }).map((n) => 'A'.repeat(n)),
);

/** A query string: prototype keys, brackets, repeats, hostile bytes. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(
              '__proto__',
              '__proto__[polluted]',
              'constructor[prototype][polluted]',
              'limit',
              'after',
              'before',
              'nonce',
              'session',
              'a[]',
              'kind',
            ),
            pathSegment,
          ),
          fc.oneof(
            fc.constantFrom('yes', '-1', '1e309', 'NaN', '', '0', '999999999999', 'true'),
            pathSegment,
          ),
        ),
        { maxLength: 5 },
      )
      .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  },
);

export const WRONG_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;

/** What stands in an Authorization header when it is not a real key. */
export const badAuthorization: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Bearer cpk_',
    'Bearer cpk_not-a-real-key',
    'Basic YWRtaW46YWRtaW4=',
    'bearer  cpk_x',
    'DPoP cpk_x',
    `Bearer ${'A'.repeat(9000)}`,
  ),
  fc
    .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 })
    .map((s) => `Bearer ${s}`),
);
