// The short version of `npm run load` (issue 13 item 6): 10 s of POST /v1/actions against a real
// `carapace serve` process. Every request must be answered 2xx and the report must carry throughput,
// latency and the gateway's memory; speed and memory flatness are judged on the full run
// (docs/benchmarks.md), not here.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function load(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/load.ts', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 180_000,
  });
}

test('10 s of sustained POST /v1/actions: every request answered 2xx, throughput, latency and memory reported', () => {
  const run = load(['--duration', '10', '--warmup', '3', '--connections', '8', '--json']);
  const report = JSON.parse(run.stdout) as {
    failed: boolean;
    decision: string;
    per_instance: {
      requests: number;
      per_second: number;
      latency_ms: { p50: number; p99: number };
      non2xx: number;
      errors: number;
      rss_mb: { after_warmup: number; end: number };
      heap_mb: { after_warmup: number; end: number };
    }[];
  };
  assert.equal(report.failed, false, run.stdout);
  assert.equal(report.decision, 'ALLOW R7');
  const [instance] = report.per_instance;
  assert.ok(instance);
  assert.ok(instance.requests > 0);
  assert.deepEqual([instance.non2xx, instance.errors], [0, 0]);
  assert.ok(instance.latency_ms.p99 >= instance.latency_ms.p50);
  assert.ok(instance.rss_mb.after_warmup > 0 && instance.heap_mb.end > 0);
});

test('several instances without a shared store are refused with a clear message', () => {
  const run = load(['--instances', '3', '--duration', '1']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--store/);
});
