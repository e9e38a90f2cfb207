// The console's server routes: each admits exactly its roles (401 without a key, 403 for another role),
// bad query parameters and ids are 400s, the live audit stream resumes after the seq a client saw (from
// Last-Event-ID or ?after) and ends when the gateway closes, a decision's page holds what explains it
// (spans of the poisoned line included), its receipt verifies with `carapace audit verify-receipt`,
// "verify now" agrees with the CLI, and the scenario runs once at a time and waits for a person.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { verifyReceipt } from '../../src/audit/receipt.js';
import { parseVerifierKey } from '../../src/crypto/signed_note.js';
import { POISONED_LINE, SCRIPTED_LOBSTERTRAP } from '../../src/demo/scenario_0314.js';
import { carapace } from '../cli/run_carapace.js';
import { type ConsoleHarness, openStream, startConsoleHarness, waitUntil } from './console_harness.js';

const ROLES = ['agent', 'approver', 'admin', 'auditor', 'service'] as const;
type Role = (typeof ROLES)[number];

let h: ConsoleHarness;
const keys = {} as Record<Role, string>;
let quarantined: number;

before(async () => {
  h = await startConsoleHarness({ hall: 'simulated', prefix: 'cproutes' });
  keys.admin = h.adminKey;
  keys.agent = await h.principal('routes-agent', 'agent', 'operator-console');
  keys.approver = await h.principal('routes-approver', 'approver');
  keys.auditor = await h.principal('routes-auditor', 'auditor');
  keys.service = await h.principal('routes-collector', 'service', 'syslog');
  const chunk = await h.call('POST', '/v1/ingest', keys.service, {
    content: POISONED_LINE,
    session: 's-routes',
    agent: 'agent:routes-agent',
  });
  const action = await h.call('POST', '/v1/actions', keys.agent, {
    envelope: {
      intent: 'remediate_destructive',
      tool: 'network.isolate',
      args: { device_id: 'spine-switch-sj-01' },
      source_signals: [chunk.body.id],
      session: 's-routes',
    },
    _lobstertrap: SCRIPTED_LOBSTERTRAP,
  });
  assert.equal(action.body.decision, 'QUARANTINE');
  quarantined = (action.body.audit as { seq: number }).seq;
});
after(() => h.close());

const ROUTES: [method: string, path: () => string, body: unknown, admitted: Role[]][] = [
  ['GET', () => '/v1/me', undefined, [...ROLES]],
  ['GET', () => '/v1/decisions', undefined, ['admin', 'auditor', 'approver']],
  ['GET', () => `/v1/decisions/${quarantined}`, undefined, ['admin', 'auditor', 'approver']],
  ['GET', () => '/v1/audit/entries', undefined, ['admin', 'auditor']],
  ['GET', () => '/v1/audit/entries/0', undefined, ['admin', 'auditor']],
  ['GET', () => '/v1/audit/entries/0/receipt', undefined, ['admin', 'auditor', 'approver']],
  ['GET', () => '/v1/audit/checkpoints', undefined, ['admin', 'auditor']],
  ['POST', () => '/v1/audit/verify', {}, ['admin', 'auditor']],
  ['GET', () => '/v1/audit/key', undefined, ['admin', 'auditor', 'approver']],
  ['GET', () => '/v1/admin/channels', undefined, ['admin', 'auditor']],
  ['GET', () => '/v1/demo', undefined, ['admin', 'auditor', 'approver']],
  // An invalid gate: an admitted role learns 400, so no run starts here.
  ['POST', () => '/v1/demo/runs', { gate: 'sideways' }, ['admin']],
];

for (const [method, path, body, admitted] of ROUTES) {
  test(`${method} ${path().replace(/\/\d+/g, '/:seq')} admits only ${admitted.join(', ')}`, async () => {
    const anonymous = await h.call(method, path(), null, body);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, 'E_UNAUTHENTICATED');
    for (const role of ROLES) {
      const reply = await h.call(method, path(), keys[role], body);
      if (admitted.includes(role))
        assert.ok(reply.status < 300 || reply.body.code !== 'E_FORBIDDEN', `${role}: ${reply.status}`);
      else {
        assert.equal(reply.status, 403, `${role} on ${method} ${path()}`);
        assert.equal(reply.body.code, 'E_FORBIDDEN');
      }
    }
  });
}

