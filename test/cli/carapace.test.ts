// The `carapace` command as a user runs it (bin/carapace.js over the built dist/): every decision
// vector through `decide`, errors as {error, code, detail} with exit 2, replay, ruleset, scenarios.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_RULESET } from '../../src/engine/index.js';
import { VECTORS, vectorNamed } from '../engine/vectors.js';
import { carapace, json } from './run_carapace.js';

const tmp = mkdtempSync(join(tmpdir(), 'carapace-cli-'));

test('every decision vector piped into `carapace decide` gets its expected decision and rule', async () => {
  const runs = await Promise.all(VECTORS.map((v) => carapace(['decide'], JSON.stringify(v.input))));
  for (const [i, run] of runs.entries()) {
    const v = VECTORS[i];
    assert.ok(v);
    assert.equal(run.code, 0, `${v.name}: ${run.stdout}${run.stderr}`);
    const record = json(run);
    assert.deepEqual([record.decision, record.rule], [v.expect.decision, v.expect.rule], v.name);
    assert.equal(record.ruleset_hash, DEFAULT_RULESET.hash);
  }
});

test('`decide --file` reads the request from a file', async () => {
  const run = await carapace(['decide', '--file', 'examples/scenarios/reference-scenario-corroborated.json']);
  assert.equal(run.code, 0);
  assert.deepEqual(
    [json(run).decision, json(run).rule, json(run).base_decision],
    ['QUARANTINE', 'R2', 'DENY'],
  );
});

test('`decide --catalog` takes a YAML catalog', async () => {
  const path = join(tmp, 'catalog.yaml');
  writeFileSync(
    path,
    [
      'name: tiny',
      'entities: []',
      'tools:',
      '  - name: drain_workload',
      '    intent: remediate_destructive',
      '    radius: workload',
      '    args: { type: object, required: [workload], properties: { workload: { type: string } } }',
    ].join('\n'),
  );
  const request = {
    envelope: {
      intent: 'remediate_destructive',
      tool: 'drain_workload',
      args: { workload: 'w' },
      source_signals: ['c'],
    },
    chunks: [{ id: 'c', trust: 'trusted', injection_suspected: false }],
  };
  const run = await carapace(['decide', '--catalog', path], JSON.stringify(request));
  assert.equal(run.code, 0, run.stdout);
  assert.deepEqual([json(run).decision, json(run).rule], ['HUMAN_REVIEW', 'R6']);
});

test('input the CLI cannot take exits 2 with {error, code, detail} on stdout', async () => {
  const valid = vectorNamed('R7: same-site').input;
  const cases: [string[], string, string][] = [
    [['decide'], '{"envelope": ', 'E_JSON_PARSE'],
    [['decide'], '', 'E_JSON_PARSE'],
    [['decide'], '[1,2]', 'E_REQUEST_INVALID'],
    [['decide'], JSON.stringify({ ...valid, verdict: 'ALLOW' }), 'E_REQUEST_INVALID'],
    [
      ['decide'],
      JSON.stringify({ ...valid, envelope: { ...(valid.envelope as object), sudo: true } }),
      'E_ENVELOPE_INVALID',
    ],
    [
      ['decide'],
      JSON.stringify({ ...valid, chunks: [{ id: 'x', trust: 'root', injection_suspected: false }] }),
      'E_CHUNK_INVALID',
    ],
    [
      ['decide'],
      JSON.stringify({ ...valid, catalog: { name: 'c', tools: [], entities: [] } }),
      'E_CATALOG_INVALID',
    ],
    [['decide'], `{"pad":"${'x'.repeat(1024 * 1024)}"}`, 'E_INPUT_TOO_LARGE'],
    [['decide', '--file', '/nonexistent/request.json'], '', 'E_FILE_UNREADABLE'],
    [['decide', '--catalog', '/nonexistent/catalog.yaml'], JSON.stringify(valid), 'E_FILE_UNREADABLE'],
  ];
  const runs = await Promise.all(cases.map(([args, input]) => carapace(args, input)));
  for (const [i, run] of runs.entries()) {
    const [args, , code] = cases[i] as [string[], string, string];
    assert.equal(run.code, 2, `${args.join(' ')} → ${code}: ${run.stdout}${run.stderr}`);
    const body = json(run);
    assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'error'], run.stdout);
    assert.equal(body.code, code, run.stdout);
    assert.doesNotMatch(run.stdout, /"decision"/);
  }
});

