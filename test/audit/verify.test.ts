// The offline verifier finds every kind of tampering and says where: any changed byte, reordered,
// dropped or truncated entries, a forged checkpoint, and a full rewrite with recomputed hashes.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { sealEntry } from '../../src/audit/entry.js';
import { readDataDirLog } from '../../src/audit/log_files.js';
import { MerkleTree } from '../../src/audit/merkle.js';
import { verifyLog } from '../../src/audit/verify.js';
import { generateSigningKey } from '../../src/crypto/ed25519_key.js';
import { filledLog, readLines, segmentPath, verifyDataDir, writeLines } from './helpers.js';

const fixture = await filledLog(60, 10);
const path = await segmentPath(fixture.dataDir);
const original = readFileSync(path);
const lines = readLines(path);
const restore = () => writeFileSync(path, original);

test('the untouched log verifies', async () => {
  const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.entries, lines.length);
});

test('changing any byte of any entry is detected at that entry', async () => {
  const offsets: number[] = [];
  for (let i = 0, at = 0; i < lines.length; i++) {
    offsets.push(at);
    at += Buffer.byteLength(lines[i] as string) + 1;
  }
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: original.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      async (at, xor) => {
        const bytes = Buffer.from(original);
        bytes[at] = (bytes[at] as number) ^ xor;
        writeFileSync(path, bytes);
        const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
        const seq = offsets.findLastIndex((o) => o <= at);
        assert.equal(result.ok, false, `byte ${at} changed went unnoticed`);
        if (!result.ok)
          assert.equal(
            result.seq,
            seq,
            `byte ${at} is in entry ${seq}; reported ${result.seq}: ${result.problem}`,
          );
      },
    ),
    { numRuns: 300 },
  );
  restore();
});

test('reordering two entries is detected at the first one moved', async () => {
  const swapped = [...lines];
  [swapped[7], swapped[8]] = [swapped[8] as string, swapped[7] as string];
  writeLines(path, swapped);
  const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
  restore();
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.seq, 7);
    assert.match(result.problem, /seq is 8, expected 7/);
  }
});

test('dropping an entry is detected where it is missing', async () => {
  writeLines(
    path,
    lines.filter((_, i) => i !== 12),
  );
  const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
  restore();
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.seq, 12);
});

test('truncating mid-entry is detected at the cut entry', async () => {
  writeFileSync(path, original.subarray(0, original.length - 17));
  const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
  restore();
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.seq, lines.length - 1);
    assert.match(result.problem, /incomplete last line/);
  }
});

test('truncating at an entry boundary is detected against a checkpoint seen before', async () => {
  const { sources } = await readDataDirLog(fixture.dataDir);
  const full = verifyLog(sources, { key: fixture.vkey });
  assert.ok(full.ok);
  const last = JSON.parse(lines[lines.length - 1] as string);
  const known = {
    size: last.payload.size as number,
    rootHash: Buffer.from(last.payload.root as string, 'base64'),
  };
  writeLines(path, lines.slice(0, 30));
  const cut = verifyLog((await readDataDirLog(fixture.dataDir)).sources, {
    key: fixture.vkey,
    knownCheckpoint: known,
  });
  restore();
  assert.equal(cut.ok, false);
  if (!cut.ok) assert.match(cut.problem, /only 30.*it was cut/);
});

test('a checkpoint forged with another key is detected at that checkpoint, even after rewriting every hash', async () => {
  const forger = generateSigningKey(fixture.vkey.name);
  const entries = lines.map((l) => JSON.parse(l));
  const target = entries.findIndex((e) => e.kind === 'checkpoint');
  const tree = new MerkleTree();
  const rewritten: string[] = [];
  let prev = entries[0].prev;
  for (const e of entries) {
    let payload = e.payload;
    if (e.seq === target) {
      const rootHash = tree.root(payload.size);
      payload = {
        ...payload,
        note: signCheckpoint({ origin: forger.name, size: payload.size, rootHash }, forger),
      };
    }
    const sealed = sealEntry(e.seq, e.ts, e.kind, payload, prev);
    rewritten.push(sealed.line);
    tree.append(sealed.leafHash);
    prev = sealed.entry.hash;
  }
  writeLines(path, rewritten);
  const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
  restore();
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.seq, target);
    assert.match(result.problem, /signature does not verify/);
  }
});

test('rewriting an entry and recomputing every later hash is caught by the first checkpoint covering it', async () => {
  const entries = lines.map((l) => JSON.parse(l));
  const rewritten: string[] = [];
  let prev = entries[0].prev;
  for (const e of entries) {
    const payload = e.seq === 4 ? { ...e.payload, text: 'nothing happened here' } : e.payload;
    const sealed = sealEntry(e.seq, e.ts, e.kind, payload, prev);
    rewritten.push(sealed.line);
    prev = sealed.entry.hash;
  }
  writeLines(path, rewritten);
  const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
  restore();
  const firstCovering = entries.find((e) => e.kind === 'checkpoint' && e.payload.size > 4);
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.seq, firstCovering.seq);
    assert.match(result.problem, /checkpoint signs root .* but entries 0\.\.\d+ hash to/);
  }
});

