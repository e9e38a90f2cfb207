// `carapace hall` as a user runs it (bin/carapace.js over the built dist/): the simulated hall's output is
// labelled SIMULATED everywhere; the real hall (root, ip, nft) stays up after `hall up` exits, so later
// commands see it, heal it and tear it down.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { carapace, json } from '../../cli/run_carapace.js';
import { namespacesWithPrefix, netnsSkip, processesOf, waitFor } from './helpers.js';

test('`hall … --simulated`: every command runs in-process and labels its output SIMULATED', async () => {
  for (const args of [['up'], ['status'], ['heal', 'sj-01'], ['down']]) {
    const run = await carapace(['hall', ...args, '--simulated', '--prefix', 'cptclisim']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const out = json(run);
    assert.equal(out.simulated, true, args.join(' '));
    assert.match(String(out.label), /^SIMULATED: /, args.join(' '));
    assert.match(String(out.note), /^SIMULATED: this hall existed only inside this command/);
    assert.equal(out.simulated_reason, 'the simulated hall was requested');
  }
  const status = json(await carapace(['hall', 'status', '--simulated', '--prefix', 'cptclisim']));
  const sites = status.sites as { namespace: string }[];
  assert.ok(sites.every((s) => s.namespace === '(none: SIMULATED)'));
});

test('`hall` refuses bad options as {error, code, detail} with exit 2', async () => {
  const badPrefix = await carapace(['hall', 'up', '--simulated', '--prefix', 'Bad-Prefix']);
  assert.equal(badPrefix.code, 2);
  assert.equal(json(badPrefix).code, 'E_HALL_CONFIG');
  const badInterval = await carapace(['hall', 'up', '--simulated', '--interval-ms', 'soon']);
  assert.equal(badInterval.code, 2);
  assert.deepEqual(json(badInterval), {
    error: 'invalid data hall option',
    code: 'E_HALL_CONFIG',
    detail: '--interval-ms soon is not a number of ms',
  });
  const badSite = await carapace(['hall', 'heal', 'sj-99', '--simulated']);
  assert.equal(badSite.code, 2);
  assert.equal(json(badSite).code, 'E_HALL_TARGET');
});

const PREFIX = 'cptcli';
const skip = netnsSkip();

describe('`carapace hall` on the real hall', { skip }, () => {
  let tmp: string;
  let hallArgs: string[];
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'cptcli-'));
    hallArgs = ['--prefix', PREFIX, '--run-dir', join(tmp, 'run')];
  });
  after(async () => {
    await carapace(['hall', 'down', ...hallArgs]);
    rmSync(tmp, { recursive: true, force: true });
  });

  test('up leaves the hall running after the command exits; status, heal and down work from later commands', async () => {
    const up = await carapace(['hall', 'up', ...hallArgs, '--interval-ms', '200']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual([json(up).up, json(up).simulated, json(up).reused], [true, false, false]);
    assert.match(String(json(up).label), /^REAL: /);
    assert.equal(processesOf(PREFIX).length, 9, 'the site agents and workloads outlive `hall up`');

    const status = await waitFor('every canary seeing every target', async () => {
      const out = json(await carapace(['hall', 'status', ...hallArgs]));
      const sites = out.sites as {
        up: boolean;
        canary: { round: number; unreachable: string[]; reachable: number };
      }[];
      return sites.every((s) => s.up && s.canary.round > 0 && s.canary.reachable === 18) ? out : undefined;
    });
    assert.equal(status.up, true);

    const heal = await carapace(['hall', 'heal', 'sj-01', ...hallArgs]);
    assert.equal(heal.code, 0, heal.stdout);
    assert.deepEqual(json(heal).healed, [{ site: 'sj-01', removed_chains: [] }]);

    const down = await carapace(['hall', 'down', ...hallArgs]);
    assert.equal(down.code, 0, down.stdout);
    assert.equal((json(down).removed_namespaces as string[]).length, 4);
    assert.deepEqual(namespacesWithPrefix(PREFIX), []);
    assert.deepEqual(processesOf(PREFIX), []);

    const again = await carapace(['hall', 'down', ...hallArgs]);
    assert.equal(json(again).already_down, true);
    const after = await carapace(['hall', 'heal', ...hallArgs]);
    assert.equal(after.code, 2);
    assert.equal(json(after).code, 'E_HALL_NOT_UP');
  });
});
