// `carapace secrets` as a user runs it (the built CLI): values from stdin only, never a flag; nothing
// printed holds a value; each change audited when no gateway holds the data directory; list says
// which records no longer unseal (exit 1). And `verify-output` on a signed output.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { OutputSigner } from '../../src/vault/signed_output.js';
import { auditEvents } from '../sdk/helpers.js';
import { carapace, json } from '../cli/run_carapace.js';
import { CANARY, encodedForms, freshDataDir, leaksIn } from './helpers.js';

const BUILT = existsSync('dist/cli/main.js');
const skip = BUILT ? false : 'dist is not built: run `npm run build` (npm test does)';

function policyFile(dataDir: string): string {
  const path = `${dataDir}-policy.yaml`;
  writeFileSync(
    path,
    [
      'hosts: [{match: exact, value: api.github.com}]',
      'methods: [GET, POST]',
      'inject: {kind: header, name: Authorization, template: "Bearer {secret}"}',
    ].join('\n'),
  );
  return path;
}

function noSecret(text: string) {
  for (const form of encodedForms(CANARY)) assert.ok(!text.includes(form), `printed ${form}`);
}

test(
  'secrets put, list, rotate, rm: values from stdin, never printed, every change audited',
  { skip },
  async () => {
    const dataDir = freshDataDir();
    const policy = policyFile(dataDir);
    const put = await carapace(
      ['secrets', 'put', 'github', '--policy', policy, '-d', dataDir],
      `${CANARY}\n`,
      { CARAPACE_MASTER_KEY: undefined },
    );
    assert.equal(put.code, 0, put.stdout + put.stderr);
    noSecret(put.stdout + put.stderr);
    assert.equal(json(put).audited, true);
    assert.equal(json(put).version, 1);
    const list = await carapace(['secrets', 'list', '-d', dataDir]);
    assert.equal(list.code, 0);
    assert.equal((JSON.parse(list.stdout) as { sealed: string }[])[0]?.sealed, 'ok');
    const rotate = await carapace(
      ['secrets', 'rotate', 'github', '-d', dataDir],
      'ghp_rotated_value_123456\n',
    );
    assert.equal(json(rotate).version, 2);
    const kinds = (await auditEvents(dataDir)).map((e) => e.kind);
    assert.deepEqual(
      kinds.filter((k) => k.startsWith('vault.')),
      ['vault.secret_put', 'vault.secret_rotated'],
    );
    assert.deepEqual(leaksIn(dataDir, CANARY), []);
    const rm = await carapace(['secrets', 'rm', 'github', '-d', dataDir]);
    assert.equal(json(rm).removed, true);
    assert.equal((await carapace(['secrets', 'rm', 'github', '-d', dataDir])).code, 2);
  },
);

test(
  'a value given as a flag is refused and not echoed; a tampered record makes list exit 1',
  { skip },
  async () => {
    const dataDir = freshDataDir();
    const refused = await carapace([
      'secrets',
      'put',
      'github',
      '--policy',
      policyFile(dataDir),
      '--value',
      CANARY,
      '-d',
      dataDir,
    ]);
    assert.equal(refused.code, 2);
    assert.equal(json(refused).code, 'E_VALUE_FLAG_REFUSED');
    noSecret(refused.stdout + refused.stderr);
    await carapace(['secrets', 'put', 'github', '--policy', policyFile(dataDir), '-d', dataDir], CANARY);
    const path = join(dataDir, 'vault', 'secrets', 'github.json');
    const record = JSON.parse(readFileSync(path, 'utf8')) as { policy: { methods: string[] } };
    record.policy.methods = ['DELETE', 'GET', 'POST'];
    writeFileSync(path, JSON.stringify(record));
    const list = await carapace(['secrets', 'list', '-d', dataDir]);
    assert.equal(list.code, 1);
    assert.deepEqual(JSON.parse(list.stdout), [{ id: 'github', sealed: 'E_VAULT_UNSEAL' }]);
    const bad = await carapace(
      ['secrets', 'put', 'other', '--policy', policyFile(dataDir), '-d', dataDir],
      'a\u0001b',
    );
    assert.equal(json(bad).code, 'E_VAULT_VALUE_INVALID');
  },
);

test(
  'verify-output: a signed output passes with --allow-no-tee, fails without it and when altered',
  { skip },
  async () => {
    const dataDir = freshDataDir();
    const signed = OutputSigner.generate().sign({ tool: 'http.request' }, { status: 200 });
    const file = `${dataDir}-signed.json`;
    writeFileSync(file, JSON.stringify(signed));
    const ok = await carapace(['verify-output', file, '--allow-no-tee']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(json(ok).assurance, 'signature-only');
    const strict = await carapace(['verify-output', file]);
    assert.equal(strict.code, 1);
    assert.equal((json(strict).cryptographic as { status: string }).status, 'skipped');
    writeFileSync(file, JSON.stringify({ ...signed, result: { status: 500 } }));
    assert.equal((await carapace(['verify-output', file, '--allow-no-tee'])).code, 1);
    assert.equal(json(await carapace(['verify-output', file, '--nonce', 'xyz'])).code, 'E_ARG_INVALID');
  },
);

test(
  'serve --broker: says what the broker holds and that there is no TEE here; seals the upstream key on first run',
  { skip },
  async () => {
    const { spawn } = await import('node:child_process');
    const dataDir = freshDataDir();
    await carapace(['secrets', 'put', 'github', '--policy', policyFile(dataDir), '-d', dataDir], CANARY);
    const serve = (env: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            'bin/carapace.js',
            'serve',
            '--broker',
            '--port',
            '0',
            '--control-port',
            '0',
            '--data-dir',
            dataDir,
            '--upstream-url',
            'http://127.0.0.1:9/v1',
          ],
          {
            env: { ...process.env, ...env },
          },
        );
        let out = '';
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`serve did not start: ${out}`));
        }, 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('credential broker:')) child.kill('SIGTERM');
        });
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', () => {
          clearTimeout(timer);
          resolve(out);
        });
      });
    const upstreamKey = 'sk-upstream-test-key-000000000000';
    const first = await serve({ CARAPACE_UPSTREAM_API_KEY: upstreamKey });
    assert.match(
      first,
      /credential broker: http\.request with 2 sealed secret\(s\).*catalog demo-data-hall\+http sha256:[0-9a-f]{64}; tee: none \(/,
    );
    assert.match(
      first,
      /upstream key sealed now from CARAPACE_UPSTREAM_API_KEY as vault secret openai-upstream/,
    );
    const later = await serve({ CARAPACE_UPSTREAM_API_KEY: '' });
    assert.match(later, /upstream key loaded sealed \(vault secret openai-upstream v1\)/);
    noSecret(first + later);
    assert.ok(!(first + later).includes(upstreamKey));
    assert.deepEqual(leaksIn(dataDir, upstreamKey), []);
    const events = await auditEvents(dataDir);
    const opened = events.filter((e) => e.kind === 'broker.opened');
    assert.equal(opened.length, 2);
  },
);
