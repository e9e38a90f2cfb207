// evaluatePolicy as a specification: one test per kind of rule, time windows across DST, sliding-window
// limits given counters, fail-closed inputs, and monotone composition with the engine's decision.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  composeVerdicts,
  evaluatePolicy,
  localTime,
  type PolicyInput,
  requiredCounters,
} from '../../src/policy/index.js';
import { english, input, MONDAY_10_NY, yaml } from './helpers.js';

const decide = (text: string, overrides: Partial<PolicyInput> = {}) =>
  evaluatePolicy(english(text), input(overrides));

test('a policy with no rule about the tool allows it, with no rules fired', () => {
  const v = decide('Never allow execute_shell.');
  assert.equal(v.decision, 'ALLOW');
  assert.deepEqual(v.fired, []);
  assert.match(v.policy_hash, /^sha256:/);
});

test('"Never allow" denies the tool, names the sentence and its line', () => {
  const v = decide('Require human review for x.\nNever allow execute_shell.', { tool: 'execute_shell' });
  assert.equal(v.decision, 'DENY');
  assert.equal(v.fired[0]?.rule, 'english-policy#2');
  assert.deepEqual(v.fired[0]?.source, {
    form: 'english',
    sentence: 'Never allow execute_shell.',
    line: 2,
    column: 1,
  });
});

test('homoglyph, case, width and invisible-character variants of a denied tool are denied', () => {
  for (const tool of [
    'EXECUTE_SHELL',
    'ex\u0435cute_shell',
    'ｅｘｅｃｕｔｅ_shell',
    'execute\u200b_shell',
    ' Execute_Shell ',
  ])
    assert.equal(decide('Never allow execute_shell.', { tool }).decision, 'DENY', tool);
  assert.equal(decide('Never allow search_web.', { tool: 'se\u0430rch_web' }).decision, 'DENY');
});

test('an allowlist admits only its tools; an empty allowlist admits nothing', () => {
  assert.equal(decide('Only allow get_telemetry.').decision, 'ALLOW');
  assert.equal(decide('Only allow get_telemetry.', { tool: 'read_logs' }).decision, 'DENY');
  assert.equal(decide('Allow no tools.').decision, 'DENY');
  assert.equal(evaluatePolicy(yaml('name: closed\ntools: {allow: []}\n'), input()).decision, 'DENY');
});

test('deny wins over allow', () => {
  assert.equal(decide('Only allow get_telemetry.\nNever allow get_telemetry.').decision, 'DENY');
});

test('"Require human review" gives HUMAN_REVIEW, and a deny elsewhere is still more severe', () => {
  assert.equal(
    decide('Require human review for isolate_vlan.', { tool: 'isolate_vlan' }).decision,
    'HUMAN_REVIEW',
  );
  assert.equal(
    decide('Require human review for isolate_vlan.\nAgents below T5 may not call isolate_vlan.', {
      tool: 'isolate_vlan',
    }).decision,
    'DENY',
  );
});

test('grants: an agent or its role must be granted the tool once any grant exists', () => {
  const text = 'Agent ops-bot may call restart_workload.\nRole auditor may call read_logs.';
  assert.equal(decide(text, { tool: 'restart_workload' }).decision, 'ALLOW');
  assert.equal(decide(text, { tool: 'restart_workload', agent: 'other' }).decision, 'DENY');
  assert.equal(decide(text, { tool: 'read_logs', agent: 'other', role: 'auditor' }).decision, 'ALLOW');
  assert.equal(decide(text, { tool: 'read_logs', agent: 'other', role: null }).decision, 'DENY');
});

test('"Agents below T3 may not call" compares trust tiers', () => {
  const text = 'Agents below T3 may not call restart_workload.';
  assert.equal(decide(text, { tool: 'restart_workload', tier: 'T2' }).decision, 'DENY');
  assert.equal(decide(text, { tool: 'restart_workload', tier: 'T3' }).decision, 'ALLOW');
});

