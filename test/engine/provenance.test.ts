// Provenance resolution: min trust, OR of injection flags, fail closed on what cannot be resolved.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Chunk, parseChunks, resolveProvenance } from '../../src/engine/index.js';

const T: Chunk = { id: 't', trust: 'trusted', injection_suspected: false };
const S: Chunk = { id: 's', trust: 'semi_trusted', injection_suspected: false };
const U: Chunk = { id: 'u', trust: 'untrusted', injection_suspected: false };
const I: Chunk = { id: 'i', trust: 'trusted', injection_suspected: true };

test('effective trust is the minimum over cited chunks; the injection flag is their OR', () => {
  assert.equal(resolveProvenance(['t'], [T], 'cited_only').trust, 'trusted');
  assert.equal(resolveProvenance(['t', 's'], [T, S], 'cited_only').trust, 'semi_trusted');
  assert.equal(resolveProvenance(['t', 's', 'u'], [T, S, U], 'cited_only').trust, 'untrusted');
  assert.equal(resolveProvenance(['t', 's'], [T, S], 'cited_only').injection_flag, false);
  assert.equal(resolveProvenance(['t', 'i'], [T, I], 'cited_only').injection_flag, true);
});

test('no citation at all is untrusted and injection-suspected', () => {
  const p = resolveProvenance([], [T], 'cited_only');
  assert.deepEqual([p.trust, p.injection_flag], ['untrusted', true]);
  assert.match(p.notes[0] ?? '', /no source cited/);
});

test('an unresolvable citation is untrusted and injection-suspected, and recorded as unresolved', () => {
  const p = resolveProvenance(['t', 'ghost'], [T], 'cited_only');
  assert.deepEqual([p.trust, p.injection_flag], ['untrusted', true]);
  assert.deepEqual(p.sources[1], {
    id: 'ghost',
    resolved: false,
    trust: 'untrusted',
    injection_suspected: true,
    cited: true,
  });
});

test('session mode: an uncited chunk the session has seen taints the result; cited-only mode ignores it', () => {
  const session = resolveProvenance(['t'], [T, U, I], 'session');
  assert.deepEqual([session.trust, session.injection_flag], ['untrusted', true]);
  assert.deepEqual(
    session.sources.map((s) => [s.id, s.cited]),
    [
      ['t', true],
      ['u', false],
      ['i', false],
    ],
  );
  const cited = resolveProvenance(['t'], [T, U, I], 'cited_only');
  assert.deepEqual([cited.trust, cited.injection_flag], ['trusted', false]);
  assert.deepEqual(
    cited.sources.map((s) => s.id),
    ['t'],
  );
});

test('a citation repeated is counted once', () => {
  assert.equal(resolveProvenance(['s', 's'], [S], 'cited_only').sources.length, 1);
});

test('chunks are validated strictly and may not repeat an id', () => {
  const code = (x: unknown) => {
    const r = parseChunks(x);
    return r.ok ? 'ok' : r.error.code;
  };
  assert.equal(code([T, S]), 'ok');
  assert.equal(
    code([{ ...T, channel: 'syslog', content_hash: 'sha256:00', ingested_at: '2026-11-22T03:14:00Z' }]),
    'ok',
  );
  assert.equal(code([T, T]), 'E_CHUNK_INVALID');
  assert.equal(code([{ ...T, trust: 'very' }]), 'E_CHUNK_INVALID');
  assert.equal(code([{ ...T, injection_suspected: 'no' }]), 'E_CHUNK_INVALID');
  assert.equal(code([{ ...T, content: 'raw text' }]), 'E_CHUNK_INVALID');
  assert.equal(code([{ id: 't', trust: 'trusted' }]), 'E_CHUNK_INVALID');
  assert.equal(code({ t: T }), 'E_CHUNK_INVALID');
  assert.equal(code(Array.from({ length: 1025 }, (_, i) => ({ ...T, id: `c${i}` }))), 'E_INPUT_TOO_LARGE');
});
