// `carapace serve` turns the OpenAI proxy on from CARAPACE_UPSTREAM_URL, with the upstream key read from
// CARAPACE_UPSTREAM_API_KEY only: a key given as a flag or inside the URL is refused and never echoed.
// Runs the built command (bin/carapace.js) as a user would, against a SCRIPTED upstream.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { carapace, json } from '../../cli/run_carapace.js';
import { completion, SCRIPTED_MODEL, startScriptedUpstream } from './scripted_upstream.js';

const BIN = fileURLToPath(new URL('../../../bin/carapace.js', import.meta.url));
const SECRET = 'sk-serve-test-upstream-0123456789abcdef';

test('serve refuses the upstream key as a flag or inside the URL, without echoing it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-serve-openai-'));
  const flag = await carapace(['serve', '--data-dir', dataDir, '--upstream-api-key', SECRET]);
  assert.equal(flag.code, 2);
  assert.equal(json(flag).code, 'E_KEY_FLAG_REFUSED');
  assert.ok(!(flag.stdout + flag.stderr).includes(SECRET));

  const inUrl = await carapace(['serve', '--data-dir', dataDir], '', {
    CARAPACE_UPSTREAM_URL: `http://agent:${SECRET}@127.0.0.1:9/v1`,
  });
  assert.equal(inUrl.code, 2);
  assert.equal(json(inUrl).code, 'E_SERVE_OPTION');
  assert.ok(!(inUrl.stdout + inUrl.stderr).includes(SECRET));
});

test('serve with CARAPACE_UPSTREAM_URL proxies chat completions with the key from CARAPACE_UPSTREAM_API_KEY', async () => {
  const upstream = await startScriptedUpstream(() => ({ kind: 'json', body: completion('pong') }));
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-serve-openai-'));
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--dev', '--hall', 'none', '--port', '0', '--control-port', '0', '--data-dir', dataDir],
    {
      env: {
        ...process.env,
        CARAPACE_LOG_LEVEL: 'silent',
        CARAPACE_UPSTREAM_URL: upstream.url,
        CARAPACE_UPSTREAM_API_KEY: SECRET,
      },
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const deadline = Date.now() + 30_000;
    while (!/dev admin API key[^\n]*: (cpk_\S+)\n/.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`serve did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /gateway listening on (http:\/\/\S+)/.exec(out)?.[1] as string;
    const controlUrl = /control plane listening on (http:\/\/\S+)/.exec(out)?.[1] as string;
    const adminKey = /dev admin API key[^\n]*: (cpk_\S+)/.exec(out)?.[1] as string;
    assert.match(
      out,
      /openai proxy: POST http:\/\/\S+\/v1\/chat\/completions -> http:\/\/127\.0\.0\.1:\d+ \(upstream key from CARAPACE_UPSTREAM_API_KEY\)/,
    );
    const created = await fetch(`${controlUrl}/v1/admin/principals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ops-agent', role: 'agent' }),
    });
    const agentKey = ((await created.json()) as { api_key: string }).api_key;
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: agentKey, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: SCRIPTED_MODEL,
      messages: [{ role: 'user', content: 'ping' }],
    });
    assert.equal(answer.choices[0]?.message.content, 'pong');
    assert.equal(upstream.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}`);
  } finally {
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('close', resolve));
    await upstream.close();
    assert.equal(code, 0, out);
    assert.ok(!out.includes(SECRET), 'the upstream key is never printed');
  }
});