test('an unknown command or option is a usage error with exit 2', async () => {
  assert.equal((await carapace(['frobnicate'])).code, 2);
  assert.equal((await carapace(['decide', '--yolo'])).code, 2);
});

test('`replay` finds recorded decisions identical, and names a tampered or unreadable line', async () => {
  const records = await Promise.all(
    VECTORS.filter((v) => v.input.catalog === undefined).map((v) =>
      carapace(['decide'], JSON.stringify(v.input)),
    ),
  );
  const lines = records.map((r) => JSON.stringify(json(r)));
  const good = join(tmp, 'good.jsonl');
  writeFileSync(good, `${lines.join('\n')}\n`);
  const ok = await carapace(['replay', good]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.deepEqual(
    [json(ok).records, json(ok).identical, json(ok).differing],
    [lines.length, lines.length, 0],
  );

  const tampered = lines.map((l) => JSON.parse(l));
  tampered[1].decision = 'ALLOW';
  tampered[2].request.envelope.args = { device_id: 'leaf-switch-sj-01-a' };
  const bad = join(tmp, 'bad.jsonl');
  writeFileSync(bad, `${tampered.map((t) => JSON.stringify(t)).join('\n')}\nnot json\n`);
  const run = await carapace(['replay', bad]);
  assert.equal(run.code, 1, run.stdout);
  const report = json(run) as { differing: number; differences: { line: number; differences: string[] }[] };
  assert.equal(report.differing, 3);
  assert.deepEqual(
    report.differences.map((d) => d.line),
    [2, 3, lines.length + 1],
  );
  assert.match(report.differences[0]?.differences[0] ?? '', /^decision: recorded "ALLOW"/);
  assert.match(report.differences[1]?.differences[0] ?? '', /^request_hash: .*altered/);
  assert.match(report.differences[2]?.differences[0] ?? '', /^not JSON/);

  const missing = await carapace(['replay', join(tmp, 'missing.jsonl')]);
  assert.equal(missing.code, 2);
  assert.equal(json(missing).code, 'E_FILE_UNREADABLE');
});

test('`ruleset hash` and `ruleset show` print the compiled default ruleset and its hash', async () => {
  const [hash, show] = await Promise.all([carapace(['ruleset', 'hash']), carapace(['ruleset', 'show'])]);
  assert.equal(hash.code, 0);
  assert.equal(hash.stdout.trim(), DEFAULT_RULESET.hash);
  const shown = json(show) as { hash: string; version: string; ruleset: { rules: { id: string }[] } };
  assert.equal(shown.hash, DEFAULT_RULESET.hash);
  assert.deepEqual(
    shown.ruleset.rules.map((r) => r.id),
    ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8', 'R9'],
  );
});

test('`scenarios` decides the demo scenarios, records both layers in the audit log, and says what is simulated', async () => {
  const dataDir = join(tmp, 'demo');
  const run = await carapace(['scenarios', '--data-dir', dataDir]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /QUARANTINE by R2/);
  assert.match(run.stdout, /ALLOW by R7/);
  assert.match(run.stdout, /hand-written, not from a real proxy/);
  const verify = await carapace(['audit', 'verify', dataDir]);
  assert.equal(verify.code, 0, verify.stdout);
  assert.match(verify.stdout, /^OK: 1[0-9] entries/);
  const receipt = join(tmp, 'demo-receipt.json');
  const seq = /QUARANTINE by R2[^\n]*\n {2}audit entry (\d+)/.exec(run.stdout)?.[1];
  assert.ok(seq, 'the demo names the audit entry of the quarantined action');
  assert.equal((await carapace(['audit', 'proof', seq, '--data-dir', dataDir, '--out', receipt])).code, 0);
  const vkey = (await carapace(['keys', 'show', '--data-dir', dataDir])).stdout.trim();
  const checked = await carapace(['audit', 'verify-receipt', receipt, '--key', vkey]);
  assert.equal(checked.code, 0, checked.stdout);
  assert.match(checked.stdout, new RegExp(`^OK: entry ${seq} \\(decision\\)`));
});
