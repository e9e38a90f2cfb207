// The SDK examples, each run end to end as a user runs it (`npx tsx examples/sdk-*/agent.ts`), importing
// `carapace/sdk` through the package's own exports (so from dist/: `npm test` builds first), and the
// audit log each one leaves checked with `carapace audit verify`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as source from '../../src/sdk/index.js';
import { auditEvents, freshDir } from './helpers.js';

const BUILT = existsSync('dist/sdk/index.js');
const skip = BUILT ? false : 'dist/sdk is not built: run `npm run build` (npm test does)';

function runExample(name: string): { stdout: string; dataDir: string } {
  const dataDir = join(freshDir(`carapace-${name}-`), 'data');
  const run = spawnSync(process.execPath, ['--import', 'tsx', `examples/${name}/agent.ts`], {
    env: { ...process.env, CARAPACE_DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, `${name} failed:\n${run.stdout}\n${run.stderr}`);
  return { stdout: run.stdout, dataDir };
}

function verifiedWithCli(dataDir: string): string {
  const run = spawnSync(process.execPath, ['bin/carapace.js', 'audit', 'verify', dataDir], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `audit verify failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

test('carapace/sdk resolves through the package exports to the built SDK', { skip }, async () => {
  // Specifiers in variables: type-checking must not depend on dist/ having been built.
  const [sdkSpecifier, rootSpecifier] = ['carapace/sdk', 'carapace'];
  const sdk = (await import(sdkSpecifier)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(sdk).sort(), Object.keys(source).sort());
  assert.deepEqual(Object.keys((await import(rootSpecifier)) as object).sort(), Object.keys(source).sort());
});

test(
  'the examples type-check against the types the package publishes (dist/sdk/index.d.ts)',
  { skip },
  () => {
    const files = ['sdk-plain', 'sdk-vercel-ai', 'sdk-langchain'].map((name) => `examples/${name}/agent.ts`);
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', '--module', 'NodeNext'];
    const run = spawnSync(
      process.execPath,
      [
        'node_modules/typescript/bin/tsc',
        ...flags,
        '--moduleResolution',
        'NodeNext',
        '--types',
        'node',
        ...files,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
  },
);

test(
  'examples/sdk-plain: the restart runs, the injected isolation is denied and never runs',
  { skip },
  async () => {
    const { stdout, dataDir } = runExample('sdk-plain');
    assert.match(stdout, /ALLOW get_telemetry \(R8\)/);
    assert.match(stdout, /"on_call":"<EMAIL_ADDRESS>"/);
    assert.match(stdout, /ALLOW restart_workload \(R7\)/);
    assert.match(stdout, /DENY isolate_network_device \(R2\)/);
    assert.match(stdout, /effects: \["restart api@sj-01"\]/);
    verifiedWithCli(dataDir);
    const kinds = (await auditEvents(dataDir)).map((e) => e.kind);
    assert.equal(kinds.filter((k) => k === 'decision').length, 3);
    assert.equal(kinds.filter((k) => k === 'execution').length, 2);
  },
);

test(
  'examples/sdk-vercel-ai: generateText refunds from the console and is refused from the inbox',
  { skip },
  async () => {
    const { stdout, dataDir } = runExample('sdk-vercel-ai');
    assert.match(stdout, /lookup_order -> .*"contact":"<EMAIL_ADDRESS>","card":"<CREDIT_CARD>"/);
    assert.match(stdout, /refund_order -> \{"refunded":25/);
    assert.match(stdout, /close_account refused: E_ACTION_DENIED Carapace denied close_account \(R2\)/);
    assert.match(stdout, /effects: \["refund o-1001 25"\]/);
    verifiedWithCli(dataDir);
  },
);

test(
  'examples/sdk-langchain: a log read through a tool taints the session, and the isolation it asks for is denied',
  { skip },
  async () => {
    const { stdout, dataDir } = runExample('sdk-langchain');
    assert.match(stdout, /\[success\] get_telemetry/);
    assert.match(stdout, /\[success\] read_logs/);
    assert.match(stdout, /\[error\] {2}Error: Carapace denied isolate_network_device \(R2\)/);
    assert.match(stdout, /effects: \[\]/);
    verifiedWithCli(dataDir);
    // The denial cites the session's tainted chunk: the log output, not the operator's instruction.
    const denial = (await auditEvents(dataDir)).filter((e) => e.kind === 'decision').at(-1);
    const record = denial?.payload.record as {
      sources: { cited: boolean; injection_suspected: boolean; channel?: string }[];
    };
    assert.ok(record.sources.some((s) => !s.cited && s.injection_suspected && s.channel === 'tool-output'));
  },
);
