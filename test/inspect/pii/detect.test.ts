// detectPii as a specification: every entity type found with validated values, checksums decide,
// offsets index the original text (also through Unicode normalisation), and the result is deterministic.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { detectPii, type PiiFinding, type PiiType } from '../../../src/inspect/pii/index.js';
import { isIbanValid } from '../../../src/inspect/pii/iban.js';
import { isLuhnValid } from '../../../src/inspect/pii/luhn.js';
import { isUsItin, isUsSsnValid } from '../../../src/inspect/pii/us_ssn.js';

function found(text: string, type: PiiType): string[] {
  return detectPii(text, { includeText: true })
    .filter((f) => f.type === type)
    .map((f) => f.text ?? '');
}

function only(text: string): [PiiType, string][] {
  return detectPii(text, { includeText: true }).map((f) => [f.type, f.text ?? '']);
}

test('e-mail addresses are found; a dotted word with an @ but no domain is not', () => {
  assert.deepEqual(found('write to jane.doe+ops@example.co.uk today', 'EMAIL_ADDRESS'), [
    'jane.doe+ops@example.co.uk',
  ]);
  assert.deepEqual(found('mail Ærøskøbing@exämple.dk.', 'EMAIL_ADDRESS'), ['Ærøskøbing@exämple.dk']);
  assert.deepEqual(found('not an address: a@b, x@y.z, @handle', 'EMAIL_ADDRESS'), []);
});

test('phone numbers: international, national with a cue, NANP; lists of small numbers are not phones', () => {
  assert.deepEqual(found('call +44 20 7946 0958 now', 'PHONE_NUMBER'), ['+44 20 7946 0958']);
  assert.deepEqual(found('Phone: 0490 75 40 81', 'PHONE_NUMBER'), ['0490 75 40 81']);
  assert.deepEqual(found('reach me on (555) 123-4567 x89', 'PHONE_NUMBER'), ['(555) 123-4567 x89']);
  assert.deepEqual(found('fax: +41 (0)96 471 07 95', 'PHONE_NUMBER'), ['+41 (0)96 471 07 95']);
  assert.deepEqual(found('dimensions 1 2 3 4 5 6 7 8', 'PHONE_NUMBER'), []);
  assert.deepEqual(found('released on 2024-01-17 12:00', 'PHONE_NUMBER'), []);
});

test('a Luhn-valid card number is a credit card; the same number with one digit changed is not', () => {
  const valid = '4111 1111 1111 1111';
  const invalid = '4111 1111 1111 1112';
  assert.equal(isLuhnValid(valid.replace(/ /g, '')), true);
  assert.equal(isLuhnValid(invalid.replace(/ /g, '')), false);
  const [card] = detectPii(`card ${valid} exp 12/29`, { includeText: true });
  assert.equal(card?.type, 'CREDIT_CARD');
  assert.equal(card?.text, valid);
  assert.equal(card?.checksum_valid, true);
  assert.ok(!detectPii(`card ${invalid}`).some((f) => f.type === 'CREDIT_CARD'));
  assert.deepEqual(found('amex 3782-822463-10005 and 5555555555554444', 'CREDIT_CARD'), [
    '3782-822463-10005',
    '5555555555554444',
  ]);
});

test('a valid IBAN is found (printed or compact, any case); a wrong check digit or length is not an IBAN', () => {
  const iban = 'GB82 WEST 1234 5698 7654 32';
  assert.equal(isIbanValid(iban.replace(/ /g, '')), true);
  assert.deepEqual(found(`pay to ${iban} please`, 'IBAN_CODE'), [iban]);
  assert.deepEqual(found('iban de89370400440532013000.', 'IBAN_CODE'), ['de89370400440532013000']);
  const [f] = detectPii('IBAN DE89370400440532013000');
  assert.equal(f?.checksum_valid, true);
  assert.equal(isIbanValid('GB83WEST12345698765432'), false);
  assert.deepEqual(found('IBAN GB83WEST12345698765432', 'IBAN_CODE'), []);
  assert.deepEqual(found('IBAN DE8937040044053201300', 'IBAN_CODE'), []);
});

