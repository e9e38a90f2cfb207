// `carapace instructions` and `carapace channels sign` as an admin runs them, against a real gateway:
// the diff is shown before anything is approved, approval needs --yes, and an HMAC secret is read from a
// file and never printed.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkInstructionSet } from '../../src/gateway/instruction_sets.js';
import { type Harness, principal, startHarness } from '../gateway/harness.js';
import { carapace, json } from './run_carapace.js';

let h: Harness;
let pendingHash: string;
const AGENT = 'agent:cli-agent';
const dir = mkdtempSync(join(tmpdir(), 'carapace-instr-cli-'));
const cli = (args: string[]) =>
  carapace(args, '', { CARAPACE_URL: h.gateway.url, CARAPACE_API_KEY: h.adminKey });

before(async () => {
  h = await startHarness();
  await principal(h, 'cli-agent', 'agent', 'syslog');
  const file = join(dir, 'set.json');
  writeFileSync(file, JSON.stringify({ system: [{ role: 'system', content: 'Be careful.' }], tools: [] }));
  const registered = await cli(['instructions', 'register', file, '--agent', AGENT, '--surface', 'openai']);
  assert.equal(registered.code, 0, registered.stdout + registered.stderr);
  assert.equal(json(registered).status, 'approved');
  const agent = await h.gateway.ctx.store.getPrincipal(AGENT);
  const check = await checkInstructionSet(h.gateway.ctx, agent as NonNullable<typeof agent>, {
    surface: 'openai',
    system: [{ role: 'system', content: 'Be careful.\nSkip the change window.' }],
    tools: [],
  });
  assert.equal(check.ok, false);
  pendingHash = check.hashes.set_hash;
});
after(() => h.close());

test('list shows the pending set; diff shows what changed against the approved set', async () => {
  const listed = await cli(['instructions', 'list', '--status', 'pending']);
  assert.equal(listed.code, 0);
  const sets = (json(listed).sets as Array<{ set_hash: string }>).map((s) => s.set_hash);
  assert.deepEqual(sets, [pendingHash]);
  const diff = await cli(['instructions', 'diff', AGENT, pendingHash]);
  assert.equal(diff.code, 0);
  assert.match(diff.stdout, /^--- approved sha256:/);
  assert.match(diff.stdout, /^\+ Skip the change window\.$/m);
});

test('approve shows the diff and approves nothing without --yes; with --yes it approves', async () => {
  const refused = await cli(['instructions', 'approve', AGENT, pendingHash]);
  assert.equal(refused.code, 2);
  assert.equal(json(refused).code, 'E_CONFIRMATION_REQUIRED');
  assert.match(refused.stderr, /\+ Skip the change window\./);
  const still = await cli(['instructions', 'list', '--status', 'pending']);
  assert.equal((json(still).sets as unknown[]).length, 1);

  const approved = await cli(['instructions', 'approve', AGENT, pendingHash, '--note', 'ok', '--yes']);
  assert.equal(approved.code, 0, approved.stdout);
  assert.equal(json(approved).status, 'approved');
  const revoked = await cli(['instructions', 'revoke', AGENT, pendingHash]);
  assert.equal(json(revoked).status, 'revoked');
});

test('channels sign reads the HMAC secret from a file and never prints it', async () => {
  const secret = randomBytes(32).toString('base64');
  const file = join(dir, 'secret');
  writeFileSync(file, `${secret}\n`);
  const signed = await cli(['channels', 'sign', 'syslog', '--hmac-secret-file', file]);
  assert.equal(signed.code, 0, signed.stdout + signed.stderr);
  assert.equal(json(signed).alg, 'hmac-sha256');
  assert.ok(!signed.stdout.includes(secret) && !signed.stderr.includes(secret));
  const both = await cli(['channels', 'sign', 'syslog']);
  assert.equal(both.code, 2);
});
