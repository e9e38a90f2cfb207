// What the fuzz suite (test/reliability/fuzz.test.ts) found, pinned: input refused before any route
// (a bad URL, a path parameter too long, headers too large), JSON bodies that are not UTF-8 or that
// hold a lone surrogate, all answered as {error, code, detail} and never as a 5xx.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { type Harness, principal, startHarness } from './harness.js';

let h: Harness;
let agentKey: string;
before(async () => {
  h = await startHarness();
  agentKey = await principal(h, 'hostile-agent', 'agent', 'operator-console');
});
after(() => h.close());

async function send(
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${h.gateway.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function assertShape(body: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'error'], JSON.stringify(body));
}

test('a URL the router cannot decode is a 400 and a path parameter over 100 characters a 414, in the error shape', async () => {
  const auth = { authorization: `Bearer ${h.adminKey}` };
  const bad = await send('/v1/reviews/%ff%c5', auth);
  assert.deepEqual([bad.status, bad.body.code], [400, 'E_REQUEST_INVALID']);
  assertShape(bad.body);
  const long = await send(`/v1/reviews/${'A'.repeat(200)}`, auth);
  assert.deepEqual([long.status, long.body.code], [414, 'E_INPUT_TOO_LARGE']);
  assertShape(long.body);
});

test('headers over the server limit are a 431 in the error shape', async () => {
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      `${h.gateway.url}/healthz`,
      { headers: { 'x-filler': 'A'.repeat(20_000) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(answer.status, 431);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  assertShape(body);
  assert.equal(body.code, 'E_INPUT_TOO_LARGE');
});

test('a JSON body in another charset is a 415 and bytes that are not UTF-8 a 400; UTF-8 declared is taken', async () => {
  const auth = { authorization: `Bearer ${agentKey}` };
  const utf16 = await send(
    '/v1/ingest',
    { ...auth, 'content-type': 'application/json; charset=utf-16le' },
    JSON.stringify({ content: 'x', session: 's' }),
  );
  assert.deepEqual([utf16.status, utf16.body.code], [415, 'E_UNSUPPORTED_MEDIA_TYPE']);
  assertShape(utf16.body);
  const notUtf8 = await send(
    '/v1/ingest',
    { ...auth, 'content-type': 'application/json' },
    Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('","session":"s"}')]),
  );
  assert.deepEqual([notUtf8.status, notUtf8.body.code], [400, 'E_REQUEST_INVALID']);
  assertShape(notUtf8.body);
  const declaredUtf8 = await send(
    '/v1/ingest',
    { ...auth, 'content-type': 'application/json; charset=UTF-8' },
    JSON.stringify({ content: 'node-sj-01-02 cpu 97%', session: 's' }),
  );
  assert.equal(declaredUtf8.status, 201, JSON.stringify(declaredUtf8.body));
});

test('a lone surrogate anywhere in a JSON body is a 400, not a 503 from the audit log', async () => {
  const auth = { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' };
  for (const raw of [
    '{"token":"x","tool":"read\\ud800","args":{}}',
    '{"token":"x","tool":"read_logs","args":{"\\udc00":1}}',
    '{"content":"a\\ud83d","session":"s"}',
  ]) {
    const path = raw.includes('content') ? '/v1/ingest' : '/v1/execute';
    const answer = await send(path, auth, raw);
    assert.deepEqual([answer.status, answer.body.code], [400, 'E_REQUEST_INVALID'], raw);
    assertShape(answer.body);
  }
  // A pair written as escapes is a well-formed character and passes the parser.
  const pair = await send('/v1/ingest', auth, '{"content":"ok \\ud83d\\ude00","session":"s"}');
  assert.equal(pair.status, 201, JSON.stringify(pair.body));
});
