// Context authentication (issue 14 items 2 and 7): a channel an admin made signed takes a chunk as its
// trust only when the chunk carries a valid signature over its content hash, channel and time
// (Carapace-Chunk-Signature); an unsigned, stale or tampered chunk is stored untrusted and
// injection-suspected whatever it says, and the ingest answer says why. An HMAC secret is never shown.

import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { segmentsDir } from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import { chunkSignatureHeader, chunkSigningInput } from '../../src/gateway/channel_signing.js';
import { type Harness, principal, startHarness } from './harness.js';

let h: Harness;
let feeder: string;
let hmacFeeder: string;
let agent: string;
const ed = generateKeyPairSync('ed25519');
const secret = randomBytes(32);

const hashOf = (text: string) => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
const nowS = () => Math.floor(h.clock.now / 1000);

function edSignature(channel: string, content: string, t = nowS()): string {
  return chunkSignatureHeader(t, sign(null, chunkSigningInput(channel, t, hashOf(content)), ed.privateKey));
}
function hmacSignature(channel: string, content: string, key = secret, t = nowS()): string {
  return chunkSignatureHeader(
    t,
    createHmac('sha256', key)
      .update(chunkSigningInput(channel, t, hashOf(content)))
      .digest(),
  );
}

async function ingest(key: string, content: string, signature?: string, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${h.gateway.url}/v1/ingest`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(signature !== undefined ? { 'carapace-chunk-signature': signature } : {}),
    },
    body: JSON.stringify({ content, ...extra }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function auditText(): Promise<string> {
  const dir = segmentsDir(h.dataDir);
  return (await listSegments(dir)).map((s) => readFileSync(join(dir, s), 'utf8')).join('');
}

before(async () => {
  h = await startHarness();
  for (const name of ['signed-feed', 'hmac-feed'])
    assert.equal(
      (await h.call('POST', '/v1/admin/channels', h.adminKey, { name, trust: 'trusted' })).status,
      201,
    );
  const publicKey = ed.publicKey.export({ format: 'jwk' }).x as string;
  const edSet = await h.call('POST', '/v1/admin/channels/signed-feed/signing', h.adminKey, {
    alg: 'ed25519',
    public_key: publicKey,
  });
  assert.equal(edSet.status, 200, JSON.stringify(edSet.body));
  feeder = await principal(h, 'feeder', 'service', 'signed-feed');
  hmacFeeder = await principal(h, 'hmac-feeder', 'service', 'hmac-feed');
  agent = await principal(h, 'ops', 'agent', 'syslog');
});
after(() => h.close());

test('a validly signed chunk on a signed channel keeps the channel’s trust', async () => {
  const content = 'change window CW-118 opens at 03:00 for sj-01';
  const reply = await ingest(feeder, content, edSignature('signed-feed', content));
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  assert.equal(reply.body.trust, 'trusted');
  assert.equal(reply.body.injection_suspected, false);
  assert.deepEqual(reply.body.signature, {
    required: true,
    alg: 'ed25519',
    verified: true,
    reason: null,
    stored_trust: 'trusted',
  });
});

test('a tampered signed chunk becomes untrusted and injection-suspected, and the answer says why', async () => {
  const signed = 'restart vm-03 during change window CW-119';
  const tampered = 'isolate spine-switch-sj-01 during change window CW-119';
  const reply = await ingest(feeder, tampered, edSignature('signed-feed', signed), {
    session: 's-tamper',
    agent: 'agent:ops',
  });
  assert.equal(reply.status, 201);
  assert.equal(reply.body.trust, 'untrusted');
  assert.equal(reply.body.injection_suspected, true, 'suspected although the text is benign');
  assert.ok((reply.body.matched as string[]).includes('signature:bad_signature'));
  const sig = reply.body.signature as Record<string, unknown>;
  assert.equal(sig.verified, false);
  assert.equal(sig.reason, 'bad_signature');
  assert.match(String(sig.effect), /untrusted/);

  // Cited for a restart, the tampered chunk gets no token.
  const proposed = await h.call('POST', '/v1/actions', agent, {
    envelope: {
      intent: 'remediate_reversible',
      tool: 'restart_workload',
      args: { workload: 'vm-03', site: 'sj-01' },
      target: 'vm-03',
      justification: 'the change window says so',
      source_signals: [reply.body.id],
      session: 's-tamper',
    },
  });
  assert.notEqual(proposed.body.decision, 'ALLOW');
  assert.equal(proposed.body.token, undefined);
});

test('a signature for another channel, a stale one, a malformed one and none are all refused as trust', async () => {
  const content = 'nightly backup completed';
  const cases: Array<[string | undefined, string]> = [
    [edSignature('hmac-feed', content), 'bad_signature'],
    [edSignature('signed-feed', content, nowS() - 3600), 'stale'],
    ['t=1,sig=!!', 'malformed'],
    [undefined, 'missing'],
  ];
  for (const [i, [signature, reason]] of cases.entries()) {
    const reply = await ingest(feeder, `${content} #${i}`, signature);
    assert.equal(reply.body.trust, 'untrusted', reason);
    assert.equal(reply.body.injection_suspected, true, reason);
    assert.equal((reply.body.signature as Record<string, unknown>).reason, reason);
  }
  // The same content signed correctly, once the bad copies are stored under other ids, is trusted.
  const good = await ingest(
    feeder,
    'nightly backup verified',
    edSignature('signed-feed', 'nightly backup verified'),
  );
  assert.equal(good.body.trust, 'trusted');
});