test('the event streams admit only admin, auditor and approver', async () => {
  for (const path of ['/v1/events', '/v1/demo/stream'])
    for (const role of ROLES) {
      const stream = await openStream(`${h.gateway.url}${path}`, keys[role]);
      stream.close();
      assert.equal(
        stream.status,
        ['admin', 'auditor', 'approver'].includes(role) ? 200 : 403,
        `${role} on ${path}`,
      );
    }
  const anonymous = await fetch(`${h.gateway.url}/v1/events`);
  assert.equal(anonymous.status, 401);
});

test('bad query parameters, ids and resume points are 400s with the error shape', async () => {
  const bad = [
    '/v1/decisions?limit=0',
    '/v1/decisions?limit=201',
    '/v1/decisions?decision=MAYBE',
    '/v1/decisions?before=-1',
    '/v1/decisions?colour=red',
    '/v1/decisions?hash=sha256:nothex',
    '/v1/decisions/abc',
    '/v1/decisions/007',
    '/v1/audit/entries?kind=Not_A_Kind',
    '/v1/audit/entries?before=1.5',
    '/v1/audit/checkpoints?limit=x',
    '/v1/audit/entries/-1/receipt',
    '/v1/events?after=abc',
    '/v1/events?after=-2',
  ];
  for (const path of bad) {
    const reply = await h.call('GET', path, keys.admin);
    assert.equal(reply.status, 400, path);
    assert.deepEqual(Object.keys(reply.body).sort(), ['code', 'detail', 'error'], path);
  }
  const header = await h.call('GET', '/v1/events', keys.admin, undefined, { 'last-event-id': 'seven' });
  assert.equal(header.status, 400);
  const run = await h.call('POST', '/v1/demo/runs', keys.admin, { gate: 'on', extra: 1 });
  assert.equal(run.status, 400);
});

test('unknown seqs are 404s, and an entry that is not a decision is not a decision', async () => {
  assert.equal((await h.call('GET', '/v1/decisions/999999', keys.admin)).status, 404);
  assert.equal((await h.call('GET', '/v1/decisions/0', keys.admin)).status, 404);
  assert.equal((await h.call('GET', '/v1/audit/entries/999999', keys.admin)).status, 404);
  assert.equal((await h.call('GET', '/v1/audit/entries/999999/receipt', keys.admin)).status, 404);
});

test('GET /v1/me names the caller without its key hash', async () => {
  const me = await h.call('GET', '/v1/me', keys.approver);
  assert.equal(me.body.id, 'approver:routes-approver');
  assert.equal(me.body.role, 'approver');
  assert.equal(me.body.api_key_hash, undefined);
  assert.doesNotMatch(JSON.stringify(me.body), /cpk_/);
});

test('the decision list filters by agent, tool, decision and rule', async () => {
  const all = await h.call('GET', '/v1/decisions', keys.auditor);
  const rows = all.body.decisions as {
    seq: number;
    decision: string;
    rule: string;
    tool: string;
    agent: string;
  }[];
  assert.ok(rows.some((r) => r.seq === quarantined && r.decision === 'QUARANTINE' && r.rule === 'R2'));
  for (const [param, value] of [
    ['decision', 'QUARANTINE'],
    ['rule', 'R2'],
    ['tool', 'isolate_network_device'],
    ['agent', 'agent:routes-agent'],
  ]) {
    const filtered = await h.call('GET', `/v1/decisions?${param}=${value}`, keys.auditor);
    const got = filtered.body.decisions as Record<string, unknown>[];
    assert.ok(got.length > 0, param);
    assert.ok(
      got.every((r) => r[param as string] === value),
      param,
    );
  }
  const none = await h.call('GET', '/v1/decisions?decision=ALLOW&rule=R2', keys.auditor);
  assert.deepEqual(none.body.decisions, []);
});

