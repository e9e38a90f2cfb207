// The witness: cosigns a growing log with consistency proofs, refuses forks, rollbacks, unknown keys and
// bad proofs, keeps its state across a restart, and signs exactly the tlog-cosignature v1 message.

import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { hashLeaf, MerkleTree } from '../../src/audit/merkle.js';
import { generateSigningKey, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import {
  cosignedMessage,
  cosignerKeyOf,
  formatCosignerKey,
  parseCosignatureLine,
  parseCosignerKey,
  verifyCosignature,
} from '../../src/witness/cosignature.js';
import { buildWitnessServer } from '../../src/witness/server.js';
import { formatAddCheckpoint, parseAddCheckpoint, Witness, WitnessError } from '../../src/witness/witness.js';

const logKey = generateSigningKey('test.local/log');
const witnessKey = generateSigningKey('witness.test/w1');

function tree(n: number, tag = 'a'): MerkleTree {
  const t = new MerkleTree();
  for (let i = 0; i < n; i++) t.append(hashLeaf(Buffer.from(`${tag}${i}`)));
  return t;
}
function note(t: MerkleTree, size = t.size, key = logKey): string {
  return signCheckpoint({ origin: key.name, size, rootHash: t.root(size) }, key);
}
function textOf(n: string): string {
  return n.slice(0, n.lastIndexOf('\n\n') + 1);
}
function newWitness(dataDir = mkdtempSync(join(tmpdir(), 'carapace-witness-'))): Witness {
  return new Witness({
    dataDir,
    key: witnessKey,
    logKeys: [verifierKeyOf(logKey)],
    clock: () => new Date(1_700_000_000_000),
  });
}
async function refused(p: Promise<unknown>, code: string, size?: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WitnessError);
    assert.equal(e.code, code, e.message);
    if (size !== undefined) assert.equal(e.size, size);
    return true;
  });
}

test('the cosigned message is cosignature/v1, the time line, then the checkpoint text', () => {
  assert.equal(
    cosignedMessage('o\n1\nAAAA\n', 1679315147).toString(),
    'cosignature/v1\ntime 1679315147\no\n1\nAAAA\n',
  );
});

test('a cosignature verifies with the witness vkey (type 0x04), and not over another checkpoint', async () => {
  const w = newWitness();
  const t = tree(5);
  const lines = await w.addCheckpoint({ oldSize: 0, proof: [], note: note(t) });
  const vkey = formatCosignerKey(cosignerKeyOf(witnessKey));
  assert.match(vkey, /^witness\.test\/w1\+[0-9a-f]{8}\+/);
  assert.equal(Buffer.from(vkey.split('+').slice(2).join('+'), 'base64')[0], 0x04);
  const key = parseCosignerKey(vkey);
  const line = lines.trimEnd();
  const cos = verifyCosignature(textOf(note(t)), line, key);
  assert.equal(cos.time, 1_700_000_000);
  // The raw Ed25519 signature is over exactly the spec's message.
  const parsed = parseCosignatureLine(line, key);
  assert.ok(parsed);
  assert.ok(verify(null, cosignedMessage(textOf(note(t)), 1_700_000_000), key.publicKey, parsed.signature));
  assert.throws(() => verifyCosignature(textOf(note(tree(5, 'b'))), line, key), /does not verify/);
  // A tampered line (one byte of the signature flipped) does not verify.
  const b = Buffer.from(line.split(' ')[2] ?? '', 'base64');
  b[40] = (b[40] ?? 0) ^ 1;
  assert.throws(() => verifyCosignature(textOf(note(t)), `— witness.test/w1 ${b.toString('base64')}`, key));
});

test('a witness cosigns a growing log, each step proved consistent with the last', async () => {
  const w = newWitness();
  const t = tree(40);
  let old = 0;
  for (const size of [1, 2, 7, 8, 9, 20, 40]) {
    const proof = old === 0 ? [] : t.consistencyProof(old, size);
    const body = formatAddCheckpoint({ oldSize: old, proof, note: note(t, size) });
    const lines = await w.addCheckpoint(parseAddCheckpoint(body));
    verifyCosignature(textOf(note(t, size)), lines.trimEnd(), cosignerKeyOf(witnessKey));
    assert.equal(w.latest(logKey.name)?.size, size);
    old = size;
  }
  // Same size, same root: cosigned again.
  await w.addCheckpoint({ oldSize: 40, proof: [], note: note(t, 40) });
});