test('argument constraints: equality, ranges, patterns, path prefixes; a missing argument fails', () => {
  const range = 'Require argument percent of throttle_power to be between 0 and 50.';
  assert.equal(decide(range, { tool: 'throttle_power', args: { percent: 50 } }).decision, 'ALLOW');
  assert.equal(decide(range, { tool: 'throttle_power', args: { percent: 51 } }).decision, 'DENY');
  assert.equal(decide(range, { tool: 'throttle_power', args: { percent: '10' } }).decision, 'DENY');
  assert.equal(decide(range, { tool: 'throttle_power', args: {} }).decision, 'DENY');

  const eq = 'Require argument site of restart_workload to equal sj-01.';
  assert.equal(decide(eq, { tool: 'restart_workload', args: { site: 'sj-01' } }).decision, 'ALLOW');
  assert.equal(decide(eq, { tool: 'restart_workload', args: { site: 'sj-02' } }).decision, 'DENY');

  const re = 'Require argument query of search_web to match "^[a-z0-9 ]+$".';
  assert.equal(decide(re, { tool: 'search_web', args: { query: 'gpu prices' } }).decision, 'ALLOW');
  assert.equal(decide(re, { tool: 'search_web', args: { query: 'x; rm -rf /' } }).decision, 'DENY');

  const path = 'Require argument path of read_file to be a path under /var/log.';
  for (const [p, d] of [
    ['/var/log/syslog', 'ALLOW'],
    ['/var/log', 'ALLOW'],
    ['/var/log/../../etc/shadow', 'DENY'],
    ['/var/logs/x', 'DENY'],
    ['var/log/x', 'DENY'],
    ['/var/log/%2e%2e/%2e%2e/etc/passwd', 'DENY'],
    ['/var/log\\..\\..\\etc\\passwd', 'DENY'],
  ] as const)
    assert.equal(decide(path, { tool: 'read_file', args: { path: p } }).decision, d, p);
});

test('nested arguments are reached with dots', () => {
  const text = 'Require argument order.qty of place_trade to be at most 100.';
  assert.equal(decide(text, { tool: 'place_trade', args: { order: { qty: 100 } } }).decision, 'ALLOW');
  assert.equal(decide(text, { tool: 'place_trade', args: { order: { qty: 101 } } }).decision, 'DENY');
});

test('domain allowlists check every URL found anywhere in the arguments', () => {
  const text = 'Allow fetch_url only for domains ending in .wikipedia.org.';
  const d = (args: Record<string, unknown>) => decide(text, { tool: 'fetch_url', args }).decision;
  assert.equal(d({ url: 'https://en.wikipedia.org/wiki/Lobster' }), 'ALLOW');
  assert.equal(d({ url: 'https://evil.example/?q=en.wikipedia.org' }), 'DENY');
  assert.equal(d({ url: 'https://en.wikipedia.org@evil.example/' }), 'DENY');
  assert.equal(d({ url: 'https://en.wikipedia.org.evil.example/' }), 'DENY');
  assert.equal(
    d({ url: 'https://en.wikipedia.org/', headers: { referer: 'see http://evil.example' } }),
    'DENY',
  );
  assert.equal(d({ url: 'evil.example/x' }), 'DENY');
  assert.equal(d({ list: ['https://de.wikipedia.org', 'ftp://evil.example'] }), 'DENY');
  assert.equal(d({ url: 'https://EN.WIKIPEDIA.ORG./x' }), 'ALLOW');
  assert.equal(d({ url: 'file:///etc/passwd' }), 'DENY');
  assert.equal(d({ url: 'intranet' }), 'DENY', 'a url argument without a dot is still a host');
  assert.equal(d({ target: 'https:evil.example/x' }), 'DENY', 'special schemes parse without slashes');
  assert.equal(d({ target: 'see https:\\\\evil.example\\x' }), 'DENY', 'backslashes count as slashes');
  assert.equal(d({ target: 'https:en.wikipedia.org/wiki/X' }), 'ALLOW');
});

