// The gateway commands as an operator runs them: the built `carapace` against a real gateway, with the
// key in $CARAPACE_API_KEY only; gateway refusals keep their codes and no key ever reaches stderr.

import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { type Harness, startHarness } from '../gateway/harness.js';
import { carapace, json, type Run } from './run_carapace.js';

let h: Harness;
let closedUrl: string;
/** A stand-in gateway that only counts what reaches it: proof that a command made no request. */
const spy = { url: '', requests: 0, close: () => {} };
const keys: Record<string, string> = {};
const runs: Run[] = [];
let reviewId: string;

/** A URL on which nothing listens: a port the OS just handed out and took back. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Runs the CLI against the test gateway with `key` (or none) in $CARAPACE_API_KEY. */
async function cli(args: string[], key: string | undefined, url?: string): Promise<Run> {
  const run = await carapace(args, '', {
    CARAPACE_URL: url ?? h.gateway.url,
    CARAPACE_API_KEY: key,
  });
  runs.push(run);
  return run;
}

before(async () => {
  h = await startHarness();
  keys.admin = h.adminKey;
  closedUrl = await closedPortUrl();
  const server = createHttpServer((_request, response) => {
    spy.requests += 1;
    response.writeHead(500, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  spy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  spy.close = () => server.close();
});
after(async () => {
  spy.close();
  await h.close();
});

test('`channels add` creates a channel with its trust; a bad trust or a duplicate is exit 2', async () => {
  const added = await cli(['channels', 'add', 'cli-console', '--trust', 'trusted'], keys.admin);
  assert.equal(added.code, 0, added.stdout + added.stderr);
  assert.deepEqual([json(added).name, json(added).trust], ['cli-console', 'trusted']);

  const bad = await cli(['channels', 'add', 'web', '--trust', 'very_trusted'], keys.admin);
  assert.deepEqual([bad.code, json(bad).code], [2, 'E_ARG_INVALID']);
  const again = await cli(['channels', 'add', 'cli-console', '--trust', 'untrusted'], keys.admin);
  assert.deepEqual([again.code, json(again).code], [2, 'E_STORE_CONFLICT']);
  assert.deepEqual(Object.keys(json(again)).sort(), ['code', 'detail', 'error']);
});

test('`agents add` prints the new API key once; `agents list` shows principals without keys', async () => {
  const agent = await cli(
    ['agents', 'add', 'ops-agent', '--role', 'agent', '--channel', 'cli-console'],
    keys.admin,
  );
  assert.equal(agent.code, 0, agent.stdout + agent.stderr);
  assert.deepEqual(
    [json(agent).id, json(agent).role, json(agent).channel],
    ['agent:ops-agent', 'agent', 'cli-console'],
  );
  assert.match(String(json(agent).api_key), /^cpk_[A-Za-z0-9_-]{43}$/);
  keys.agent = json(agent).api_key as string;

  const approver = await cli(['agents', 'add', 'night-approver', '--role', 'approver'], keys.admin);
  assert.equal(approver.code, 0, approver.stdout);
  assert.equal(json(approver).channel, null);
  keys.approver = json(approver).api_key as string;

  const badRole = await cli(['agents', 'add', 'root', '--role', 'superuser'], keys.admin);
  assert.deepEqual([badRole.code, json(badRole).code], [2, 'E_ARG_INVALID']);

  const list = await cli(['agents', 'list'], keys.admin);
  assert.equal(list.code, 0, list.stdout);
  const ids = (JSON.parse(list.stdout) as { id: string }[]).map((p) => p.id);
  assert.ok(ids.includes('agent:ops-agent') && ids.includes('approver:night-approver'), ids.join(' '));
  assert.doesNotMatch(list.stdout, /api_key|cpk_/);

  const asAgent = await cli(['agents', 'list'], keys.agent);
  assert.deepEqual([asAgent.code, json(asAgent).code], [2, 'E_FORBIDDEN']);
});

test('`agents trust`, `dpop`, `revoke` and `reset-breaker` pull the identity levers; each refusal keeps its code', async () => {
  const added = await cli(['agents', 'add', 'lever-agent', '--role', 'agent', '--tier', 'T3'], keys.admin);
  assert.equal(added.code, 0, added.stdout + added.stderr);
  const trust = await cli(['agents', 'trust', 'agent:lever-agent'], keys.admin);
  assert.equal(trust.code, 0, trust.stderr);
  const shown = json(trust) as { tier: { tier: string; score: number }; breaker: unknown };
  assert.deepEqual([shown.tier.tier, shown.tier.score, shown.breaker], ['T3', 500, null]);
  const dpop = await cli(['agents', 'dpop', 'agent:lever-agent', 'required'], keys.admin);
  assert.equal(json(dpop).dpop_required, true);
  const badDpop = await cli(['agents', 'dpop', 'agent:lever-agent', 'yes'], keys.admin);
  assert.deepEqual([badDpop.code, json(badDpop).code], [2, 'E_ARG_INVALID']);
  const notOpen = await cli(['agents', 'reset-breaker', 'agent:lever-agent'], keys.admin);
  assert.deepEqual([notOpen.code, json(notOpen).code], [2, 'E_BREAKER_NOT_OPEN']);
  const notHeld = await cli(['agents', 'accept-trust', 'agent:lever-agent'], keys.admin);
  assert.deepEqual([notHeld.code, json(notHeld).code], [2, 'E_TRUST_NOT_HELD']);
  const revoked = await cli(['agents', 'revoke', 'agent:lever-agent'], keys.admin);
  assert.deepEqual(json(revoked).revoked, ['agent:lever-agent']);
  const nobody = await cli(['agents', 'revoke', 'agent:nobody'], keys.admin);
  assert.deepEqual([nobody.code, json(nobody).code], [2, 'E_NOT_FOUND']);
});

test('`agents add --tier` certifies a tier at creation; `agents tier` changes it; both checked', async () => {
  const added = await cli(['agents', 'add', 'tiered-agent', '--role', 'agent', '--tier', 'T4'], keys.admin);
  assert.equal(added.code, 0, added.stdout + added.stderr);
  assert.equal(json(added).certified_tier, 'T4');
  const set = await cli(['agents', 'tier', 'agent:tiered-agent', 'T2'], keys.admin);
  assert.equal(set.code, 0, set.stdout + set.stderr);
  assert.deepEqual([json(set).id, json(set).certified_tier], ['agent:tiered-agent', 'T2']);
  assert.equal(json(set).api_key_hash, undefined);
  const badTier = await cli(['agents', 'tier', 'agent:tiered-agent', 'T8'], keys.admin);
  assert.deepEqual([badTier.code, json(badTier).code], [2, 'E_ARG_INVALID']);
  const nobody = await cli(['agents', 'tier', 'agent:nobody', 'T1'], keys.admin);
  assert.deepEqual([nobody.code, json(nobody).code], [2, 'E_NOT_FOUND']);
  const asAgent = await cli(['agents', 'tier', 'agent:tiered-agent', 'T7'], keys.agent);
  assert.deepEqual([asAgent.code, json(asAgent).code], [2, 'E_FORBIDDEN']);
});

test('`review list` shows the pending review an agent opened through the API', async () => {
  const ingested = await h.call('POST', '/v1/ingest', keys.agent as string, {
    content: 'leaf-switch-sj-01-a flapping; operator asks to isolate it',
    session: 's-cli-review',
  });
  assert.equal(ingested.status, 201, JSON.stringify(ingested.body));
  assert.equal(ingested.body.trust, 'trusted');
  const proposed = await h.call('POST', '/v1/actions', keys.agent as string, {
    envelope: {
      intent: 'remediate_destructive',
      tool: 'isolate_network_device',
      args: { device_id: 'leaf-switch-sj-01-a' },
      source_signals: [ingested.body.id],
      session: 's-cli-review',
    },
  });
  assert.equal(proposed.status, 202, JSON.stringify(proposed.body));
  assert.deepEqual([proposed.body.decision, proposed.body.rule], ['HUMAN_REVIEW', 'R5']);
  reviewId = (proposed.body.review as { id: string }).id;

  const pending = await cli(['review', 'list', '--status', 'pending'], keys.approver);
  assert.equal(pending.code, 0, pending.stdout + pending.stderr);
  const listed = JSON.parse(pending.stdout) as { id: string; status: string }[];
  assert.deepEqual(
    listed.map((r) => [r.id, r.status]),
    [[reviewId, 'pending']],
  );
  const none = await cli(['review', 'list', '--status', 'approved'], keys.approver);
  assert.deepEqual(JSON.parse(none.stdout), []);
  const bad = await cli(['review', 'list', '--status', 'maybe'], keys.approver);
  assert.deepEqual([bad.code, json(bad).code], [2, 'E_ARG_INVALID']);
});

test('`review reject` without a note is exit 2 before any request is made', async () => {
  for (const note of [[], ['--note', ' ']]) {
    const run = await cli(['review', 'reject', reviewId, ...note], keys.approver, spy.url);
    assert.deepEqual([run.code, json(run).code], [2, 'E_NOTE_REQUIRED']);
  }
  assert.equal(spy.requests, 0, 'nothing reached the gateway');
  const real = await cli(['review', 'reject', reviewId], keys.approver);
  assert.deepEqual([real.code, json(real).code], [2, 'E_NOTE_REQUIRED']);
  const review = await h.call('GET', `/v1/reviews/${reviewId}`, keys.approver as string);
  assert.equal((review.body.review as { status: string }).status, 'pending');
});

test('an agent key cannot approve: exit 2 with the gateway 403 code', async () => {
  const run = await cli(['review', 'approve', reviewId], keys.agent);
  assert.equal(run.code, 2);
  assert.equal(json(run).code, 'E_FORBIDDEN');
  assert.deepEqual(Object.keys(json(run)).sort(), ['code', 'detail', 'error']);
  const wrongKey = await cli(['review', 'approve', reviewId], `cpk_${'A'.repeat(43)}`);
  assert.deepEqual([wrongKey.code, json(wrongKey).code], [2, 'E_UNAUTHENTICATED']);
});

test('the approver approves once (exit 0); a second decision is exit 2 with the 409 code', async () => {
  const approved = await cli(['review', 'approve', reviewId, '--note', 'leaf only, fine'], keys.approver);
  assert.equal(approved.code, 0, approved.stdout + approved.stderr);
  assert.equal(json(approved).outcome, 'approved');
  assert.equal((json(approved).review as { status: string }).status, 'approved');

  const again = await cli(['review', 'approve', reviewId], keys.approver);
  assert.equal(again.code, 2);
  assert.equal(json(again).code, 'E_REVIEW_CONFLICT');
  const rejectLate = await cli(['review', 'reject', reviewId, '--note', 'too late'], keys.approver);
  assert.deepEqual([rejectLate.code, json(rejectLate).code], [2, 'E_REVIEW_CONFLICT']);
  const unknown = await cli(['review', 'approve', `rev_${'0'.repeat(32)}`], keys.approver);
  assert.deepEqual([unknown.code, json(unknown).code], [2, 'E_NOT_FOUND']);
});

test('no key is E_KEY_MISSING and a closed port is E_GATEWAY_UNREACHABLE; --url wins over $CARAPACE_URL', async () => {
  const noKey = await cli(['review', 'list'], undefined);
  assert.deepEqual([noKey.code, json(noKey).code], [2, 'E_KEY_MISSING']);
  const emptyKey = await cli(['agents', 'list'], '');
  assert.deepEqual([emptyKey.code, json(emptyKey).code], [2, 'E_KEY_MISSING']);

  const unreachable = await cli(['review', 'list'], keys.approver, closedUrl);
  assert.deepEqual([unreachable.code, json(unreachable).code], [2, 'E_GATEWAY_UNREACHABLE']);
  assert.match(String(json(unreachable).detail), /ECONNREFUSED/);

  const flag = await cli(['review', 'list', '--url', h.gateway.url], keys.approver, closedUrl);
  assert.equal(flag.code, 0, flag.stdout);
  const badUrl = await cli(['review', 'list', '--url', 'ftp://example.test'], keys.approver);
  assert.deepEqual([badUrl.code, json(badUrl).code], [2, 'E_URL_INVALID']);
});

test('the key is not accepted as a flag: refused before any request, and never echoed', async () => {
  const key = keys.admin as string;
  for (const args of [
    ['agents', 'add', 'sneaky', '--role', 'admin', '--api-key', key],
    ['agents', 'add', 'sneaky', '--role', 'admin', `--api-key=${key}`],
    ['review', 'list', '--api-key', key],
  ]) {
    const run = await cli(args, undefined);
    assert.deepEqual([run.code, json(run).code], [2, 'E_KEY_FLAG_REFUSED']);
    assert.ok(!run.stdout.includes(key) && !run.stderr.includes(key), 'the key is not echoed');
    // Refused even with a key in the environment: the flag is never a second way in.
    const withEnv = await cli(args, key);
    assert.deepEqual([withEnv.code, json(withEnv).code], [2, 'E_KEY_FLAG_REFUSED']);
    const toSpy = await cli(args, key, spy.url);
    assert.equal(json(toSpy).code, 'E_KEY_FLAG_REFUSED');
  }
  assert.equal(spy.requests, 0, 'nothing was sent');
  // The spy does see a request that is made; its bare 500 is reported without a gateway body.
  const made = await cli(['review', 'list'], key, spy.url);
  assert.deepEqual([made.code, json(made).code, spy.requests], [2, 'E_GATEWAY_HTTP', 1]);
  const list = await cli(['agents', 'list'], key);
  assert.ok(!(JSON.parse(list.stdout) as { name: string }[]).some((p) => p.name === 'sneaky'));
  const help = await cli(['agents', 'add', '--help'], undefined);
  assert.doesNotMatch(help.stdout, /api-key/);
});

test('no API key ever appears on stderr', () => {
  assert.ok(runs.length > 20);
  for (const run of runs) {
    assert.doesNotMatch(run.stderr, /cpk_/);
    for (const key of Object.values(keys)) assert.ok(!run.stderr.includes(key));
  }
});
