// The real hall's life cycle (needs Linux, root, ip and nft; skipped otherwise, failed under
// CARAPACE_REQUIRE_NETNS=1): up and down are idempotent, teardown leaves no namespace, link, process or
// file, a fresh process removes a hall whose creator crashed, and an effect on a hall that is down fails.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createHallExecutor, createNetnsHall, HallError } from '../../../src/executors/netns/index.js';
import { call, ledgerGate, namespacesWithPrefix, netnsSkip, processesOf, rootLinks } from './helpers.js';

const PREFIX = 'cptlife';
const skip = netnsSkip();
const HALL_MODULE = pathToFileURL(join(import.meta.dirname, '../../../src/executors/netns/index.ts')).href;

describe('the netns data hall: up, down and teardown after a crash', { skip }, () => {
  let tmp: string;
  let runDir: string;
  const hallWith = (probeIntervalMs = 200) => createNetnsHall({ prefix: PREFIX, runDir, probeIntervalMs });

  function assertNothingLeft(rootBefore: string[]): void {
    assert.deepEqual(namespacesWithPrefix(PREFIX), [], 'no namespace is left');
    assert.deepEqual(processesOf(PREFIX), [], 'no process is left');
    assert.equal(existsSync(runDir), false, 'the run directory is gone');
    assert.deepEqual(rootLinks(), rootBefore, 'the root namespace has the same links as before');
  }

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'cptlife-'));
    runDir = join(tmp, 'run');
  });
  after(async () => {
    await hallWith().down();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('up twice reuses the healthy hall; down twice: the second finds nothing; nothing is left', async () => {
    const rootBefore = rootLinks();
    const hall = hallWith();
    const first = await hall.up();
    assert.deepEqual([first.up, first.reused], [true, false]);
    assert.equal(namespacesWithPrefix(PREFIX).length, 4);
    assert.ok(existsSync(join(runDir, 'hall.json')));
    const pids = first.sites.map((s) => s.pid);
    assert.ok(pids.every((p) => typeof p === 'number'));
    assert.equal(processesOf(PREFIX).length, 9, 'three site agents and six workloads');

    const second = await hall.up();
    assert.deepEqual([second.up, second.reused], [true, true]);
    assert.deepEqual(
      second.sites.map((s) => s.pid),
      pids,
    );

    const down = await hall.down();
    assert.equal(down.already_down, false);
    assert.deepEqual(down.removed_namespaces, [
      `${PREFIX}-core`,
      `${PREFIX}-oak-01`,
      `${PREFIX}-sj-01`,
      `${PREFIX}-sj-02`,
    ]);
    assert.equal(down.stopped_pids.length, 9);
    assertNothingLeft(rootBefore);

    const again = await hall.down();
    assert.deepEqual(
      [again.already_down, again.removed_namespaces, again.stopped_pids, again.removed_files],
      [true, [], [], []],
    );
  });

  test('up rebuilds a hall whose site agent died, and one that was built with another interval', async () => {
    const first = await hallWith().up();
    const agent = first.sites.find((s) => s.site === 'sj-02')?.pid;
    assert.ok(agent);
    process.kill(agent, 'SIGKILL');
    const rebuilt = await hallWith().up();
    assert.deepEqual([rebuilt.up, rebuilt.reused], [true, false]);
    assert.ok(rebuilt.sites.every((s) => s.up && !first.sites.some((f) => f.pid === s.pid)));

    const other = await hallWith(300).up();
    assert.deepEqual([other.up, other.reused, other.probe_interval_ms], [true, false, 300]);
    await hallWith(300).down();
  });

  test('a fresh process removes, by prefix alone, a hall whose creator was killed', async () => {
    const rootBefore = rootLinks();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const program = [
      `const { createNetnsHall } = await import(${JSON.stringify(HALL_MODULE)});`,
      `await createNetnsHall(${JSON.stringify({ prefix: PREFIX, runDir, probeIntervalMs: 200 })}).up();`,
      `process.kill(process.pid, 'SIGKILL');`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    assert.equal(signal, 'SIGKILL', stderr);
    assert.equal(namespacesWithPrefix(PREFIX).length, 4, 'the crashed creator left its hall running');
    assert.equal(processesOf(PREFIX).length, 9);

    const down = await createNetnsHall({ prefix: PREFIX, runDir }).down();
    assert.equal(down.removed_namespaces.length, 4);
    assertNothingLeft(rootBefore);
  });

  test('an effect on a hall that is down is refused after the gate: nothing is claimed, nothing is built', async () => {
    const hall = hallWith();
    await hall.down();
    const { gate, mint, calls } = ledgerGate();
    const executor = createHallExecutor(hall, gate);
    const isolate = call('isolate_network_device', { device_id: 'spine-switch-sj-01' });
    await assert.rejects(
      executor.execute(await mint(isolate), isolate),
      (e: unknown) => e instanceof HallError && e.code === 'E_HALL_NOT_UP',
    );
    const restart = call('restart_workload', { workload: 'dns', site: 'sj-01' });
    await assert.rejects(
      executor.execute(await mint(restart), restart),
      (e: unknown) => e instanceof HallError && e.code === 'E_HALL_EFFECT' && /not running/.test(e.message),
    );
    assert.equal(calls.length, 2, 'the gate was asked (and spent the tokens) before the hall refused');
    assert.deepEqual(namespacesWithPrefix(PREFIX), []);
    await assert.rejects(hall.heal(), (e: unknown) => e instanceof HallError && e.code === 'E_HALL_NOT_UP');
    await assert.rejects(
      hall.probe('sj-01', 'sj-02'),
      (e: unknown) => e instanceof HallError && e.code === 'E_HALL_NOT_UP',
    );
    const status = await hall.status();
    assert.equal(status.up, false);
    assert.ok(status.sites.every((s) => !s.up && /does not exist/.test(s.error ?? '')));
  });
});