test('time windows follow the zone across the DST change in America/New_York', () => {
  const text = 'Only allow place_trade between 09:30 and 16:00 America/New_York on weekdays.';
  const at = (ms: number) => decide(text, { tool: 'place_trade', now_ms: ms }).decision;
  // Winter (EST, UTC-5): 09:30 local = 14:30 UTC.
  assert.equal(at(Date.UTC(2026, 2, 6, 14, 29)), 'DENY'); // Fri 6 March 09:29 EST
  assert.equal(at(Date.UTC(2026, 2, 6, 14, 30)), 'ALLOW'); // Fri 09:30 EST
  // DST starts Sunday 8 March 2026; Monday 9 March is EDT (UTC-4): 09:30 local = 13:30 UTC.
  assert.equal(at(Date.UTC(2026, 2, 9, 13, 30)), 'ALLOW');
  assert.equal(at(Date.UTC(2026, 2, 9, 14, 29)), 'ALLOW'); // 10:29 EDT
  assert.equal(at(Date.UTC(2026, 2, 9, 13, 29)), 'DENY'); // 09:29 EDT
  assert.equal(at(Date.UTC(2026, 2, 9, 20, 0)), 'DENY'); // 16:00 EDT: the end is exclusive
  assert.equal(at(Date.UTC(2026, 2, 9, 19, 59)), 'ALLOW');
  // Weekend and the DST Sunday itself.
  assert.equal(at(Date.UTC(2026, 2, 8, 15, 0)), 'DENY');
  // DST ends Sunday 1 November 2026; Monday 2 November is EST again.
  assert.equal(at(Date.UTC(2026, 10, 2, 14, 29)), 'DENY');
  assert.equal(at(Date.UTC(2026, 10, 2, 14, 30)), 'ALLOW');
  assert.deepEqual(localTime(Date.UTC(2026, 2, 8, 7, 0), 'America/New_York'), {
    day: 'sun',
    minutes: 3 * 60,
  });
});

test('several windows in one policy are alternatives', () => {
  const text =
    'Only allow backup between 01:00 and 02:00 UTC every day.\nOnly allow backup between 13:00 and 14:00 UTC on weekdays.';
  const at = (h: number) => decide(text, { tool: 'backup', now_ms: Date.UTC(2026, 0, 5, h, 30) }).decision;
  assert.deepEqual([at(0), at(1), at(13), at(15)], ['DENY', 'ALLOW', 'ALLOW', 'DENY']);
});

test('rate limits: the caller reads the named counters; the limit counts this call too', () => {
  const p = english('Limit send_email to 10 calls per hour per agent.');
  const [req] = requiredCounters(p, 'send_email', 'ops-bot');
  assert.ok(req);
  assert.equal(req.window_ms, 3_600_000);
  assert.match(req.key, /^calls:[0-9a-f]{16}:agent:ops-bot$/);
  const at = (n: number) => evaluatePolicy(p, input({ tool: 'send_email', counters: { [req.key]: n } }));
  assert.equal(at(9).decision, 'ALLOW');
  assert.deepEqual(at(9).obligations.counters, [
    { key: req.key, window_ms: 3_600_000, amount: 1, limit: 10, rule: 'english-policy#1' },
  ]);
  assert.equal(at(10).decision, 'DENY');
  assert.deepEqual(at(10).obligations.counters, [], 'a denied call counts nothing');
  assert.equal(
    evaluatePolicy(p, input({ tool: 'send_email' })).decision,
    'DENY',
    'a missing counter fails closed',
  );
  assert.equal(evaluatePolicy(p, input({ tool: 'get_telemetry' })).decision, 'ALLOW');
});

test('per-tool and global limits share counters as their scope says', () => {
  const p = english(
    'Limit send_email and send_sms to 5 calls per minute per tool.\nLimit any tool to 100 calls per day in total.',
  );
  const keysA = requiredCounters(p, 'send_email', 'a').map((c) => c.key);
  const keysB = requiredCounters(p, 'send_email', 'b').map((c) => c.key);
  const keysSms = requiredCounters(p, 'send_sms', 'a').map((c) => c.key);
  assert.deepEqual(keysA, keysB);
  assert.notEqual(keysA[0], keysSms[0]);
  assert.equal(keysA[1], keysSms[1]);
});

test('cost budgets: per call, or from an argument, per agent per period', () => {
  const p = english('Limit the cost of place_trade to 1000 per day per agent, counting argument amount.');
  const [req] = requiredCounters(p, 'place_trade', 'ops-bot');
  assert.ok(req);
  const v = (spent: number, amount: unknown) =>
    evaluatePolicy(p, input({ tool: 'place_trade', args: { amount }, counters: { [req.key]: spent } }));
  assert.equal(v(900, 100).decision, 'ALLOW');
  assert.equal(v(900, 100).obligations.counters[0]?.amount, 100);
  assert.equal(v(900, 101).decision, 'DENY');
  assert.equal(v(0, 'lots').decision, 'DENY');
  assert.equal(v(0, -5).decision, 'DENY');
});

