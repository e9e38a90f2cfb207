// The stripper as a property: whatever text surrounds it, and in whichever supported form (raw, base64
// at any alignment, base64url, hex in any case, URL-encoded, JSON-escaped, UTF-16), a secret put in is
// not there after stripping; and text without the secret comes out unchanged.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SecretStripper, strippedMarker } from '../../../src/executors/http/secret_stripper.js';

const printable = fc.string({
  unit: fc.constantFrom(
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+:= '.split(''),
  ),
});
const secretArb = fc.string({
  minLength: 12,
  maxLength: 64,
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+: '.split('')),
});

type Encoder = (secret: string, prefix: string) => string;
const encoders: Record<string, Encoder> = {
  raw: (s) => s,
  base64: (s, p) => Buffer.from(p + s).toString('base64'),
  base64url: (s, p) => Buffer.from(p + s + p).toString('base64url'),
  hexLower: (s) => Buffer.from(s).toString('hex'),
  hexUpper: (s) => Buffer.from(s).toString('hex').toUpperCase(),
  url: (s) => encodeURIComponent(s),
  form: (s) => encodeURIComponent(s).replaceAll('%20', '+'),
  json: (s) => JSON.stringify(s).slice(1, -1),
  utf16: (s) => Buffer.from(s, 'utf16le').toString('latin1'),
};

function decodedContains(text: string, secret: string, name: string, prefix: string): boolean {
  switch (name) {
    case 'base64':
    case 'base64url':
      return Buffer.from(text, name === 'base64' ? 'base64' : 'base64url')
        .toString('latin1')
        .includes(secret);
    default:
      return text.includes(encoders[name]?.(secret, prefix) ?? secret);
  }
}

test('property: an encoded secret anywhere in the text is gone after stripping', () => {
  fc.assert(
    fc.property(
      secretArb,
      printable,
      printable,
      fc.constantFrom(...Object.keys(encoders)),
      fc.string({ maxLength: 2 }),
      (secret, before, after, name, prefix) => {
        const stripper = new SecretStripper('s', [secret]);
        const encoded = (encoders[name] as Encoder)(secret, prefix);
        const { text, count } = stripper.stripText(`${before}${encoded}${after}`);
        assert.ok(count >= 1, `${name}: nothing found`);
        if (name === 'base64' || name === 'base64url') {
          // The marker breaks the blob: what remains decodes to no copy of the secret.
          for (const piece of text.split(strippedMarker('s')))
            assert.ok(!decodedContains(piece, secret, name, prefix));
        } else assert.ok(!text.includes(encoded), `${name} survived`);
      },
    ),
    { numRuns: 400 },
  );
});

test('property: text that holds no form of the secret passes unchanged', () => {
  // Punctuation only: no letter, digit or % that any form of a secret could be made of.
  const punctuation = fc.string({ unit: fc.constantFrom(...'!#&()*,;<>?@[]^{}~ \n'.split('')) });
  fc.assert(
    fc.property(secretArb, punctuation, (secret, text) => {
      const out = new SecretStripper('s', [secret]).stripText(text);
      assert.equal(out.count, 0);
      assert.equal(out.text, text);
    }),
  );
});

test('bytes: the secret among non-UTF-8 bytes is stripped and the other bytes are kept', () => {
  const stripper = new SecretStripper('gh', ['ghp_secretvalue123456']);
  const input = Buffer.concat([
    Buffer.from([0xff, 0x00]),
    Buffer.from('ghp_secretvalue123456'),
    Buffer.from([0x80]),
  ]);
  const { bytes, count } = stripper.stripBytes(input);
  assert.equal(count, 1);
  assert.deepEqual(
    bytes,
    Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from('[REDACTED:vault:gh]'), Buffer.from([0x80])]),
  );
});

test('streamed in pieces cut anywhere, a secret in any form never leaves, and clean text leaves whole', () => {
  fc.assert(
    fc.property(
      printable,
      printable,
      secretArb,
      fc.constantFrom(...Object.keys(encoders)),
      fc.array(fc.nat(), { maxLength: 8 }),
      (before, after, secret, name, cuts) => {
        const stripper = new SecretStripper('s', [secret]);
        const encoded = (encoders[name] as Encoder)(secret, '');
        const whole = `${before}${encoded}${after}`;
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const pieces: string[] = [];
        let from = 0;
        for (const p of [...points, whole.length]) {
          pieces.push(whole.slice(from, p));
          from = p;
        }
        const stream = stripper.stream();
        const sent = pieces.map((p) => stream.push(p));
        sent.push(stream.flush());
        // No piece sent, nor what they make together, holds the form that went in.
        const joined = sent.join('');
        assert.ok(!joined.includes(encoded), `${name} form left in ${JSON.stringify(joined)}`);
        assert.ok(joined.includes(strippedMarker('s')));
        // Text without the secret: everything arrives, in order, unchanged.
        const clean = stripper.stream();
        const cleanSent = [before, after].map((p) => clean.push(p)).join('') + clean.flush();
        if (stripper.stripText(`${before}${after}`).count === 0) assert.equal(cleanSent, `${before}${after}`);
      },
    ),
    { numRuns: 300 },
  );
});
