// The gateway logs JSON lines through pino, at CARAPACE_LOG_LEVEL, and never an API key, an execution
// token or a request body: a full flow is run with every level on and the captured log searched.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createGatewayLogger } from '../../src/gateway/logger.js';
import { startGateway } from '../../src/gateway/serve.js';

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

test('neither an API key, an execution token nor a request body appears in the log, even at trace level', async () => {
  const log = capture();
  const gw = await startGateway({
    dataDir: mkdtempSync(join(tmpdir(), 'carapace-logs-')),
    port: 0,
    dev: true,
    logLevel: 'trace',
    logStream: log.stream,
  });
  const call = async (method: string, path: string, key: string | null, body?: unknown) => {
    const response = await fetch(`${gw.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const adminKey = gw.devAdminKey as string;
  const secretContent = 'the-ingested-content-is-a-body-and-stays-out-of-the-log';
  let agentKey: string | undefined;
  let token: string | undefined;
  try {
    await call('POST', '/v1/admin/channels', adminKey, { name: 'web', trust: 'untrusted' });
    agentKey = (
      await call('POST', '/v1/admin/principals', adminKey, { name: 'a', role: 'agent', channel: 'web' })
    ).api_key as string;
    await call('POST', '/v1/ingest', agentKey, { content: secretContent });
    const envelope = { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-01' } };
    token = (await call('POST', '/v1/actions', agentKey, { envelope })).token as string;
    const execute = { token, tool: 'get_telemetry', args: envelope.args };
    await call('POST', '/v1/execute', agentKey, execute);
    await call('POST', '/v1/execute', agentKey, execute); // replayed: refused, and the refusal is logged
    await call('POST', '/v1/execute', `${agentKey}x`, execute); // a wrong key: 401
    await call('GET', `/v1/reviews?token=${token.slice(0, 12)}`, adminKey);
  } finally {
    await gw.close();
  }
  if (agentKey === undefined || token === undefined) return assert.fail('the flow did not run');
  assert.match(agentKey, /^cpk_/);
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

  const lines = log.lines();
  const requests = lines.filter((line) => (JSON.parse(line) as { msg?: string }).msg === 'request');
  assert.equal(requests.length, 8, 'one line for each of the 8 requests');
  for (const line of lines) {
    const entry = JSON.parse(line) as { level: number; time: number };
    assert.equal(typeof entry.level, 'number');
    assert.equal(typeof entry.time, 'number');
  }
  const text = lines.join('\n');
  assert.ok(text.includes('/v1/execute'), 'the log does say which routes were called');
  for (const [what, secret] of [
    ['admin key', adminKey],
    ['agent key', agentKey],
    ['token', token],
    ['token signature', token.split('.')[2] as string],
    ['token prefix in a query string', token.slice(0, 12)],
    ['request body', secretContent],
  ] as const)
    assert.ok(!text.includes(secret), `the ${what} is in the log`);
  assert.ok(!/authorization/i.test(text) || /"\[redacted\]"/.test(text), 'no authorization header value');
});

test('the level comes from CARAPACE_LOG_LEVEL, defaulting to info; an explicit level wins', () => {
  const saved = process.env.CARAPACE_LOG_LEVEL;
  try {
    delete process.env.CARAPACE_LOG_LEVEL;
    assert.equal(createGatewayLogger().level, 'info');
    process.env.CARAPACE_LOG_LEVEL = 'warn';
    assert.equal(createGatewayLogger().level, 'warn');
    assert.equal(createGatewayLogger({ level: 'silent' }).level, 'silent');
  } finally {
    if (saved === undefined) delete process.env.CARAPACE_LOG_LEVEL;
    else process.env.CARAPACE_LOG_LEVEL = saved;
  }
});

test('the logger redacts keys and tokens wherever a log call puts them', () => {
  const log = capture();
  const logger = createGatewayLogger({ level: 'info', stream: log.stream });
  logger.info({
    api_key: 'cpk_secret',
    token: 'eyJ.secret.sig',
    req: { headers: { authorization: 'Bearer cpk_x' } },
  });
  logger.info({ principal: { api_key: 'cpk_nested' }, claims: { token: 'eyJ.nested' } }, 'nested');
  const text = log.lines().join('\n');
  for (const secret of ['cpk_secret', 'eyJ.secret.sig', 'cpk_nested', 'eyJ.nested'])
    assert.ok(!text.includes(secret), secret);
});