test('US SSNs in the issuable ranges and ITINs are found; other shapes only where the text calls them an SSN', () => {
  assert.deepEqual(found("Here's my SSN: 078-05-1121", 'US_SSN'), ['078-05-1121']);
  assert.deepEqual(found('ssn 856-45-6789', 'US_SSN'), ['856-45-6789']);
  // ITINs: 9XX with group 50-65, 70-88, 90-92 or 94-99.
  assert.deepEqual(found('ITIN 987-65-4321 on the W-7', 'US_SSN'), ['987-65-4321']);
  assert.deepEqual(found('taxpayer 912-70-3456 filed', 'US_SSN'), ['912-70-3456']);
  // Not issuable and not called an SSN: not reported.
  for (const bad of ['666-12-3456', '912-12-3456', '078-05-1120', '123-45-6789'])
    assert.deepEqual(found(`ref ${bad} closed`, 'US_SSN'), [], bad);
  // Called an SSN: protected as one, even a sample number (leaking it leaks what was recorded).
  for (const labelled of ['666-12-3456', '912-12-3456', '078-05-1120', '123-45-6789'])
    assert.deepEqual(found(`SSN: ${labelled}`, 'US_SSN'), [labelled], labelled);
  // A zero group is never a number anyone holds.
  for (const zero of ['000-12-3456', '123-00-4567', '123-45-0000'])
    assert.deepEqual(found(`SSN: ${zero}`, 'US_SSN'), [], zero);
  assert.equal(isUsSsnValid('899', '99', '9999'), true);
  assert.equal(isUsSsnValid('900', '12', '3456'), false);
  assert.equal(isUsItin('900', '70', '3456'), true);
  assert.equal(isUsItin('900', '69', '3456'), false);
});

test('IPv4 and IPv6 addresses are validated: octets over 255 and malformed groups are not addresses', () => {
  assert.deepEqual(found('client 203.0.113.7 connected', 'IP_ADDRESS'), ['203.0.113.7']);
  assert.deepEqual(found('from 2001:db8:85a3::8a2e:370:7334.', 'IP_ADDRESS'), [
    '2001:db8:85a3::8a2e:370:7334',
  ]);
  assert.deepEqual(found('host 256.1.1.1 and 1.2.3', 'IP_ADDRESS'), []);
  assert.deepEqual(found('at 12:30:45 on 2001:db8:::1', 'IP_ADDRESS'), []);
  assert.deepEqual(found('version 1.2.3.4 released', 'IP_ADDRESS'), []);
});

test('passport and identity document numbers are found after their cue, not without it', () => {
  assert.deepEqual(found('Passport no. X1234567 issued 2019', 'PASSPORT'), ['X1234567']);
  assert.deepEqual(found("driver's license: D1234-5678-90", 'ID_NUMBER'), ['D1234-5678-90']);
  assert.deepEqual(found('ticket X1234567 closed', 'PASSPORT'), []);
});

test('dates of birth are found with a birth cue; other dates are not personal data', () => {
  assert.deepEqual(found('She was born on 2/8/1935.', 'DATE_OF_BIRTH'), ['2/8/1935']);
  assert.deepEqual(found('DOB: 1984-11-30', 'DATE_OF_BIRTH'), ['1984-11-30']);
  assert.deepEqual(found('date of birth 3rd of March 1990', 'DATE_OF_BIRTH'), ['3rd of March 1990']);
  assert.deepEqual(found('the release of 2/8/1935 was late; born 13/13/1990', 'DATE_OF_BIRTH'), []);
});

test('ages are found in "N years old", "aged N" and "N-year-old"', () => {
  assert.deepEqual(found('Mr. Smith is a 36 year old man', 'AGE'), ['36']);
  assert.deepEqual(found('aged 71, retired', 'AGE'), ['71']);
  assert.deepEqual(found('turned 60 degrees', 'AGE'), []);
});

test('street addresses: street with number and type, units, PO and military boxes, multi-line blocks', () => {
  assert.deepEqual(found('I live at 12 Main Street, Springfield, IL 62704.', 'STREET_ADDRESS'), [
    '12 Main Street, Springfield, IL 62704',
  ]);
  assert.deepEqual(found('Via Roma 131 is closed', 'STREET_ADDRESS'), ['Via Roma 131']);
  assert.deepEqual(found('Lieferung an Hauptstraße 5, Berlin', 'STREET_ADDRESS'), ['Hauptstraße 5, Berlin']);
  assert.deepEqual(found('PSC 3294, Box 9168\nAPO AA 61487', 'STREET_ADDRESS'), [
    'PSC 3294, Box 9168\nAPO AA 61487',
  ]);
  assert.deepEqual(found('Koskikatu 25 Apt. 864\nOulu\nFinland 90100', 'STREET_ADDRESS'), [
    'Koskikatu 25 Apt. 864\nOulu\nFinland 90100',
  ]);
  assert.deepEqual(found('Article 50 of the Treaty', 'STREET_ADDRESS'), []);
});