test('a decision’s page has the inputs, the cited line with its injection spans, and the conversation layer', async () => {
  const reply = await h.call('GET', `/v1/decisions/${quarantined}`, keys.approver);
  assert.equal(reply.status, 200);
  const d = reply.body as {
    record: { inputs: Record<string, unknown> };
    final: unknown;
    conversation: { kind: string } | null;
    chunks: {
      channel: string;
      trust: string;
      injection_suspected: boolean;
      ingest: { matched: string[] };
      content: { text: string; signals: { start: number; end: number; kind: string }[] };
    }[];
  };
  assert.equal(d.record.inputs.injection_flag, true);
  assert.equal(d.record.inputs.provenance, 'untrusted');
  assert.equal(d.conversation?.kind, 'conversation.verdict');
  const [chunk] = d.chunks;
  assert.ok(chunk);
  assert.equal(chunk.channel, 'syslog');
  assert.equal(chunk.trust, 'semi_trusted');
  assert.equal(chunk.injection_suspected, true);
  assert.ok(chunk.ingest.matched.length > 0);
  assert.equal(chunk.content.text, POISONED_LINE);
  const spans = chunk.content.signals.map((s) => POISONED_LINE.slice(s.start, s.end));
  assert.ok(
    spans.some((s) => /ISOLATE IMMEDIATELY/.test(s)),
    spans.join(' | '),
  );
});

test('credentials in ingested text are replaced before the console keeps it', async () => {
  // A test credential in a GitHub token's shape (not a real token).
  const secret = 'ghp_R8s1kq2Lm9Xv4Tz7Wc3Yb6Nd0Pf5Hj2Ga1Qe';
  const content = `deploy note: use token ${secret} to fix it`;
  const chunk = await h.call('POST', '/v1/ingest', keys.agent, { content, session: 's-secret' });
  const action = await h.call('POST', '/v1/actions', keys.agent, {
    envelope: {
      intent: 'observe',
      tool: 'get_telemetry',
      args: { target: 'vm-01' },
      source_signals: [chunk.body.id],
      session: 's-secret',
    },
  });
  const seq = (action.body.audit as { seq: number }).seq;
  const detail = await h.call('GET', `/v1/decisions/${seq}`, keys.admin);
  assert.doesNotMatch(JSON.stringify(detail.body), new RegExp(secret));
  const [c] = detail.body.chunks as { content: { redacted: boolean } | null }[];
  assert.equal(c?.content?.redacted, true);
});

test('a receipt from the console verifies with carapace audit verify-receipt and with the library', async () => {
  const key = await h.call('GET', '/v1/audit/key', keys.auditor);
  const vkey = key.body.vkey as string;
  const receipt = await waitUntil(async () => {
    const r = await h.call('GET', `/v1/audit/entries/${quarantined}/receipt`, keys.approver);
    return r.status === 200 ? r.body : null;
  });
  assert.equal(verifyReceipt(receipt, parseVerifierKey(vkey)).ok, true);
  const file = join(h.dataDir, 'receipt.json');
  writeFileSync(file, JSON.stringify(receipt));
  const ok = await carapace(['audit', 'verify-receipt', file, '--key', vkey]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, new RegExp(`^OK: entry ${quarantined} \\(decision\\)`));
  const tampered = structuredClone(receipt) as { entry: { payload: { agent: string } } };
  tampered.entry.payload.agent = 'agent:someone-else';
  writeFileSync(file, JSON.stringify(tampered));
  const fail = await carapace(['audit', 'verify-receipt', file, '--key', vkey]);
  assert.equal(fail.code, 1);
  assert.match(fail.stdout, /^FAIL/);
});

test('verify now runs the CLI’s verification and agrees with carapace audit verify', async () => {
  const reply = await h.call('POST', '/v1/audit/verify', keys.auditor);
  assert.equal(reply.status, 200);
  assert.equal(reply.body.ok, true);
  assert.ok((reply.body.entries as number) > quarantined);
  assert.ok((reply.body.checkpoints as number) >= 1);
});

