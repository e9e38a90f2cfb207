// Receipts: every entry of a log gets one that verifies with only the public key; any change to the
// entry, the proof or the checkpoint, or another key, makes it fail and say why.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDataDirLog } from '../../src/audit/log_files.js';
import { buildReceipt, ProofError } from '../../src/audit/proof.js';
import { type Receipt, verifyReceipt } from '../../src/audit/receipt.js';
import { formatTlogProof, parseTlogProof } from '../../src/audit/tlog_proof.js';
import { generateSigningKey, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import { filledLog } from './helpers.js';

const { dataDir, vkey } = await filledLog(40, 8);
const { sources } = await readDataDirLog(dataDir);
const entries = sources[0]?.bytes.toString('utf8').split('\n').slice(0, -1).length ?? 0;
const receiptFor = (seq: number): Receipt => buildReceipt(sources, seq);

test('every entry covered by a checkpoint has a receipt that verifies with only the public key', () => {
  let checked = 0;
  for (let seq = 0; seq < entries; seq++) {
    let receipt: Receipt;
    try {
      receipt = receiptFor(seq);
    } catch (e) {
      assert.ok(e instanceof ProofError && e.code === 'E_NOT_COVERED', String(e));
      continue;
    }
    const result = verifyReceipt(JSON.parse(JSON.stringify(receipt)), vkey);
    assert.ok(result.ok, `seq ${seq}: ${JSON.stringify(result)}`);
    checked++;
  }
  assert.ok(checked >= 40, `only ${checked} receipts`);
});

test('a receipt does not verify with another key', () => {
  const other = verifierKeyOf(generateSigningKey(vkey.name));
  const result = verifyReceipt(receiptFor(3), other);
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.problem, /^checkpoint:/);
});

test('a receipt whose entry was changed does not verify', () => {
  const receipt = receiptFor(5);
  const changed = { ...receipt, entry: { ...receipt.entry, payload: { i: 5, text: 'something else' } } };
  const result = verifyReceipt(changed, vkey);
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.problem, /^entry 5: hash is/);
});

test('a receipt for another entry with its hash recomputed is not in the signed tree', () => {
  const receipt = receiptFor(5);
  const other = receiptFor(6);
  const swapped = { ...receipt, entry: other.entry };
  const result = verifyReceipt(swapped, vkey);
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.problem, /index 5, the entry is seq 6/);
});

test('a receipt with a changed proof element does not verify', () => {
  const receipt = receiptFor(9);
  const proof = parseTlogProof(receipt.tlog_proof);
  const first = proof.proof[0];
  assert.ok(first);
  first[0] = (first[0] as number) ^ 1;
  const result = verifyReceipt({ ...receipt, tlog_proof: formatTlogProof(proof) }, vkey);
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.problem, /is not in the tree the checkpoint signs/);
});

test('things that are not receipts are refused, not thrown', () => {
  for (const junk of [
    null,
    1,
    'receipt',
    {},
    { format: 'carapace.receipt/v1' },
    { format: 'carapace.receipt/v1', entry: {}, tlog_proof: 'x' },
  ])
    assert.equal(verifyReceipt(junk, vkey).ok, false);
});
