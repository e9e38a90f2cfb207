// POST /v1/ingest/image: the image is read with Tesseract, its text scanned for injection, and its chunk
// is untrusted whatever the channel. A screenshot of the poisoned line is flagged and, cited for the
// spine isolation, gets no token; a benign screenshot is not flagged. Without Tesseract the image is
// suspect and the answer says OCR was unavailable. A declared type the bytes contradict is a 415.
// Needs Debian's tesseract-ocr (`.ci/run` installs it); the OCR tests skip without it, saying so.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { recogniseText, tesseractVersion } from '../../src/inspect/ocr.js';
import { startGateway } from '../../src/gateway/serve.js';
import { type Harness, principal, startHarness } from './harness.js';

const image = (name: string) =>
  readFileSync(new URL(`../fixtures/images/${name}`, import.meta.url)).toString('base64');
const tesseract = await tesseractVersion();
const skip = tesseract ? false : 'Tesseract is not installed (Debian: tesseract-ocr)';

let h: Harness;
let agent: string;
before(async () => {
  h = await startHarness();
  // Bound to the trusted channel: an image is untrusted all the same.
  agent = await principal(h, 'image-agent', 'agent', 'operator-console');
});
after(() => h.close());

test(
  'a screenshot of the poisoned line is untrusted, flagged, and cited for the isolation gets no token',
  { skip },
  async () => {
    const ingested = await h.call('POST', '/v1/ingest/image', agent, {
      image_base64: image('poisoned_screenshot.png'),
      media_type: 'image/png',
      session: 's-image',
    });
    assert.equal(ingested.status, 201, JSON.stringify(ingested.body));
    assert.equal(ingested.body.trust, 'untrusted');
    assert.equal(ingested.body.injection_suspected, true);
    const ocr = ingested.body.ocr as { available: boolean; engine: string; text_chars: number };
    assert.equal(ocr.available, true);
    assert.match(ocr.engine, /^tesseract /);
    assert.ok(ocr.text_chars > 100);
    const envelope = {
      intent: 'remediate_destructive',
      tool: 'network.isolate',
      args: { device_id: 'spine-switch-sj-01' },
      source_signals: [ingested.body.id],
      session: 's-image',
    };
    const decided = await h.call('POST', '/v1/actions', agent, { envelope });
    assert.deepEqual(
      [decided.body.decision, decided.body.rule, decided.body.token],
      ['DENY', 'R2', undefined],
    );
  },
);

test('a benign screenshot is untrusted but not flagged', { skip }, async () => {
  const ingested = await h.call('POST', '/v1/ingest/image', agent, {
    image_base64: image('benign_screenshot.png'),
    media_type: 'image/png',
  });
  assert.equal(ingested.status, 201, JSON.stringify(ingested.body));
  assert.equal(ingested.body.trust, 'untrusted');
  assert.equal(ingested.body.injection_suspected, false);
});

test('without Tesseract an image is untrusted and suspected, and the answer says OCR was unavailable', async () => {
  const missing = await recogniseText(Buffer.from(image('benign_screenshot.png'), 'base64'), {
    command: '/nonexistent/tesseract',
  });
  assert.equal(missing.available, false);
  const gateway = await startGateway({
    dataDir: mkdtempSync(join(tmpdir(), 'carapace-no-ocr-')),
    port: 0,
    dev: true,
    logLevel: 'silent',
    ocrCommand: '/nonexistent/tesseract',
  });
  try {
    const admin = gateway.devAdminKey as string;
    const post = async (path: string, key: string, body: unknown) => {
      const r = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const key = (
      await post('/v1/admin/principals', admin, { name: 'a', role: 'agent', channel: 'operator-console' })
    ).body.api_key as string;
    const ingested = await post('/v1/ingest/image', key, {
      image_base64: image('benign_screenshot.png'),
      media_type: 'image/png',
    });
    assert.equal(ingested.status, 201);
    assert.deepEqual([ingested.body.trust, ingested.body.injection_suspected], ['untrusted', true]);
    assert.deepEqual(ingested.body.matched, ['ocr-unavailable']);
    assert.match((ingested.body.ocr as { reason: string }).reason, /OCR is unavailable/);
  } finally {
    await gateway.close();
  }
});

test('bytes that are not the declared type are a 415; bad base64 and unknown types are 400; nothing is stored', async () => {
  const before = h.gateway.ctx.audit.size;
  const wrong = await h.call('POST', '/v1/ingest/image', agent, {
    image_base64: Buffer.from('GIF89a not really').toString('base64'),
    media_type: 'image/png',
  });
  assert.deepEqual([wrong.status, wrong.body.code], [415, 'E_MEDIA_TYPE']);
  const notBase64 = await h.call('POST', '/v1/ingest/image', agent, {
    image_base64: 'a b c!',
    media_type: 'image/png',
  });
  assert.equal(notBase64.status, 400);
  const svg = await h.call('POST', '/v1/ingest/image', agent, {
    image_base64: Buffer.from('<svg/>').toString('base64'),
    media_type: 'image/svg+xml',
  });
  assert.equal(svg.status, 400);
  assert.equal(h.gateway.ctx.audit.size, before, 'a refused image was recorded as ingested');
});
