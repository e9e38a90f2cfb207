// The English grammar: every documented sentence form compiles to the rule it names, keeps its sentence
// and line, and anything else is a compile error with line, column and the closest form.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy, ruleBody, SENTENCE_FORMS } from '../../src/policy/index.js';
import { english } from './helpers.js';

function only(sentence: string) {
  const p = english(sentence);
  assert.equal(p.layers.length, 1);
  const rules = p.layers[0]?.rules ?? [];
  assert.equal(rules.length, 1, `one rule from: ${sentence}`);
  return rules[0] as NonNullable<(typeof rules)[number]>;
}

const CASES: [string, unknown][] = [
  ['Never allow execute_shell.', { kind: 'deny_tools', tools: ['execute_shell'] }],
  [
    'Never allow execute_shell, drop_table and Rm_Rf.',
    { kind: 'deny_tools', tools: ['drop_table', 'execute_shell', 'rm_rf'] },
  ],
  ['Only allow get_telemetry and read_logs.', { kind: 'allow_tools', tools: ['get_telemetry', 'read_logs'] }],
  ['Allow only get_telemetry.', { kind: 'allow_tools', tools: ['get_telemetry'] }],
  ['Allow no tools.', { kind: 'allow_tools', tools: [] }],
  ['Require human review for isolate_vlan.', { kind: 'review_tools', tools: ['isolate_vlan'] }],
  [
    'Agent ops-bot may call restart_workload and migrate_vm.',
    { kind: 'grant', subject: 'agent', name: 'ops-bot', tools: ['migrate_vm', 'restart_workload'] },
  ],
  [
    'Role operator may call get_telemetry.',
    { kind: 'grant', subject: 'role', name: 'operator', tools: ['get_telemetry'] },
  ],
  [
    'Agents below T3 may not call restart_workload.',
    { kind: 'min_tier', tools: ['restart_workload'], tier: 'T3' },
  ],
  [
    'Only allow place_trade between 09:30 and 16:00 America/New_York on weekdays.',
    {
      kind: 'window',
      tools: ['place_trade'],
      zone: 'America/New_York',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '09:30',
      end: '16:00',
    },
  ],
  [
    'Only allow backup between 1:00 and 5:00 UTC on Saturdays and Sundays.',
    { kind: 'window', tools: ['backup'], zone: 'UTC', days: ['sat', 'sun'], start: '01:00', end: '05:00' },
  ],
  [
    'Limit send_email to 10 calls per hour per agent.',
    { kind: 'rate_limit', tools: ['send_email'], max_calls: 10, window_seconds: 3600, per: 'agent' },
  ],
  [
    'Limit any tool to 100 calls per 5 minutes in total.',
    { kind: 'rate_limit', tools: ['*'], max_calls: 100, window_seconds: 300, per: 'global' },
  ],
  [
    'Limit search_web to 30 calls per minute per tool.',
    { kind: 'rate_limit', tools: ['search_web'], max_calls: 30, window_seconds: 60, per: 'tool' },
  ],
  [
    'Limit the output of search_web to 64 KB.',
    { kind: 'max_output', tools: ['search_web'], max_bytes: 65536 },
  ],
  [
    'Limit the cost of search_web to 5 per day per agent at 0.01 per call.',
    { kind: 'budget', tools: ['search_web'], max_cost: 5, period_seconds: 86400, cost: { per_call: 0.01 } },
  ],
  [
    'Limit the cost of place_trade to 10000 per day per agent, counting argument amount.',
    {
      kind: 'budget',
      tools: ['place_trade'],
      max_cost: 10000,
      period_seconds: 86400,
      cost: { argument: 'amount' },
    },
  ],
  [
    'Redact PII in the output of search_web.',
    { kind: 'data', tools: ['search_web'], direction: 'output', types: ['PII'], action: 'redact' },
  ],
  [
    'Deny secrets and email addresses in the input of send_email.',
    {
      kind: 'data',
      tools: ['send_email'],
      direction: 'input',
      types: ['EMAIL_ADDRESS', 'SECRET'],
      action: 'deny',
    },
  ],
  [
    'Allow PII in the output of read_crm.',
    { kind: 'data', tools: ['read_crm'], direction: 'output', types: ['PII'], action: 'allow' },
  ],
  [
    'Deny any action whose arguments contain a credit card number.',
    { kind: 'data', tools: ['*'], direction: 'input', types: ['CREDIT_CARD'], action: 'deny' },
  ],
  [
    'Allow fetch_url only for domains ending in .wikipedia.org.',
    { kind: 'domains', tools: ['fetch_url'], domains: ['.wikipedia.org'] },
  ],
  [
    'Allow fetch_url only for the domains example.com and api.example.com.',
    { kind: 'domains', tools: ['fetch_url'], domains: ['api.example.com', 'example.com'] },
  ],
  [
    'Require argument site of restart_workload to equal sj-01.',
    { kind: 'argument', tools: ['restart_workload'], arg: 'site', constraint: { equals: 'sj-01' } },
  ],
  [
    'Require argument dry_run of migrate_vm to equal true.',
    { kind: 'argument', tools: ['migrate_vm'], arg: 'dry_run', constraint: { equals: true } },
  ],
  [
    'Require argument percent of throttle_power to be between 0 and 50.',
    { kind: 'argument', tools: ['throttle_power'], arg: 'percent', constraint: { minimum: 0, maximum: 50 } },
  ],
  [
    'Require argument percent of throttle_power to be at most 50.',
    { kind: 'argument', tools: ['throttle_power'], arg: 'percent', constraint: { maximum: 50 } },
  ],
  [
    'Require argument query of search_web to match "^[a-z0-9 ]+$".',
    { kind: 'argument', tools: ['search_web'], arg: 'query', constraint: { pattern: '^[a-z0-9 ]+$' } },
  ],
  [
    'Require argument path of read_file to be a path under /var/log/../log/app.',
    { kind: 'argument', tools: ['read_file'], arg: 'path', constraint: { path_prefix: '/var/log/app' } },
  ],
  [
    'Require the output of get_telemetry to match the JSON schema {"type": "object", "required": ["target"]}.',
    { kind: 'output_schema', tools: ['get_telemetry'], schema: { type: 'object', required: ['target'] } },
  ],
];

