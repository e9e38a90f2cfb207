// PII in JSON values: recursion into objects and arrays, keys left alone unless asked, field names as
// hints, and values split across fields (a name in first/last, an address in street/city, a card number
// in two fields) found as one entity and redacted everywhere.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  detectPiiInJson,
  JsonScanError,
  type JsonValue,
  MAX_JSON_DEPTH,
  redactPiiInJson,
} from '../../../src/inspect/pii/index.js';

test('strings and numbers are scanned at any depth; other values and keys are left alone', () => {
  const value: JsonValue = {
    'jane@example.org': true,
    users: [{ contact: { note: 'mail jane@example.org' } }, null, 42],
    card: 4111111111111111,
  };
  const { value: out } = redactPiiInJson(value);
  assert.deepEqual(out, {
    'jane@example.org': true,
    users: [{ contact: { note: 'mail <EMAIL_ADDRESS>' } }, null, 42],
    card: '<CREDIT_CARD>',
  });
  assert.deepEqual(
    value.users,
    [{ contact: { note: 'mail jane@example.org' } }, null, 42],
    'the input is not modified',
  );
});

test('keys are scanned and redacted when asked', () => {
  const { value, findings } = redactPiiInJson({ 'jane@example.org': 'owner' }, { keys: true });
  assert.deepEqual(value, { '<EMAIL_ADDRESS>': 'owner' });
  assert.deepEqual(findings[0]?.parts, [{ path: ['jane@example.org'], key: true, start: 0, end: 16 }]);
});

test('a person and an address spread over several fields are found and redacted (the EnforceCore miss)', () => {
  const record = { first: 'John', last: 'Smith', street: '12 Main St', city: 'Springfield' };
  const findings = detectPiiInJson(record, { includeText: true });
  const person = findings.find((f) => f.type === 'PERSON');
  assert.equal(person?.text, 'John Smith');
  assert.deepEqual(person?.parts, [
    { path: ['first'], start: 0, end: 4 },
    { path: ['last'], start: 0, end: 5 },
  ]);
  assert.deepEqual(redactPiiInJson(record).value, {
    first: '<PERSON>',
    last: '<PERSON>',
    street: '<STREET_ADDRESS>',
    city: '<LOCATION>',
  });
});

test('a card number split over two fields is one Luhn-checked card, redacted in both', () => {
  const payment = { card_part_1: '4111 1111', card_part_2: '1111 1111', amount: '12.00' };
  const [card] = detectPiiInJson(payment, { includeText: true });
  assert.equal(card?.type, 'CREDIT_CARD');
  assert.equal(card?.checksum_valid, true);
  assert.equal(card?.parts.length, 2);
  assert.deepEqual(redactPiiInJson(payment).value, {
    card_part_1: '<CREDIT_CARD>',
    card_part_2: '<CREDIT_CARD>',
    amount: '12.00',
  });
  // A split that fails the Luhn check is not a card.
  assert.deepEqual(detectPiiInJson({ a: '4111 1111', b: '1111 1112' }), []);
  // Both parts of a split value get the same keyed hash: the entity, not the fragment, is hashed.
  const hashed = redactPiiInJson(payment, { strategy: 'hash', hashKey: 'test-only-hmac-key-0123456789' })
    .value as Record<string, string>;
  assert.equal(hashed['card_part_1'], hashed['card_part_2']);
});

test('field names are hints: a bare surname, a phone without a cue, a birth date', () => {
  const { value } = redactPiiInJson({
    last_name: 'Nielsen',
    phone: '516 466 638',
    dob: '1991-06-24',
    state: 'running',
  });
  assert.deepEqual(value, {
    last_name: '<PERSON>',
    phone: '<PHONE_NUMBER>',
    dob: '<DATE_OF_BIRTH>',
    state: 'running',
  });
  assert.deepEqual(redactPiiInJson({ last_name: 'Nielsen' }, { fieldHints: false }).value, {
    last_name: 'Nielsen',
  });
});

test('cross-field joining can be turned off', () => {
  assert.deepEqual(detectPiiInJson({ a: '4111 1111', b: '1111 1111' }, { crossField: false }), []);
});

test('cycles, non-finite numbers and nesting deeper than MAX_JSON_DEPTH are refused, not half scanned', () => {
  const cyclic: Record<string, JsonValue> = {};
  (cyclic as Record<string, unknown>)['self'] = cyclic;
  assert.throws(
    () => detectPiiInJson(cyclic),
    (e: unknown) => e instanceof JsonScanError && e.code === 'E_JSON_CYCLE',
  );
  assert.throws(
    () => detectPiiInJson({ n: Number.NaN }),
    (e: unknown) => e instanceof JsonScanError && e.code === 'E_JSON_VALUE',
  );
  let deep: JsonValue = 'x';
  for (let i = 0; i <= MAX_JSON_DEPTH + 1; i++) deep = [deep];
  assert.throws(
    () => detectPiiInJson(deep),
    (e: unknown) => e instanceof JsonScanError && e.code === 'E_JSON_TOO_DEEP',
  );
});
