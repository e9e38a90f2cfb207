// The OpenAI proxy's upstream key sealed in the vault (issue 11): lent from the vault for each upstream
// request only, and stripped from every answer before the agent sees it. The upstream here is a LOCAL
// STAND-IN (not OpenAI) that echoes the Authorization header it received back in its answers: in JSON,
// JSON-escaped, in a streamed answer split across content deltas, across tool-call argument deltas and
// across the reads of one event, in the model list and in an error. The agent never receives the key in
// any form, and neither the audit log nor any file of the data directory holds it.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../../src/gateway/serve.js';
import { strippedMarker } from '../../../src/executors/http/secret_stripper.js';
import { Vault } from '../../../src/vault/vault.js';
import { encodedForms, freshDataDir, leaksIn } from '../../vault/helpers.js';

const KEY = 'sk-proj-SealedUpstreamCanary0123456789abcdefXYZ';
const MARKER = strippedMarker('openai-upstream');

interface StandIn {
  url: string;
  authorizations: string[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** LOCAL UPSTREAM STAND-IN: an OpenAI-style API that echoes the Authorization header back. */
async function startEchoingUpstream(): Promise<StandIn> {
  const authorizations: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const auth = req.headers.authorization ?? '';
        authorizations.push(auth);
        const key = auth.replace(/^Bearer /, '');
        if (req.method === 'GET' && req.url === '/v1/models') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ object: 'list', data: [{ id: 'stand-in', owned_by: auth }] }));
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          stream?: boolean;
          messages: { content: string }[];
        };
        if (body.messages.some((m) => m.content === 'fail')) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `the key ${key} is broken` } }));
          return;
        }
        const id = 'chatcmpl-standin';
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          // The raw key, and a JSON-escaped form of it, in the text and in a field of its own.
          const escaped = [...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
          res.end(
            `{"id":"${id}","object":"chat.completion","created":1,"model":"stand-in","echo":"${auth}",` +
              `"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"you sent ${auth} and ${escaped}"}}]}`,
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const event = (delta: Record<string, unknown>, finish: string | null = null) =>
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'stand-in', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        // The key split across three content deltas...
        for (const piece of ['you sent ', auth.slice(0, 12), auth.slice(12, 30), auth.slice(30), ' ok']) {
          res.write(event({ content: piece }));
          await sleep(5);
        }
        // ...and whole inside one event whose bytes arrive in two reads, cut inside the key.
        const whole = event({ content: ` again ${key}.` });
        const cut = whole.indexOf(key) + 10;
        res.write(whole.slice(0, cut));
        await sleep(30);
        res.write(whole.slice(cut));
        // A tool call whose arguments carry the key across two argument deltas.
        const args = JSON.stringify({ q: key });
        res.write(
          event({
            tool_calls: [
              {
                index: 0,
                id: 'call_1',
                type: 'function',
                function: { name: 'lookup', arguments: args.slice(0, 15) },
              },
            ],
          }),
        );
        res.write(event({ tool_calls: [{ index: 0, function: { arguments: args.slice(15) } }] }));
        res.write(event({}, 'tool_calls'));
        res.end('data: [DONE]\n\n');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    authorizations,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let standIn: StandIn;
let gateway: RunningGateway;
let dataDir: string;
let agentKey: string;

before(async () => {
  standIn = await startEchoingUpstream();
  dataDir = freshDataDir('carapace-sealed-key-');
  // What `serve --broker` does on its first run with CARAPACE_UPSTREAM_API_KEY set.
  const vault = new Vault(dataDir);
  vault.put('openai-upstream', Buffer.from(KEY), {
    schemes: ['http'],
    hosts: [{ match: 'exact', value: '127.0.0.1' }],
    ports: [Number(new URL(standIn.url).port)],
    addresses: 'any',
    methods: ['GET', 'POST'],
    inject: { kind: 'header', name: 'Authorization', template: 'Bearer {secret}' },
  });
  gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    adapters: { openai: { upstreamUrl: standIn.url, upstreamSecret: { vault, id: 'openai-upstream' } } },
  });
  const created = await fetch(`${gateway.url}/v1/admin/principals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${String(gateway.devAdminKey)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'chat-agent', role: 'agent' }),
  });
  agentKey = ((await created.json()) as { api_key: string }).api_key;
});
after(async () => {
  await gateway?.close();
  await standIn?.close();
});

async function chat(content: string, stream: boolean): Promise<{ status: number; text: string }> {
  const r = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'stand-in', stream, messages: [{ role: 'user', content }] }),
  });
  return { status: r.status, text: await r.text() };
}

function assertNoKey(text: string, where: string): void {
  for (const form of encodedForms(KEY)) assert.ok(!text.includes(form), `${where} holds ${form}`);
}

test('a JSON answer echoing the key (raw and \\u-escaped) reaches the agent stripped', async () => {
  const before = standIn.authorizations.length;
  const answer = await chat('hello', false);
  assert.equal(answer.status, 200, answer.text);
  // The vault's key was sent: the stand-in received it.
  assert.equal(standIn.authorizations.at(before), `Bearer ${KEY}`);
  assertNoKey(answer.text, 'the JSON answer');
  const body = JSON.parse(answer.text) as { echo: string; choices: { message: { content: string } }[] };
  assert.equal(body.echo, MARKER);
  assert.equal(body.choices[0]?.message.content, `you sent ${MARKER} and ${MARKER}`);
});

test('a streamed answer splitting the key across deltas and across reads reaches the agent stripped', async () => {
  const answer = await chat('hello', true);
  assert.equal(answer.status, 200);
  assertNoKey(answer.text, 'the event stream');
  const events = answer.text
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)) as { choices?: { delta?: { content?: string } }[] });
  const text = events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
  // Every delta's text arrives, in order, with the key replaced (held back only while it could be one).
  assert.match(text, new RegExp(`^you sent ${escape(MARKER)} ok again ${escape(MARKER)}\\.`));
  assert.match(answer.text, /data: \[DONE\]/);
  // The tool call's arguments were stripped whole before they were decided (and audited).
  const audit = leaksIn(dataDir, KEY);
  assert.deepEqual(audit, []);
});

test('the model list and an upstream error are stripped too', async () => {
  const models = await fetch(`${gateway.url}/v1/models`, {
    headers: { authorization: `Bearer ${agentKey}` },
  });
  const text = await models.text();
  assert.equal(models.status, 200);
  assertNoKey(text, 'the model list');
  assert.match(text, new RegExp(escape(MARKER)));
  const failed = await chat('fail', false);
  assert.equal(failed.status, 502);
  assertNoKey(failed.text, 'the error');
});

test('nothing in the data directory (audit log included) holds the key; a key that no longer unseals sends nothing', async () => {
  assert.deepEqual(leaksIn(dataDir, KEY), []);
  const sent = standIn.authorizations.length;
  new Vault(dataDir).remove('openai-upstream');
  const answer = await chat('hello', false);
  assert.equal(answer.status, 502);
  assert.equal((JSON.parse(answer.text) as { code: string }).code, 'E_UPSTREAM_KEY');
  assert.equal(standIn.authorizations.length, sent, 'no request went upstream without the key');
});

function escape(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
