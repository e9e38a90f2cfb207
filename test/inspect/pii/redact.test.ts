// redactPii and the shared strategies: placeholder, format-keeping mask, keyed hash, removal. No
// detected value survives in the output, and the hash is keyed (HMAC), stable and linkable.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { detectPii, RedactionError, redactPii } from '../../../src/inspect/pii/index.js';

const TEXT =
  'Jane Doe (jane.doe@example.com, +44 20 7946 0958) paid with 4111 1111 1111 1111 from 12 Main Street.';
const KEY = 'test-only-hmac-key-0123456789abcdef';

function values(text: string): string[] {
  return detectPii(text, { includeText: true }).map((f) => f.text ?? '');
}

test('placeholder names the type of each finding', () => {
  const { text, findings } = redactPii(TEXT);
  assert.equal(
    text,
    '<PERSON> (<EMAIL_ADDRESS>, <PHONE_NUMBER>) paid with <CREDIT_CARD> from <STREET_ADDRESS>.',
  );
  assert.equal(findings.length, 5);
});

test('mask keeps the format: letters and digits become *, separators stay', () => {
  const { text } = redactPii('card 4111-1111-1111-1111, mail a.b@example.org', { strategy: 'mask' });
  assert.equal(text, 'card ****-****-****-****, mail *.*@*******.***');
  assert.equal(
    redactPii('card 4111 1111 1111 1111', { strategy: 'mask', maskChar: '#' }).text,
    'card #### #### #### ####',
  );
});

test('remove deletes the value', () => {
  assert.equal(redactPii('mail jane@example.org now', { strategy: 'remove' }).text, 'mail  now');
});

test('hash is an HMAC under the caller key: stable, linkable across formats, different under another key', () => {
  const a = redactPii('card 4111 1111 1111 1111', { strategy: 'hash', hashKey: KEY }).text;
  const b = redactPii('card 4111-1111-1111-1111', { strategy: 'hash', hashKey: KEY }).text;
  const c = redactPii('card 4111 1111 1111 1111', { strategy: 'hash', hashKey: `${KEY}-other` }).text;
  assert.match(a, /^card <CREDIT_CARD:[0-9a-f]{16}>$/);
  assert.equal(a, b);
  assert.notEqual(a, c);
  // Not a bare hash of the value, which anyone could recompute for every card number.
  const bare = createHash('sha256').update('4111111111111111').digest('hex').slice(0, 16);
  assert.ok(!a.includes(bare));
  assert.match(
    redactPii('card 4111 1111 1111 1111', { strategy: 'hash', hashKey: KEY, hashLength: 32 }).text,
    /:[0-9a-f]{32}>/,
  );
});

test('hash without a key of 16 bytes or more, or an unknown strategy, is refused with a code', () => {
  assert.throws(
    () => redactPii(TEXT, { strategy: 'hash' }),
    (e: unknown) => e instanceof RedactionError && e.code === 'E_REDACTION_KEY',
  );
  assert.throws(
    () => redactPii(TEXT, { strategy: 'hash', hashKey: 'short' }),
    (e: unknown) => e instanceof RedactionError && e.code === 'E_REDACTION_KEY',
  );
  assert.throws(
    // @ts-expect-error an unknown strategy, as a caller without types could pass
    () => redactPii(TEXT, { strategy: 'encrypt' }),
    (e: unknown) => e instanceof RedactionError && e.code === 'E_REDACTION_OPTIONS',
  );
});

test('no detected value survives in the output of any strategy', () => {
  const secrets = values(TEXT);
  assert.ok(secrets.length >= 5);
  for (const strategy of ['placeholder', 'mask', 'hash', 'remove'] as const) {
    const out = redactPii(TEXT, { strategy, hashKey: KEY }).text;
    for (const v of secrets) assert.ok(!out.includes(v), `${strategy} leaked ${v}`);
  }
});

test('redaction is idempotent: redacted text has nothing left to redact', () => {
  const once = redactPii(TEXT).text;
  assert.equal(redactPii(once).text, once);
});
