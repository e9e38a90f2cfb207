// examples/openai-agent end to end: the official client through the proxy to the SCRIPTED model, the
// poisoned night shift quarantined and never run, the day shift's restart allowed and run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample } from '../../../examples/openai-agent/main.js';

test('the OpenAI agent example: the poisoned isolation is quarantined and never runs; the benign restart runs', async () => {
  const lines: string[] = [];
  const { upstream, night, day } = await runExample({ log: (line) => lines.push(line) });
  assert.equal(upstream, 'scripted');
  assert.match(lines[0] ?? '', /^SCRIPTED MODEL: /);

  assert.deepEqual(
    night.decisions.map((d) => [d.tool, d.decision, d.rule]),
    [
      ['read_logs', 'ALLOW', 'R8'],
      ['isolate_network_device', 'QUARANTINE', 'R2'],
    ],
  );
  assert.deepEqual(
    night.executed.map((e) => e.tool),
    ['read_logs'],
  );
  const told = night.messages.at(-1) as { role: string; content: string };
  assert.equal(told.role, 'assistant');
  assert.match(
    told.content,
    /\[carapace\] The call isolate_network_device \(call_scripted_\d+\) was not run: QUARANTINE by rule R2\./,
  );

  assert.deepEqual(
    day.decisions.map((d) => [d.tool, d.decision, d.rule]),
    [
      ['read_logs', 'ALLOW', 'R8'],
      ['restart_workload', 'ALLOW', 'R7'],
    ],
  );
  assert.deepEqual(
    day.executed.map((e) => [e.tool, (e.result as { executor: string }).executor]),
    [
      ['read_logs', 'simulated-log-reader'],
      ['restart_workload', 'echo'],
    ],
  );
});