for (const [sentence, expected] of CASES)
  test(`"${sentence}" compiles to a ${(expected as { kind: string }).kind} rule`, () => {
    assert.deepEqual(ruleBody(only(sentence)), expected);
  });

test('every documented sentence form has an example that compiles', () => {
  for (const { form, example } of SENTENCE_FORMS) {
    const r = compilePolicy(
      { format: 'english', text: example },
      { resolve: () => ({ format: 'english', text: '', name: 'base-policy' }) },
    );
    assert.ok(r.ok, `${form}: ${JSON.stringify(!r.ok && r.errors)}`);
  }
});

test('each rule keeps its sentence, line and column', () => {
  const p = english('# a comment\n\nNever allow execute_shell.  Require human review for\n  isolate_vlan.\n');
  const rules = p.layers[0]?.rules ?? [];
  assert.deepEqual(
    rules.map((r) => [r.id, r.source]),
    [
      ['english-policy#1', { form: 'english', sentence: 'Never allow execute_shell.', line: 3, column: 1 }],
      [
        'english-policy#2',
        { form: 'english', sentence: 'Require human review for isolate_vlan.', line: 3, column: 29 },
      ],
    ],
  );
});

test('an unknown sentence is an error with line, column and the closest form; nothing is dropped', () => {
  const r = compilePolicy({
    format: 'english',
    text: 'Never allow execute_shell.\n  Limit send_email to ten calls per hour.\n',
  });
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.equal(r.errors.length, 1);
  const [e] = r.errors;
  assert.equal(e?.code, 'E_POLICY_COMPILE');
  assert.equal(e?.line, 2);
  assert.equal(e?.column, 3);
  assert.equal(e?.closest, 'Limit <tools> to <N> calls per <period> [per agent | per tool | in total].');
});

test('misspellings suggest the intended form', () => {
  const cases: [string, string][] = [
    ['Never alow execute_shell.', 'Never allow <tools>.'],
    ['Require review for isolate_vlan.', 'Require human review for <tools>.'],
    ['Agents under T3 may not call restart_workload.', 'Agents below T<n> may not call <tools>.'],
    [
      'Redact PII in output of search_web.',
      '<Redact | Deny | Allow> <data types> in the <input | output> of <tools>.',
    ],
  ];
  for (const [sentence, closest] of cases) {
    const r = compilePolicy({ format: 'english', text: sentence });
    assert.ok(!r.ok, sentence);
    assert.equal(r.errors[0]?.closest, closest, sentence);
  }
});

test('every bad sentence is reported, not only the first', () => {
  const r = compilePolicy({ format: 'english', text: 'Frobnicate.\nNever allow x.\nAllow everything.\n' });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => e.line),
    [1, 3],
  );
});

test('a sentence without its final period is an error, not dropped', () => {
  const r = compilePolicy({ format: 'english', text: 'Never allow x.\nNever allow y' });
  assert.ok(!r.ok);
  assert.equal(r.errors[0]?.line, 2);
  assert.match(r.errors[0]?.detail ?? '', /period/);
});

test('well-formed sentences with bad values are errors that name the form', () => {
  for (const sentence of [
    'Only allow place_trade between 16:00 and 09:30 America/New_York on weekdays.',
    'Only allow place_trade between 09:30 and 16:00 Mars/Olympus on weekdays.',
    'Require argument q of search_web to match "(a+)+$".',
    'Require argument path of read_file to be a path under /../etc.',
    'Deny unicorns in the input of send_email.',
    'Require the output of x to match the JSON schema {"type": "object", "oneOf": []}.',
  ]) {
    const r = compilePolicy({ format: 'english', text: sentence });
    assert.ok(!r.ok, sentence);
    assert.equal(r.errors[0]?.line, 1);
  }
});

test('the same text always compiles to the same hash; a different sentence to another', () => {
  const text = 'Never allow execute_shell.\nLimit send_email to 10 calls per hour per agent.\n';
  assert.equal(english(text).hash, english(text).hash);
  assert.match(english(text).hash, /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(english(text).hash, english(text.replace('10', '11')).hash);
});

test('homoglyph and case variants in a sentence name the same tool', () => {
  assert.equal(
    english('Never allow SE\u0410RCH_web.').rules_hash,
    english('Never allow search_web.').rules_hash,
  );
});

test('a sentence two forms read differently is an ambiguity error, not a guess', () => {
  const r = compilePolicy({
    format: 'english',
    text: 'Deny any action whose arguments contain PII in the input of alpha.',
  });
  assert.ok(!r.ok);
  assert.match(r.errors[0]?.detail ?? '', /^ambiguous sentence/);
  assert.equal(r.errors[0]?.line, 1);
});

test('an overlong sentence is refused before any matching', () => {
  const r = compilePolicy({ format: 'english', text: `Deny ${'a '.repeat(3000)}in the input of x.` });
  assert.ok(!r.ok);
  assert.match(r.errors[0]?.detail ?? '', /longer than/);
});
