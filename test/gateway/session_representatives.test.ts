// A long session is summarised before the engine sees it: every cited chunk, and one chunk of each
// (trust, injection flag, channel) of the rest. Provenance is a minimum and an OR, so the summary decides
// exactly as the whole session would (property), and a session of thousands of tool outputs is decided
// instead of refused as too large (through HTTP).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { resolveProvenance } from '../../src/engine/index.js';
import { sessionRepresentatives } from '../../src/gateway/context.js';
import { type Harness, principal, startHarness } from './harness.js';

const chunk = fc.record({
  id: fc.string({ minLength: 1, maxLength: 6 }),
  trust: fc.constantFrom('untrusted' as const, 'semi_trusted' as const, 'trusted' as const),
  injection_suspected: fc.boolean(),
  channel: fc.constantFrom('syslog', 'web', 'tool-output', 'operator-console'),
});

test('the representatives of a session give the same provenance as the whole session', () => {
  fc.assert(
    fc.property(fc.uniqueArray(chunk, { selector: (c) => c.id, maxLength: 60 }), fc.nat(), (chunks, pick) => {
      const cited = chunks.length > 0 ? [chunks[pick % chunks.length]!.id] : [];
      const whole = resolveProvenance(cited, chunks, 'session');
      const kept = sessionRepresentatives(chunks, new Set(cited));
      const summary = resolveProvenance(cited, kept, 'session');
      assert.equal(summary.trust, whole.trust);
      assert.equal(summary.injection_flag, whole.injection_flag);
      for (const id of cited)
        assert.ok(
          kept.some((c) => c.id === id),
          'a cited chunk is always kept',
        );
    }),
    { numRuns: 1000 },
  );
});

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('a session of 1,500 tool outputs is decided, and one suspected output among them still taints it', async () => {
  const key = await principal(h, 'long-session', 'agent', 'operator-console');
  const store = h.gateway.ctx.store;
  const at = new Date(h.clock.now).toISOString();
  const ids: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const id = `chunk:sha256:${i.toString(16).padStart(64, '0')}`;
    await store.putChunk({
      id,
      channel: 'tool-output',
      trust: 'untrusted',
      injection_suspected: i === 1234,
      content_hash: `sha256:${i.toString(16).padStart(64, '0')}`,
      ingested_at: at,
      bytes: 10,
    });
    ids.push(id);
  }
  await store.addSessionChunks('s-long', 'agent:long-session', ids);
  const note = await h.call('POST', '/v1/ingest', key, {
    content: 'operator: restart web-01 at sj-01',
    session: 's-long',
  });
  const envelope = {
    intent: 'remediate_reversible',
    tool: 'restart_workload',
    args: { workload: 'web-01', site: 'sj-01' },
    source_signals: [(note.body as { id: string }).id],
    session: 's-long',
  };
  const acted = await h.call('POST', '/v1/actions', key, { envelope });
  assert.equal(acted.status, 200, JSON.stringify(acted.body).slice(0, 300));
  // Untrusted and suspected session content behind a remediation: the engine's injection rule.
  assert.equal(acted.body.decision, 'DENY');
  assert.equal(acted.body.rule, 'R2');
  const record = acted.body.record as { request: { chunks: unknown[] } };
  assert.ok(record.request.chunks.length <= 10, `${record.request.chunks.length} chunks recorded`);
});