test('refuses a fork (another root at the same size), a rollback, a bad proof, an unknown or wrong key', async () => {
  const w = newWitness();
  const t = tree(10);
  await w.addCheckpoint({ oldSize: 0, proof: [], note: note(t, 8) });
  const fork = tree(10, 'fork');
  await refused(w.addCheckpoint({ oldSize: 8, proof: [], note: note(fork, 8) }), 'E_WITNESS_CONFLICT', 8);
  // A forked larger tree cannot be proved consistent from the cosigned size 8.
  await refused(
    w.addCheckpoint({ oldSize: 8, proof: fork.consistencyProof(8, 10), note: note(fork, 10) }),
    'E_WITNESS_PROOF',
  );
  // Rollback: a smaller checkpoint (old size 0 or its own size) is refused with the size the witness has.
  await refused(w.addCheckpoint({ oldSize: 0, proof: [], note: note(t, 5) }), 'E_WITNESS_CONFLICT', 8);
  await refused(w.addCheckpoint({ oldSize: 8, proof: [], note: note(t, 5) }), 'E_WITNESS_OLD_SIZE');
  const stranger = generateSigningKey('other.local/log');
  await refused(
    w.addCheckpoint({ oldSize: 0, proof: [], note: note(t, 9, stranger) }),
    'E_WITNESS_UNKNOWN_LOG',
  );
  const impostor = generateSigningKey('test.local/log');
  await refused(
    w.addCheckpoint({ oldSize: 8, proof: t.consistencyProof(8, 9), note: note(t, 9, impostor) }),
    'E_WITNESS_LOG_SIGNATURE',
  );
  assert.equal(w.latest(logKey.name)?.size, 8, 'nothing refused moved the state');
  await w.addCheckpoint({ oldSize: 8, proof: t.consistencyProof(8, 10), note: note(t, 10) });
});

test('the state is durable: a restarted witness still refuses a rollback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-witness-'));
  const t = tree(6);
  await newWitness(dir).addCheckpoint({ oldSize: 0, proof: [], note: note(t, 6) });
  const again = newWitness(dir);
  assert.equal(again.latest(logKey.name)?.size, 6);
  await refused(again.addCheckpoint({ oldSize: 0, proof: [], note: note(t, 3) }), 'E_WITNESS_CONFLICT', 6);
});

test('concurrent requests cannot roll the recorded size back', async () => {
  const w = newWitness();
  const t = tree(30);
  await w.addCheckpoint({ oldSize: 0, proof: [], note: note(t, 10) });
  const results = await Promise.allSettled([
    w.addCheckpoint({ oldSize: 10, proof: t.consistencyProof(10, 20), note: note(t, 20) }),
    w.addCheckpoint({ oldSize: 10, proof: t.consistencyProof(10, 15), note: note(t, 15) }),
  ]);
  assert.equal(results[0]?.status, 'fulfilled');
  assert.equal(results[1]?.status, 'rejected');
  assert.equal(w.latest(logKey.name)?.size, 20);
});

test('HTTP: 200 with cosignature lines, 409 with the size, JSON errors', async () => {
  const w = newWitness();
  const app = buildWitnessServer(w, witnessKey.publicKeyRaw);
  const t = tree(4);
  const ok = await app.inject({
    method: 'POST',
    url: '/add-checkpoint',
    payload: formatAddCheckpoint({ oldSize: 0, proof: [], note: note(t) }),
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /^— witness\.test\/w1 [A-Za-z0-9+/=]+\n$/);
  const conflict = await app.inject({
    method: 'POST',
    url: '/add-checkpoint',
    payload: formatAddCheckpoint({ oldSize: 0, proof: [], note: note(t, 2) }),
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(conflict.statusCode, 409);
  assert.equal(conflict.headers['x-tlog-size'], '4');
  assert.deepEqual(Object.keys(conflict.json()).sort(), ['code', 'detail', 'error', 'size']);
  assert.equal(conflict.json().size, 4);
  const junk = await app.inject({
    method: 'POST',
    url: '/add-checkpoint',
    payload: 'nonsense',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(junk.statusCode, 400);
  assert.equal(junk.json().code, 'E_WITNESS_MALFORMED');
  await app.close();
});

test('property: any increasing sequence of sizes is cosigned; a log forked at any leaf is refused after', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 0, max: 63 }),
      async (sizes, forkAt) => {
        sizes.sort((a, b) => a - b);
        const w = newWitness();
        const t = tree(64);
        let old = 0;
        for (const size of sizes) {
          await w.addCheckpoint({
            oldSize: old,
            proof: old === 0 ? [] : t.consistencyProof(old, size),
            note: note(t, size),
          });
          old = size;
        }
        // A log equal to t except at leaf forkAt < old: no checkpoint of it at size >= old is cosigned.
        if (forkAt >= old) return;
        const forked = new MerkleTree();
        for (let i = 0; i < 64; i++) forked.append(hashLeaf(Buffer.from(i === forkAt ? 'forked' : `a${i}`)));
        for (const size of [old, Math.min(64, old + 1), 64]) {
          const proof = size === old ? [] : forked.consistencyProof(old, size);
          await assert.rejects(
            w.addCheckpoint({ oldSize: old, proof, note: note(forked, size) }),
            WitnessError,
          );
        }
        assert.equal(w.latest(logKey.name)?.size, old);
      },
    ),
    { numRuns: 40 },
  );
});
