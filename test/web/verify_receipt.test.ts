// The browser's receipt verifier (web/src/receipt/verify_receipt.ts, Web Crypto) and the library's
// (src/audit/receipt.ts, node:crypto) must reach the same verdict on every receipt: real receipts from a
// real log verify in both; each single change to a receipt (any field of the entry, any byte of the
// proof or the checkpoint note, the key) fails in both. Run here on Node's Web Crypto, which has Ed25519.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { hashLeaf, MerkleTree } from '../../src/audit/merkle.js';
import { makeReceipt, type Receipt, verifyReceipt } from '../../src/audit/receipt.js';
import { sealEntry } from '../../src/audit/entry.js';
import { generateSigningKey, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import { formatVerifierKey } from '../../src/crypto/signed_note.js';
import { parseVerifierKeyText, verifyReceiptInBrowser } from '../../web/src/receipt/verify_receipt.js';

const ORIGIN = 'carapace.test/receipts';
const key = generateSigningKey(ORIGIN);
const vkeyText = formatVerifierKey(verifierKeyOf(key));
const nodeKey = verifierKeyOf(key);

/** A log of `n` entries with one checkpoint over all of them; receipts for any seq. */
function log(n: number): { receipt(seq: number): Receipt } {
  const tree = new MerkleTree();
  const entries: ReturnType<typeof sealEntry>['entry'][] = [];
  let prev = `sha256:${'0'.repeat(64)}`;
  for (let seq = 0; seq < n; seq++) {
    const sealed = sealEntry(
      seq,
      new Date(1_790_000_000_000 + seq).toISOString(),
      seq % 3 ? 'decision' : 'ingest',
      { seq, note: `entry ${seq} ✓` },
      prev,
    );
    tree.append(sealed.leafHash);
    entries.push(sealed.entry);
    prev = sealed.entry.hash;
  }
  const note = signCheckpoint({ origin: ORIGIN, size: n, rootHash: tree.root(n) }, key);
  return {
    receipt: (seq) =>
      makeReceipt(entries[seq] as (typeof entries)[number], tree.inclusionProof(seq, n), note),
  };
}

async function both(receipt: unknown): Promise<[boolean, boolean, string]> {
  const node = verifyReceipt(receipt, nodeKey);
  const browser = await verifyReceiptInBrowser(receipt, await parseVerifierKeyText(vkeyText));
  return [
    node.ok,
    browser.ok,
    `node: ${node.ok ? 'ok' : node.problem} / browser: ${browser.ok ? 'ok' : browser.problem}`,
  ];
}

test('receipts of a real log verify in the browser verifier as in the library', async () => {
  for (const n of [1, 2, 3, 7, 8, 33]) {
    const l = log(n);
    for (let seq = 0; seq < n; seq++) {
      const [node, browser, why] = await both(l.receipt(seq));
      assert.equal(node, true, why);
      assert.equal(browser, true, why);
    }
  }
  assert.equal(hashLeaf(Buffer.from('x')).length, 32);
});

test('property: any single change to a receipt fails in both verifiers', async () => {
  const l = log(13);
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 12 }),
      fc.constantFrom('entry-field', 'proof-char', 'note-char', 'index', 'format', 'drop-proof-line'),
      fc.nat(),
      fc.string({ minLength: 1, maxLength: 4 }),
      async (seq, how, at, text) => {
        const receipt = structuredClone(l.receipt(seq)) as Receipt & { entry: Record<string, unknown> };
        const proofEnd = receipt.tlog_proof.indexOf('\n\n');
        if (how === 'entry-field') {
          const field = ['seq', 'ts', 'kind', 'payload', 'prev', 'hash'][at % 6] as string;
          receipt.entry[field] =
            field === 'seq'
              ? (seq + 1 + (at % 5)) % 13
              : field === 'payload'
                ? { changed: text }
                : `${String(receipt.entry[field])}${text}`;
        } else if (how === 'proof-char' || how === 'note-char') {
          const from = how === 'proof-char' ? 0 : proofEnd + 2;
          const to = how === 'proof-char' ? proofEnd : receipt.tlog_proof.length;
          const i = from + (at % (to - from));
          const old = receipt.tlog_proof[i] as string;
          const replacement = old === 'A' ? 'B' : 'A';
          receipt.tlog_proof = receipt.tlog_proof.slice(0, i) + replacement + receipt.tlog_proof.slice(i + 1);
        } else if (how === 'index') {
          receipt.tlog_proof = receipt.tlog_proof.replace(
            /^index \d+$/m,
            `index ${(seq + 1 + (at % 12)) % 13}`,
          );
        } else if (how === 'format') {
          (receipt as { format: string }).format = `carapace.receipt/v${2 + (at % 3)}`;
        } else {
          const lines = receipt.tlog_proof.slice(0, proofEnd).split('\n');
          if (lines.length <= 2) return; // no proof hash to drop (a one-entry tree)
          lines.splice(2 + (at % (lines.length - 2)), 1);
          receipt.tlog_proof = `${lines.join('\n')}${receipt.tlog_proof.slice(proofEnd)}`;
        }
        const [node, browser, why] = await both(receipt);
        assert.equal(browser, node, why);
        assert.equal(node, false, `a changed receipt verified: ${why}`);
      },
    ),
    { numRuns: 300 },
  );
});

test('a receipt checked against another log’s key fails in the browser, as in the library', async () => {
  const receipt = log(5).receipt(2);
  const other = generateSigningKey(ORIGIN);
  const otherText = formatVerifierKey(verifierKeyOf(other));
  const browser = await verifyReceiptInBrowser(receipt, await parseVerifierKeyText(otherText));
  const node = verifyReceipt(receipt, verifierKeyOf(other));
  assert.equal(browser.ok, false);
  assert.equal(node.ok, false);
  assert.match(browser.ok ? '' : browser.problem, /^checkpoint: no signature by a known key/);
});

test('a malformed key is refused with the reason, never accepted', async () => {
  for (const bad of [
    '',
    'name',
    `${ORIGIN}+00000000+${vkeyText.split('+')[2]}`,
    vkeyText.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
  ])
    await assert.rejects(parseVerifierKeyText(bad));
  assert.equal(
    (await verifyReceiptInBrowser({ format: 'nope' }, await parseVerifierKeyText(vkeyText))).ok,
    false,
  );
  assert.equal((await verifyReceiptInBrowser(null, await parseVerifierKeyText(vkeyText))).ok, false);
});