test('an HMAC channel verifies with its sealed secret, which is never shown, logged or audited', async () => {
  const encoded = secret.toString('base64');
  const set = await h.call('POST', '/v1/admin/channels/hmac-feed/signing', h.adminKey, {
    alg: 'hmac-sha256',
    secret: encoded,
  });
  assert.equal(set.status, 200);
  assert.doesNotMatch(JSON.stringify(set.body), new RegExp(encoded.slice(0, 20).replace(/[+/]/g, '.')));
  const shown = await h.call('GET', '/v1/admin/channels/hmac-feed/signing', h.adminKey);
  assert.equal(shown.body.alg, 'hmac-sha256');
  assert.equal(JSON.stringify(shown.body).includes(encoded), false);

  const content = 'ticket INC-4411 closed by operator';
  const good = await ingest(hmacFeeder, content, hmacSignature('hmac-feed', content));
  assert.equal(good.body.trust, 'trusted');
  const wrongKey = await ingest(
    hmacFeeder,
    `${content}.`,
    hmacSignature('hmac-feed', `${content}.`, randomBytes(32)),
  );
  assert.equal(wrongKey.body.trust, 'untrusted');
  assert.equal((wrongKey.body.signature as Record<string, unknown>).reason, 'bad_signature');

  const audit = await auditText();
  assert.equal(audit.includes(encoded), false, 'the secret is not in the audit log');
  assert.equal(audit.includes(secret.toString('base64url')), false);
  assert.match(audit, /admin\.channel_signing_set/);
});

test('an unsigned channel is unchanged, a short HMAC secret is refused, and only an admin sets keys', async () => {
  const plain = await h.call('POST', '/v1/ingest', agent, { content: 'link up on leaf-switch-sj-01-a' });
  assert.equal(plain.body.trust, 'semi_trusted');
  assert.equal(plain.body.signature, undefined);
  const short = await h.call('POST', '/v1/admin/channels/syslog/signing', h.adminKey, {
    alg: 'hmac-sha256',
    secret: randomBytes(8).toString('base64'),
  });
  assert.equal(short.status, 400);
  const byAgent = await h.call('POST', '/v1/admin/channels/syslog/signing', agent, {
    alg: 'ed25519',
    public_key: ed.publicKey.export({ format: 'jwk' }).x,
  });
  assert.equal(byAgent.status, 403);
  const unknown = await h.call('POST', '/v1/admin/channels/nope/signing', h.adminKey, {
    alg: 'ed25519',
    public_key: ed.publicKey.export({ format: 'jwk' }).x,
  });
  assert.equal(unknown.status, 404);
});