test('a consistent rewrite with every checkpoint removed fails: nothing in it is signed', async () => {
  // Without the key, an attacker can rewrite every entry and hash but cannot sign: so they drop the
  // checkpoints. The chain and the tree are then consistent, and only their absence gives it away.
  const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.kind !== 'checkpoint');
  const rewritten: string[] = [];
  let prev = entries[0].prev;
  entries.forEach((e, seq) => {
    const payload = seq === 4 ? { ...e.payload, text: 'nothing happened here' } : e.payload;
    const sealed = sealEntry(seq, e.ts, e.kind, payload, prev);
    rewritten.push(sealed.line);
    prev = sealed.entry.hash;
  });
  writeLines(path, rewritten);
  const result = await verifyDataDir(fixture.dataDir, fixture.vkey);
  restore();
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.checkpoints, 0);
    assert.match(result.problem, /no signed checkpoint/);
  }
});

test('keeping the first checkpoint and dropping the later ones leaves a tail longer than a writer leaves', async () => {
  const entries = lines.map((l) => JSON.parse(l));
  const first = entries.findIndex((e) => e.kind === 'checkpoint');
  const kept = entries.filter((e, i) => i <= first || e.kind !== 'checkpoint');
  const rewritten: string[] = [];
  let prev = entries[0].prev;
  kept.forEach((e, seq) => {
    const sealed = sealEntry(seq, e.ts, e.kind, e.payload, prev);
    rewritten.push(sealed.line);
    prev = sealed.entry.hash;
  });
  writeLines(path, rewritten);
  const tail = kept.length - first - 1;
  const lenient = verifyLog([{ name: 'log', bytes: Buffer.from(`${rewritten.join('\n')}\n`), start: 0 }], {
    key: fixture.vkey,
    maxUncovered: tail,
  });
  const strict = verifyLog([{ name: 'log', bytes: Buffer.from(`${rewritten.join('\n')}\n`), start: 0 }], {
    key: fixture.vkey,
    maxUncovered: tail - 1,
  });
  restore();
  assert.ok(lenient.ok, JSON.stringify(lenient));
  assert.equal(strict.ok, false);
  if (!strict.ok) assert.match(strict.problem, new RegExp(`${tail} entries after the newest checkpoint`));
});

test('a log verified with the wrong public key fails at its first checkpoint', async () => {
  const other = generateSigningKey(fixture.vkey.name);
  const { sources } = await readDataDirLog(fixture.dataDir);
  const { verifierKeyOf } = await import('../../src/crypto/ed25519_key.js');
  const result = verifyLog(sources, { key: verifierKeyOf(other) });
  assert.equal(result.ok, false);
  if (!result.ok)
    assert.equal(
      result.seq,
      lines.map((l) => JSON.parse(l)).findIndex((e) => e.kind === 'checkpoint'),
    );
});

test('parallel verification (worker threads) agrees with the single-threaded verifier, and locates tampering the same', async () => {
  const { verifyLogParallel } = await import('../../src/audit/verify.js');
  const fresh = async () => (await readDataDirLog(fixture.dataDir)).sources;
  const single = verifyLog(await fresh(), { key: fixture.vkey });
  const parallel = await verifyLogParallel(
    await fresh(),
    { key: fixture.vkey },
    { threads: 3, minBytes: 0, rangeBytes: 4096 },
  );
  assert.deepEqual(parallel, single);
  assert.ok(parallel.ok);

  for (const at of [
    Math.floor(original.length * 0.2),
    Math.floor(original.length * 0.55),
    original.length - 40,
  ]) {
    const bytes = Buffer.from(original);
    bytes[at] = (bytes[at] as number) ^ 0x20;
    writeFileSync(path, bytes);
    const a = verifyLog(await fresh(), { key: fixture.vkey });
    const b = await verifyLogParallel(
      await fresh(),
      { key: fixture.vkey },
      { threads: 3, minBytes: 0, rangeBytes: 4096 },
    );
    assert.equal(a.ok, false);
    assert.deepEqual(b, a, `byte ${at}`);
  }
  writeLines(
    path,
    lines.filter((_, i) => i !== 40),
  );
  const dropped = await verifyLogParallel(
    await fresh(),
    { key: fixture.vkey },
    { threads: 3, minBytes: 0, rangeBytes: 4096 },
  );
  restore();
  assert.equal(dropped.ok, false);
  if (!dropped.ok) assert.equal(dropped.seq, 40);
});
