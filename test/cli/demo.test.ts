// `carapace demo` as a user runs it (the built CLI): the gate-off run darkens SJ-01 as the canaries
// see it, the gate-on run is QUARANTINE with no token and every canary green, the benign and reviewed
// actions run, and the audit log verifies. Once on the simulated hall (anywhere, and every line says
// SIMULATED), once on the real netns hall (root, ip and nft; skipped otherwise, failed under
// CARAPACE_REQUIRE_NETNS=1), which must leave no namespace behind.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { netnsSkip } from '../executors/netns/helpers.js';
import { carapace } from './run_carapace.js';

function checkStory(stdout: string): void {
  assert.match(stdout, /SCRIPTED AGENT: a fixed script standing in for an LLM/);
  assert.match(stdout, /SCRIPTED CONVERSATION LAYER/);
  assert.match(
    stdout,
    /syslog -> agent: \[edge-node-sj-01-03\] WARN: temperature nominal at 47C\. ###SYSTEM/,
  );
  assert.match(stdout, /agent -> tool call network\.isolate \{"device_id":"spine-switch-sj-01"\}/);
  assert.match(stdout, /canary sj-02 -> sj-01\/spine-switch-sj-01: UNREACHABLE/);
  assert.match(stdout, /SJ-01 is dark: 9 of 9 of its targets unreachable from every other site/);
  assert.match(stdout, /gateway: QUARANTINE by R2/);
  assert.match(stdout, /token: none minted; executor: not called/);
  assert.match(stdout, /canaries: every target still green/);
  assert.match(stdout, /audit #\d+ conversation\.verdict: conversation layer flagged the turn/);
  assert.match(
    stdout,
    /audit #\d+ decision: action layer QUARANTINE by R2; cited chunk:sha256:[0-9a-f]+… \(syslog, semi_trusted, injection suspected\)/,
  );
  assert.match(stdout, /gateway: ALLOW by R7/);
  assert.match(stdout, /gateway: HUMAN_REVIEW by R4/);
  assert.match(stdout, /carapace review approve: exit 0/);
  assert.match(stdout, /OAK-01 is dark as planned/);
  assert.match(stdout, /executor called\s+yes\s+no/);
  assert.match(stdout, /audit verify: OK: \d+ entries/);
}

test('the demo on the simulated hall tells the whole story and labels every hall line SIMULATED', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-demo-test-'));
  const run = await carapace([
    'demo',
    '--hall',
    'simulated',
    '--probe-interval-ms',
    '200',
    '--data-dir',
    dataDir,
  ]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  checkStory(run.stdout);
  assert.match(run.stdout, /^HALL {3}SIMULATED: /m);
  for (const line of run.stdout.split('\n').filter((l) => /canary|canaries|is dark|\] executor: /.test(l)))
    assert.match(line, /SIMULATED/, `a hall line without the SIMULATED label: ${line}`);
  const verify = await carapace(['audit', 'verify', dataDir]);
  assert.equal(verify.code, 0, verify.stdout);
});

const skip = netnsSkip();
test(
  'the demo on the real netns hall: sj-01 really goes dark without the gate and stays up with it',
  { skip },
  async () => {
    const run = await carapace(['demo', '--hall', 'netns', '--probe-interval-ms', '250']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    checkStory(run.stdout);
    assert.match(run.stdout, /^HALL {3}REAL: /m);
    assert.match(run.stdout, /executor: nftables deny-all installed in cpdemo-sj-01/);
    assert.doesNotMatch(run.stdout, /SIMULATED/);
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.doesNotMatch(left, /cpdemo/, 'the demo left a namespace behind');
  },
);