test('PII and secret rules: deny on findings, redact as an obligation, missing findings fail closed', () => {
  const card = 'Deny any action whose arguments contain a credit card number.';
  assert.equal(decide(card, { findings: { input: { types: ['CREDIT_CARD'] } } }).decision, 'DENY');
  assert.equal(decide(card, { findings: { input: { types: ['EMAIL_ADDRESS'] } } }).decision, 'ALLOW');
  assert.equal(decide(card, { findings: {} }).decision, 'DENY');

  const secrets = 'Deny secrets in the input of send_email.';
  assert.equal(
    decide(secrets, { tool: 'send_email', findings: { input: { types: ['AWS_ACCESS_KEY'] } } }).decision,
    'DENY',
  );
  assert.equal(
    decide(secrets, { tool: 'send_email', findings: { input: { types: ['PERSON'] } } }).decision,
    'ALLOW',
  );

  const redact = decide(
    'Redact PII in the output of search_web.\nDeny secrets in the output of search_web.',
    {
      tool: 'search_web',
      findings: { input: { types: [] } },
    },
  );
  assert.equal(redact.decision, 'ALLOW');
  assert.deepEqual(redact.obligations.redact, { input: [], output: ['PII'] });
  assert.deepEqual(redact.obligations.deny_output_types, ['SECRET']);
  const after = decide('Deny secrets in the output of search_web.', {
    tool: 'search_web',
    findings: { output: { types: ['GITHUB_TOKEN'] } },
  });
  assert.equal(after.decision, 'DENY');
});

test('"Allow PII" cannot undo a redaction or a deny from another rule', () => {
  const v = decide('Redact PII in the output of read_crm.\nAllow PII in the output of read_crm.', {
    tool: 'read_crm',
  });
  assert.deepEqual(v.obligations.redact.output, ['PII']);
});

test('output binding: a schema mismatch or an oversized output is withheld', () => {
  const text =
    'Require the output of get_telemetry to match the JSON schema {"type": "object", "required": ["temp"]}.\nLimit the output of get_telemetry to 1 KB.';
  const before = decide(text);
  assert.equal(before.decision, 'ALLOW');
  assert.equal(before.obligations.max_output_bytes, 1024);
  assert.equal(before.obligations.output_schemas.length, 1);
  assert.equal(decide(text, { output: { temp: 47 } }).decision, 'ALLOW');
  assert.equal(decide(text, { output: { note: 'no temp' } }).decision, 'DENY');
  assert.equal(decide(text, { output: { temp: 'x'.repeat(2000) } }).decision, 'DENY');
});

test('bad input fails closed with a reason, never a throw', () => {
  const p = english('Never allow x.');
  for (const bad of [
    { ...input(), tool: '' },
    { ...input(), tier: 'T9' },
    { ...input(), now_ms: Number.NaN },
    { ...input(), counters: { k: -1 } },
    { ...input(), args: [] },
    { ...input(), extra: 1 },
    null,
  ]) {
    const v = evaluatePolicy(p, bad as unknown as PolicyInput);
    assert.equal(v.decision, 'DENY');
    assert.equal(v.fired[0]?.rule, 'policy:input');
    assert.ok((v.fired[0]?.reason ?? '').length > 0);
  }
  const broken = evaluatePolicy({} as never, input());
  assert.equal(broken.decision, 'DENY');
  assert.equal(broken.fired[0]?.rule, 'policy:error');
});

test('composition with the engine takes the more severe verdict', () => {
  const allow = decide('Never allow x.');
  const review = decide('Require human review for get_telemetry.');
  assert.equal(composeVerdicts('ALLOW', allow), 'ALLOW');
  assert.equal(composeVerdicts('ALLOW', review), 'HUMAN_REVIEW');
  assert.equal(composeVerdicts('QUARANTINE', allow), 'QUARANTINE');
  assert.equal(composeVerdicts('DENY', review), 'DENY');
});

test('the same input always gives the same verdict', () => {
  const p = english('Only allow place_trade between 09:30 and 16:00 America/New_York on weekdays.');
  const i = input({ tool: 'place_trade', now_ms: MONDAY_10_NY });
  assert.deepEqual(evaluatePolicy(p, i), evaluatePolicy(p, i));
});