test('the audit stream sends new entries live and resumes after Last-Event-ID or ?after', async () => {
  const live = await openStream(`${h.gateway.url}/v1/events`, keys.auditor);
  assert.equal(live.status, 200);
  const ready = await live.next();
  assert.equal(ready?.event, 'ready');
  await h.call('POST', '/v1/admin/channels', keys.admin, { name: 'stream-test', trust: 'untrusted' });
  let created;
  do created = await live.next();
  while (
    created &&
    !(created.event === 'audit' && (created.data as { kind: string }).kind === 'admin.channel_created')
  );
  assert.ok(created, 'the new channel’s entry arrived');
  const seen = Number(created.id);
  assert.equal((created.data as { seq: number }).seq, seen);
  live.close();

  for (const resume of [
    { headers: { 'last-event-id': String(seen - 3) } },
    { query: `?after=${seen - 3}` },
  ]) {
    const again = await openStream(
      `${h.gateway.url}/v1/events${resume.query ?? ''}`,
      keys.auditor,
      resume.headers ?? {},
    );
    assert.equal((await again.next())?.event, 'ready');
    const seqs = [];
    for (let i = 0; i < 3; i++) seqs.push(Number((await again.next())?.id));
    assert.deepEqual(seqs, [seen - 2, seen - 1, seen]);
    again.close();
  }
  const fromStart = await openStream(`${h.gateway.url}/v1/events?after=-1`, keys.approver);
  await fromStart.next();
  assert.equal((await fromStart.next())?.id, '0');
  fromStart.close();
});

test('the scenario runs against the hall once at a time, waits for an approver, then executes', async () => {
  const started = await h.call('POST', '/v1/demo/runs', keys.admin, { gate: 'on' });
  assert.equal(started.status, 202);
  const second = await h.call('POST', '/v1/demo/runs', keys.admin, { gate: 'both' });
  assert.equal(second.status, 409);
  assert.equal(second.body.code, 'E_DEMO_RUNNING');
  const review = await waitUntil(async () => {
    const state = await h.call('GET', '/v1/demo', keys.auditor);
    return (state.body.run as { waiting_review: string | null }).waiting_review;
  });
  const steps = (await h.call('GET', '/v1/demo', keys.auditor)).body.run as { events: { text: string }[] };
  assert.ok(steps.events.some((e) => /gateway: QUARANTINE by R2/.test(e.text)));
  assert.ok(steps.events.some((e) => /SIMULATED canaries: every target still green/.test(e.text)));
  const approved = await h.call('POST', `/v1/reviews/${review}/approve`, keys.approver, {
    note: 'planned window',
  });
  assert.equal(approved.status, 200);
  const done = await waitUntil(async () => {
    const run = (await h.call('GET', '/v1/demo', keys.auditor)).body.run as {
      status: string;
      summary: { review?: { executed: boolean } } | null;
      error: string | null;
    };
    return run.status !== 'running' ? run : null;
  }, 30_000);
  assert.equal(done.status, 'done', done.error ?? '');
  assert.equal(done.summary?.review?.executed, true);
  // The review's decision now shows the execution that followed it.
  const held = await h.call('GET', `/v1/decisions?decision=HUMAN_REVIEW&rule=R4`, keys.auditor);
  const seq = (held.body.decisions as { seq: number }[])[0]?.seq;
  const detail = await h.call('GET', `/v1/decisions/${seq}`, keys.auditor);
  const kinds = (detail.body.related as { kind: string }[]).map((e) => e.kind);
  for (const kind of ['review.requested', 'review.decision', 'execution', 'execution.result'])
    assert.ok(kinds.includes(kind), kinds.join(','));
  assert.equal((detail.body.review as { status: string }).status, 'approved');
});

test('closing the gateway ends open streams instead of waiting for them', async () => {
  const other = await startConsoleHarness({ hall: 'none' });
  const noHall = await other.call('GET', '/v1/demo', other.adminKey);
  assert.deepEqual(noHall.body, { hall: null, run: null });
  const refused = await other.call('POST', '/v1/demo/runs', other.adminKey, { gate: 'on' });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.code, 'E_NO_HALL');
  const stream = await openStream(`${other.gateway.url}/v1/events`, other.adminKey);
  const demo = await openStream(`${other.gateway.url}/v1/demo/stream`, other.adminKey);
  await stream.next();
  await demo.next();
  const startedAt = Date.now();
  await other.close();
  assert.ok(Date.now() - startedAt < 5000, `close took ${Date.now() - startedAt} ms`);
  let end;
  do end = await stream.next();
  while (end);
  assert.equal(end, null, 'the stream ended');
});