test('person names: title, cue, given name with surname, surname ending, contact card; common words are not names', () => {
  assert.deepEqual(found('Hello, this is Dr. Kyle Kuefer. Who are you?', 'PERSON'), ['Kyle Kuefer']);
  assert.deepEqual(found('my name is vitoria', 'PERSON'), ['vitoria']);
  assert.deepEqual(found('I want to add Laila Hansen as a beneficiary', 'PERSON'), ['Laila Hansen']);
  assert.deepEqual(found('the report by Jana Novotná arrived', 'PERSON'), ['Jana Novotná']);
  assert.deepEqual(
    found('Capitalized words like Wisdom and Discipline are often mistaken with names.', 'PERSON'),
    [],
  );
  assert.deepEqual(found('Will my account stay active? Grant access to May reports.', 'PERSON'), []);
});

test('places of residence and organisations with a legal suffix or an employment cue', () => {
  assert.deepEqual(found('We moved here from Tjæreborg', 'LOCATION'), ['Tjæreborg']);
  assert.deepEqual(found('I used to work for Acme Widgets as a clerk', 'ORGANIZATION'), ['Acme Widgets']);
  assert.deepEqual(found('invoice from Civic Impulse LLC', 'ORGANIZATION'), ['Civic Impulse LLC']);
});

test('offsets index the original text, also through fullwidth digits and zero-width characters', () => {
  const text = 'ｃａｒｄ：４１１１\u200b１１１１\u200b１１１１\u200b１１１１ ok';
  const [card] = detectPii(text, { includeText: true });
  assert.equal(card?.type, 'CREDIT_CARD');
  assert.equal(card?.text, '４１１１\u200b１１１１\u200b１１１１\u200b１１１１');
  assert.equal(text.slice(card?.start, card?.end), card?.text);
  const email = 'x\u200b@';
  assert.deepEqual(only(`mail ｊｏｅ@ｅｘａｍｐｌｅ.ｃｏｍ ${email}`), [
    ['EMAIL_ADDRESS', 'ｊｏｅ@ｅｘａｍｐｌｅ.ｃｏｍ'],
  ]);
});

test('findings carry no text unless asked, are sorted, do not overlap, and respect types and minScore', () => {
  const text = 'Call John Smith on +1 555 123 4567 or mail john@example.com; card 4111111111111111.';
  const findings = detectPii(text);
  assert.ok(findings.length >= 3);
  for (const f of findings) assert.equal(f.text, undefined);
  for (let i = 1; i < findings.length; i++)
    assert.ok((findings[i]?.start ?? 0) >= (findings[i - 1]?.end ?? 0));
  assert.deepEqual(
    detectPii(text, { types: ['EMAIL_ADDRESS'] }).map((f) => f.type),
    ['EMAIL_ADDRESS'],
  );
  assert.ok(detectPii(text, { minScore: 1 }).every((f) => f.score >= 1));
  assert.throws(() => detectPii(text, { types: ['NOPE' as PiiType] }), TypeError);
  assert.throws(() => detectPii(text, { minScore: 2 }), RangeError);
});

test('detection is deterministic and every finding maps to its own text (property)', () => {
  const pieces = fc.constantFrom(
    'John Smith',
    ' ',
    ', ',
    '4111 1111 1111 1111',
    'GB82 WEST 1234 5698 7654 32',
    'call +44 20 7946 0958',
    'jane@example.org',
    '12 Main Street',
    '\n',
    'Apt. 5',
    '１２３',
    '\u200b',
    'é',
    'the quick brown fox',
  );
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      const a: PiiFinding[] = detectPii(text, { includeText: true });
      const b: PiiFinding[] = detectPii(text, { includeText: true });
      assert.deepEqual(a, b);
      for (const f of a) assert.equal(text.slice(f.start, f.end), f.text);
    }),
    { numRuns: 300 },
  );
});
